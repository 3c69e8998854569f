"""`tutela recipient add|update|list|show|safeguard|expiring|client-add|client-list`: the register of recipients."""

from __future__ import annotations

from typing import Any

from tutela.accounts.principal import cli_principal
from tutela.core.command import Result, TutelaCommand
from tutela.recipients.inputs import parse_day, split_keys
from tutela.recipients.models import ClientController, Role
from tutela.recipients.selectors import (
    client_controller_dict,
    disclosure_list,
    disclosures_of_subject,
    expiring_contracts,
    recipient_by_key,
    recipient_dict,
    recipient_list,
    safeguard_dict,
)
from tutela.recipients.services import (
    client_controller_create,
    recipient_create,
    recipient_update,
    safeguard_add,
)


def _recipient_options(p: Any, *, creating: bool) -> None:
    p.add_argument("key", help="short key, e.g. mailing-house")
    p.add_argument("--name", required=creating)
    p.add_argument("--type", dest="recipient_type", required=creating, help="a recipients key of the policy")
    p.add_argument("--role", choices=Role.values, help="default: the role of the policy's recipient type")
    p.add_argument("--country", help="ISO 3166-1 alpha-2 code where the data go (default: its type's)")
    p.add_argument("--scheme", choices=["dpf", "pipeda"], help="certification scheme of the recipient")
    p.add_argument("--group-controller", help="the group entity this recipient is (joint controller)")
    p.add_argument("--email", dest="contact_email", help="contact for Art. 19 notices")
    p.add_argument("--webhook", dest="webhook_url", help="https:// endpoint for Art. 19 notices")
    p.add_argument("--contract", dest="contract_ref", help="contract or data-processing agreement reference")
    p.add_argument("--contract-expires", help="expiry date of the contract, YYYY-MM-DD")
    p.add_argument("--categories", help="comma-separated categories it may receive (default: its type's)")
    p.add_argument(
        "--purposes", help="comma-separated purposes for which it may receive (default: its type's)"
    )
    p.add_argument("--notes")


class Command(TutelaCommand):
    help = "The register of recipients (processors, joint controllers, authorities …) and their safeguards."

    def add_command_arguments(self, parser: Any) -> None:
        subs = self.subparsers(parser)
        _recipient_options(subs.add_parser("add", help="add a recipient to the register"), creating=True)
        upd = subs.add_parser("update", help="change fields of a recipient")
        _recipient_options(upd, creating=False)
        upd.add_argument("--inactive", action="store_true", help="stop all disclosures to it")
        lst = subs.add_parser("list", help="list the register")
        lst.add_argument("--type", dest="recipient_type")
        lst.add_argument("--country")
        show = subs.add_parser("show", help="one recipient with its safeguards")
        show.add_argument("key")
        sg = subs.add_parser("safeguard", help="put SCCs, BCR or another safeguard on file")
        sg.add_argument("key")
        sg.add_argument(
            "--kind", required=True, help="scc, bcr, code_of_conduct, certification, ad_hoc_clauses"
        )
        sg.add_argument("--module", dest="scc_module", default="", help="SCC module: c2c, c2p, p2p, p2c")
        sg.add_argument("--signed", required=True, help="signature (or approval) date, YYYY-MM-DD")
        sg.add_argument("--reference", default="")
        sg.add_argument("--expires", help="end date, YYYY-MM-DD")
        exp = subs.add_parser("expiring", help="contracts expiring soon (or expired)")
        exp.add_argument("--within", type=int, default=60, help="days ahead (default 60)")
        cadd = subs.add_parser("client-add", help="register a client controller (the group as processor)")
        cadd.add_argument("key")
        cadd.add_argument("--name", required=True)
        cadd.add_argument("--instructions", required=True, help="reference of the documented instructions")
        cadd.add_argument("--email", default="")
        cadd.add_argument("--contact", default="")
        subs.add_parser("client-list", help="list the client controllers")
        log = subs.add_parser("disclosures", help="the disclosure log, newest first")
        log.add_argument("--recipient", help="only disclosures to this recipient")
        log.add_argument("--subject", help="only this person (id, public id or identifier)")
        log.add_argument("--limit", type=int, default=100)

    @staticmethod
    def _fields(o: dict[str, Any]) -> dict[str, Any]:
        fields = {
            k: o.get(k)
            for k in (
                "name",
                "recipient_type",
                "role",
                "country",
                "scheme",
                "group_controller",
                "contact_email",
                "webhook_url",
                "contract_ref",
                "notes",
            )
        }
        fields["contract_expires_on"] = parse_day(o.get("contract_expires"), field="contract_expires")
        fields["categories"] = split_keys(o.get("categories")) or None
        fields["purposes"] = split_keys(o.get("purposes")) or None
        return fields

    def sub_add(self, **o: Any) -> Result:
        f = self._fields(o)
        r = recipient_create(
            principal=cli_principal(),
            key=o["key"],
            **{k: v for k, v in f.items() if v is not None or k in ("name", "recipient_type")},
        )
        return Result(
            recipient_dict(r, safeguards=[]), f"added recipient {r.key} ({r.name}, {r.role}, {r.country})"
        )

    def sub_update(self, **o: Any) -> Result:
        f = self._fields(o)
        if o.get("inactive"):
            f["active"] = False
        r = recipient_update(key=o["key"], principal=cli_principal(), **f)
        return Result(recipient_dict(r, safeguards=list(r.safeguards.all())), f"updated recipient {r.key}")

    def sub_list(self, **o: Any) -> Result:
        rows = recipient_list(recipient_type=o.get("recipient_type"), country=o.get("country"))
        data = {"recipients": [recipient_dict(r, safeguards=list(r.safeguards.all())) for r in rows]}

        def show() -> None:
            from rich.console import Console
            from rich.table import Table

            table = Table("key", "name", "type", "role", "country", "contract expires", "safeguards")
            for r in data["recipients"]:
                table.add_row(
                    r["key"],
                    r["name"],
                    r["type"],
                    r["role"],
                    r["country"],
                    r["contract_expires_on"] or "",
                    ", ".join(
                        s["kind"] + (f" {s['scc_module']}" if s["scc_module"] else "")
                        for s in r["safeguards"]
                    ),
                )
            Console().print(table)

        return Result(data, show)

    def sub_show(self, **o: Any) -> Result:
        r = recipient_by_key(o["key"])
        data = recipient_dict(r, safeguards=list(r.safeguards.all()))
        lines = [f"{k}: {v}" for k, v in data.items() if k != "safeguards"]
        lines += [f"safeguard: {safeguard_dict(s)}" for s in r.safeguards.all()]
        return Result(data, "\n".join(lines))

    def sub_safeguard(self, **o: Any) -> Result:
        signed = parse_day(o["signed"], field="signed")
        assert signed is not None
        s = safeguard_add(
            principal=cli_principal(),
            recipient_key=o["key"],
            kind=o["kind"],
            scc_module=o.get("scc_module") or "",
            signed_on=signed,
            reference=o.get("reference") or "",
            expires_on=parse_day(o.get("expires"), field="expires"),
        )
        return Result({"recipient": o["key"], **safeguard_dict(s)}, f"{s} on file for {o['key']}")

    def sub_expiring(self, **o: Any) -> Result:
        rows = expiring_contracts(o["within"])
        text = "\n".join(
            f"{r['contract_expires_on']}  {r['key']}  {r['contract_ref'] or ''}"
            + ("  EXPIRED" if r["expired"] else "")
            for r in rows
        )
        return Result({"contracts": rows}, text or "no contract expires within that time")

    def sub_client_add(self, **o: Any) -> Result:
        c = client_controller_create(
            key=o["key"],
            name=o["name"],
            instructions_ref=o["instructions"],
            contact_email=o.get("email") or "",
            contact_name=o.get("contact") or "",
            principal=cli_principal(),
        )
        return Result(client_controller_dict(c), f"added client controller {c.key} ({c.name})")

    def sub_client_list(self, **o: Any) -> Result:
        rows = [client_controller_dict(c) for c in ClientController.objects.order_by("key")]
        return Result(
            {"clients": rows}, "\n".join(f"{c['key']}  {c['name']}  {c['instructions_ref']}" for c in rows)
        )

    def sub_disclosures(self, **o: Any) -> Result:
        if o.get("subject"):
            from tutela.recipients.subjects_input import resolve_all

            (sid,) = resolve_all([(o["subject"], None)], principal=cli_principal())
            rows = disclosures_of_subject(sid, principal=cli_principal())
            if o.get("recipient"):
                rows = [r for r in rows if r["recipient"] == o["recipient"]]
        else:
            if o.get("recipient"):
                recipient_by_key(o["recipient"])
            rows = disclosure_list(
                principal=cli_principal(), recipient_key=o.get("recipient"), limit=o["limit"]
            )
        text = "\n".join(
            f"{r['at'][:19]}  {r['recipient']}  {r['purpose']}  {r['basis']}  {', '.join(r['categories'])}"
            for r in rows
        )
        return Result({"disclosures": rows}, text or "no disclosure")
