"""`tutela transfer check|rules`: may data go to a country, and the transfer rules in force."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tutela.accounts.principal import cli_principal
from tutela.core import clock
from tutela.core.command import Result, TutelaCommand
from tutela.core.errors import InvalidInput
from tutela.recipients.inputs import parse_day
from tutela.recipients.rules import shipped_rules_text
from tutela.recipients.selectors import active_rule_set, active_transfer_rules
from tutela.recipients.services import transfer_rules_update
from tutela.recipients.transfers import transfer_check


class Command(TutelaCommand):
    help = "International transfers: check a country, show or update the transfer rules."

    def add_command_arguments(self, parser: Any) -> None:
        subs = self.subparsers(parser)
        chk = subs.add_parser("check", help="may data go to that country without extra safeguards?")
        chk.add_argument("--country", required=True, help="ISO 3166-1 alpha-2 code, e.g. CH, US, NO")
        chk.add_argument("--on", help="the date of the transfer, YYYY-MM-DD (default: today)")
        chk.add_argument("--scheme", choices=["dpf", "pipeda"], help="the recipient's certification scheme")
        rules = subs.add_parser("rules", help="the transfer rules in force (show, update FILE)")
        rsubs = rules.add_subparsers(dest="rules_action", required=True, metavar="ACTION")
        show = rsubs.add_parser("show", help="print the rules in force")
        show.add_argument("--json", action="store_true", help="print one JSON document on stdout")
        update = rsubs.add_parser("update", help="validate FILE and make it the rules in force")
        update.add_argument("file")
        update.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    def sub_check(self, **o: Any) -> Result:
        on = parse_day(o.get("on"), field="on") or clock.today()
        answer = transfer_check(o["country"], on, o.get("scheme"), rules=active_transfer_rules())
        verdict = (
            "allowed without extra safeguards"
            if answer.allowed_without_safeguards
            else "NOT allowed without safeguards"
        )
        text = (
            f"{answer.country} ({answer.country_name}) on {answer.on.isoformat()}: {verdict}\n"
            + "\n".join(f"  - {r}" for r in answer.reasons)
        )
        # the contract: exit 1 when the answer is "no" (like `purpose check`); the JSON is printed either way
        return Result(answer.as_dict(), text, exit_code=0 if answer.allowed_without_safeguards else 1)

    def sub_rules(self, **o: Any) -> Result:
        action = o.get("rules_action")
        if action == "update":
            return self._update(o["file"])
        return self._show()

    def _show(self) -> Result:
        row = active_rule_set()
        rules = active_transfer_rules()
        data: dict[str, Any] = {
            "version": row.number if row else 0,
            "source": row.source_name if row else "shipped",
            "loaded_at": row.loaded_at.isoformat() if row else None,
            "label": rules.label,
            "eea": {"eu": rules.eea.eu, "efta": rules.eea.efta},
            "adequacy": [
                {
                    "country": d.country,
                    "name": d.name,
                    "decision": d.decision,
                    "adopted": d.adopted.isoformat(),
                    "scope": d.scope,
                    "scheme": d.scheme,
                    "windows": [
                        {
                            "from": w.start.isoformat(),
                            "until": w.until.isoformat() if w.until else None,
                            "note": w.note,
                        }
                        for w in d.windows
                    ],
                }
                for d in rules.adequacy
            ],
            "safeguards": rules.safeguards,
            "scc_modules": rules.scc_modules,
            "derogations": rules.derogations,
        }
        lines = [f"transfer rules {rules.label} (version {data['version']}, {data['source']})"]
        lines.append(f"EEA: {', '.join(rules.eea.eu + rules.eea.efta)}")
        for d in data["adequacy"]:
            spans = "; ".join(f"{w['from']} to {w['until'] or 'open'}" for w in d["windows"])
            scheme = f" [scheme {d['scheme']}]" if d["scheme"] else ""
            lines.append(f"  {d['country']} {d['name']}: {d['decision']}{scheme} ({spans})")
        lines.append(
            f"safeguards: {', '.join(rules.safeguards)}; derogations: {', '.join(rules.derogations)}"
        )
        return Result(data, "\n".join(lines))

    def _update(self, file: str) -> Result:
        path = Path(file)
        if file == "shipped":
            text, name = shipped_rules_text(), "transfers.yaml (shipped)"
        else:
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise InvalidInput(f"{file}: no such file") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise InvalidInput(f"{file}: cannot read it as UTF-8 text ({exc})") from None
            name = path.name
        version, changed = transfer_rules_update(text=text, source_name=name, principal=cli_principal())
        data = {"version": version.number, "label": version.label, "changed": changed, "source": name}
        text_out = (
            f"transfer rules v{version.number} ({version.label}) now in force"
            if changed
            else f"unchanged: v{version.number} already holds this content"
        )
        return Result(data, text_out)
