"""`tutela disclose`: export people to a recipient with only what it may receive, and log it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from tutela.accounts.principal import cli_principal
from tutela.core.command import Result, TutelaCommand
from tutela.core.errors import FieldError, InvalidInput
from tutela.recipients.disclosures import FORMATS, DisclosureExport, disclosure_create, render
from tutela.recipients.inputs import parse_day
from tutela.recipients.subjects_input import read_subjects_file, resolve_all


class Command(TutelaCommand):
    help = "Disclose people to a recipient: only the categories it may receive for the purpose; logged."

    def add_command_arguments(self, parser: Any) -> None:
        parser.add_argument("--recipient", required=True, help="recipient key")
        parser.add_argument("--purpose", required=True, help="purpose key")
        parser.add_argument("--controller", required=True, help="the group entity that discloses")
        parser.add_argument("--subjects", help="file: one person per line (id, public id or identifier)")
        parser.add_argument("--identifier", action="append", default=[], help="a person (repeatable)")
        parser.add_argument("--out", required=True, help="the file to write")
        parser.add_argument(
            "--format", choices=FORMATS, default=None, help="csv or json (default: from --out)"
        )
        parser.add_argument("--on", help="transfer date the guard checks (default: today)")
        parser.add_argument("--derogation", help="Art. 49 derogation for this occasional transfer")
        parser.add_argument("--reason", default="", help="why the derogation applies (required with it)")

    def run(self, **o: Any) -> Result:
        if not o.get("subjects") and not o.get("identifier"):
            raise InvalidInput(
                "say who: --subjects FILE or --identifier X",
                errors=[FieldError("required", field="subjects")],
            )
        out = Path(o["out"])
        if not out.parent.is_dir():
            raise InvalidInput(
                f"{out.parent}: no such directory", errors=[FieldError("cannot write here", field="out")]
            )
        fmt = o.get("format") or ("json" if out.suffix.lower() == ".json" else "csv")
        values: list[tuple[str, int | None]] = []
        if o.get("subjects"):
            values += read_subjects_file(o["subjects"])
        values += [(x, None) for x in o.get("identifier") or []]
        ids = resolve_all(
            values, principal=cli_principal(), file=o.get("subjects") if not o.get("identifier") else None
        )

        def write(export: DisclosureExport) -> None:
            # written next to the target and renamed: the file appears whole or not at all
            fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".tutela-", suffix=".part")
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                    fh.write(render(export, fmt))
                os.chmod(tmp, 0o600)
                os.replace(tmp, out)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

        principal = cli_principal()
        export = disclosure_create(
            principal=principal,
            recipient_key=o["recipient"],
            purpose=o["purpose"],
            controller=o["controller"],
            subject_ids=ids,
            fmt=fmt,
            on=parse_day(o.get("on"), field="on"),
            derogation=o.get("derogation"),
            reason=o.get("reason") or "",
            sink=write,
        )
        data = {**export.summary(), "out": str(out)}
        text = (
            f"disclosed {data['subjects']} person(s), {data['items']} item(s) to {data['recipient']} "
            f"for {data['purpose']} on basis {data['basis']}: {out}"
        )
        return Result(data, text)
