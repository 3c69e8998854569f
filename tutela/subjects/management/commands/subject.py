"""`tutela subject show IDENTIFIER` (and `tutela subject merge KEEP DUPLICATE`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from tutela.accounts.principal import Principal, cli_principal
from tutela.core.command import Result, TutelaCommand
from tutela.core.errors import NotFound
from tutela.subjects.reading import subject_read
from tutela.subjects.selectors import resolve_identifier
from tutela.subjects.services import subject_merge


def _cli_principal() -> Principal:
    return cli_principal()


def _resolve(identifier: str) -> int:
    person = resolve_identifier(identifier)
    if person is None:
        # never echo the identifier: it may be a national number
        raise NotFound("nobody in the register matches that identifier")
    return person.pk


class Command(TutelaCommand):
    help = "What the register holds about a person."

    def add_command_arguments(self, parser: CommandParser) -> None:
        subs = self.subparsers(parser)
        show = subs.add_parser(
            "show", help="what is held about a person (values of sensitive categories masked)"
        )
        show.add_argument("identifier", help="e-mail, phone, national number, IBAN, numeric id or public id")
        show.add_argument("--reveal", action="store_true", help="show sensitive values in clear (audited)")
        show.add_argument("--purpose", default="", help="why you look (recorded in the audit trail)")
        merge = subs.add_parser("merge", help="merge a duplicate record into the one to keep (audited)")
        merge.add_argument("keep", help="identifier of the record to keep")
        merge.add_argument("duplicate", help="identifier of the duplicate")

    def sub_show(self, **o: Any) -> Result:
        subject_id = _resolve(o["identifier"])
        data = subject_read(
            _cli_principal(),
            subject_id,
            purpose=o.get("purpose") or "",
            channel="cli",
            reveal=bool(o.get("reveal")),
        )
        return Result(data, lambda: _print(data))

    def sub_merge(self, **o: Any) -> Result:
        keep, dup = _resolve(o["keep"]), _resolve(o["duplicate"])
        kept = subject_merge(keep=keep, duplicate=dup, principal=_cli_principal())
        return Result({"id": kept.pk, "merged": dup}, f"person {dup} merged into person {kept.pk}")


def _print(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Console()
    out.print(
        f"[bold]person {data['id']}[/] {data['name']}  ({data['public_id']}, language {data['language']})"
    )
    for rel in data["relationships"]:
        dates = ", ".join(f"{k} {v}" for k, v in rel.items() if k.endswith("_on") and v)
        out.print(f"  {rel['kind']} of {rel['controller']}" + (f": {dates}" if dates else ""))
    table = Table("category", "value", "controller", "source", "collected", "purposes", "status")
    for item in data["items"]:
        table.add_row(
            item["category"],
            item["value"],
            item["controller"],
            item["source"] + (f" ({item['source_detail']})" if item["source_detail"] else ""),
            (item["collected_at"] or "unknown")[:10],
            ", ".join(item["purposes"]),
            item["status"],
        )
    out.print(table)
    out.print(f"consents: {len(data.get('consents', []))}, requests: {len(data.get('requests', []))}")
