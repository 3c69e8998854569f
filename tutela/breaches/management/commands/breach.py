"""`tutela breach …`: risk assessment, reports, the clocks, notifications and the breach register."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from tutela.accounts.principal import cli_principal
from tutela.breaches.models import IncidentType
from tutela.core.command import Result, TutelaCommand
from tutela.core.errors import FieldError, InvalidInput


def read_document(path: str, *, field: str = "FILE") -> Any:
    """A JSON or YAML document from a file (or '-' for stdin), with the file and line of any syntax error."""
    if path == "-":
        text, name = sys.stdin.read(), "<stdin>"
    else:
        p = Path(path)
        if not p.is_file():
            raise InvalidInput(
                f"no such file: {path}", errors=[FieldError("file not found", field=field, file=path)]
            )
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(
                f"cannot read {path}", errors=[FieldError(str(exc), field=field, file=path)]
            ) from None
        name = path
    if name.endswith((".yaml", ".yml")):
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise InvalidInput(
                "invalid YAML",
                errors=[
                    FieldError(
                        str(getattr(exc, "problem", exc)), file=name, line=mark.line + 1 if mark else None
                    )
                ],
            ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "invalid JSON", errors=[FieldError(f"{exc.msg} (column {exc.colno})", file=name, line=exc.lineno)]
        ) from None


def _when(value: str | None, field: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "bad time", errors=[FieldError(f"not an ISO date-time: {value!r}", field=field)]
        ) from None
    from tutela.core import clock

    return clock.as_aware(parsed)


def _print_assessment(data: dict[str, Any]) -> str:
    lines = [
        f"severity: {data['severity'].replace('_', ' ')} (score {data['score']}: DPC {data['dpc']} x EI {data['ei']} + CB {data['cb']})",
        "document internally: yes",
        f"notify the authority: {'yes' if data['notify_authority'] else 'no'}",
        f"tell the people: {'yes' if data['notify_subjects'] else 'no'}",
        "reasons:",
    ]
    lines += [f"  - {r}" for r in data["reasons"]]
    return "\n".join(lines)


def _clock_cell(c: dict[str, Any]) -> str:
    if not c.get("due"):
        return c["state"].replace("_", " ")
    return f"{c['state'].replace('_', ' ')} (due {c['due'][:16].replace('T', ' ')})"


def _detail_text(d: dict[str, Any]) -> str:
    r, inv, reg = d["reporter"], d["investigation"], d["register"]

    def yn(v: Any) -> str:
        return "unknown" if v is None else ("yes" if v else "no")

    lines = [
        f"Breach {d['id']}: {d['summary']}",
        f"  status {d['status']}, urgency {d['urgency']}, type {d['incident_type']}, "
        f"severity {d['severity'] or 'not assessed'}",
        f"  detected {d['detected_at'][:16]}, aware {d['aware_at'][:16]}, reported {d['reported_at'][:16]} (UTC)",
        f"  investigation: {_clock_cell(d['clocks']['investigation'])}",
        f"  authority:     {_clock_cell(d['clocks']['authority'])}",
        f"  reported by {r['name']}, {r['address']}, {r['email'] or 'no e-mail'}, {r['phone']}",
    ]
    if d.get("processor"):
        lines.append(
            f"  processor's report: {d['processor']['name']} at {d['processor']['reported_at'][:16]}"
        )
    lines += [
        "",
        d["description"],
        "",
        f"Investigation: nature {inv['nature'] or '-'}; data {', '.join(inv['data_types']) or '-'}; "
        f"personal data {yn(inv['personal_data_affected'])}; personal-data breach {yn(inv['is_personal_data_breach'])}; "
        f"people {d['people_concerned'] if d['people_concerned'] is not None else '?'} "
        f"({inv['subjects_found']} found in the register)",
        f"Duties: notify the authority {yn(d['notify_authority'])}; tell the people {yn(d['notify_subjects'])}",
    ]
    if d["assessments"]:
        last = d["assessments"][-1]
        lines.append(f"Latest assessment ({last['at'][:16]}, rules {last['rules_version']}):")
        lines += [f"  - {x}" for x in last["result"]["reasons"]]
    for n in d["authority_notifications"]:
        lines.append(
            f"Authority notification {n['number']} ({n['phase']}) at {n['at'][:16]}{' LATE: ' + n['delay_reasons'] if n['late'] else ''}"
        )
    for c in d["communications"]:
        lines.append(
            f"Communication to the people by {c['channel']} at {c['at'][:16]}: {c['delivery'] or c['total']}"
        )
    lines.append("Chronology:")
    lines += [f"  {e['at'][:16]}  {e['kind']}: {e['text']}" for e in reg["chronology"]]
    for label, key in (("Main cause", "main_cause"), ("Contributing factors", "contributing_factors"),
                       ("Responses", "responses"), ("Recommendations", "recommendations"),
                       ("Lessons learned", "lessons_learned"), ("Not notified because", "not_notified_reason"),
                       ("DPO review", "dpo_review")):  # fmt: skip
        if reg.get(key):
            lines.append(f"{label}: {reg[key]}")
    for ch in reg["recommended_changes"]:
        lines.append(f"Change #{ch['id']} [{ch['state']}]: {ch['description']}")
    return "\n".join(lines)


class Command(TutelaCommand):
    help = "Personal-data breaches: assess, report, investigate, notify, and keep the breach register."

    def add_command_arguments(self, parser: CommandParser) -> None:
        subs = self.subparsers(parser)
        a = subs.add_parser(
            "assess", help="risk assessment of a breach from a facts file (breach-facts schema)"
        )
        a.add_argument("facts", metavar="FACTS.json", help="facts file (JSON or YAML), '-' for stdin")
        a.add_argument("--breach", type=int, help="also store the assessment with this breach")

        r = subs.add_parser("report", help="report a possible breach to the DPO (high urgency)")
        r.add_argument("--file", help="the report as JSON or YAML (keys as the options below)")
        r.add_argument("--name", dest="reporter_name", help="reporter's surname and first name")
        r.add_argument("--address", dest="reporter_address", help="reporter's address")
        r.add_argument("--email", dest="reporter_email", help="reporter's e-mail (if any)")
        r.add_argument("--phone", dest="reporter_phone", help="reporter's telephone number")
        r.add_argument("--type", dest="incident_type", choices=IncidentType.values, help="type of incident")
        r.add_argument("--description", help="complete and detailed description")
        r.add_argument("--people", dest="people_concerned", type=int, help="how many people are concerned")
        r.add_argument("--detected-at", dest="detected_at", help="when it was detected (ISO; default now)")
        r.add_argument(
            "--aware-at", dest="aware_at", help="when the controller became aware (default: detected)"
        )
        r.add_argument("--summary", help="one line")
        r.add_argument("--controller", help="the entity concerned (a controller key of the policy)")
        r.add_argument("--processor", help="the processor that reported it (Art. 33(2))")
        r.add_argument("--facts", dest="facts_file", help="breach facts (JSON/YAML) to assess at once")
        r.add_argument(
            "--processor-reported-at", dest="processor_reported_at", help="when the processor reported it"
        )

        lst = subs.add_parser("list", help="breaches with their clocks")
        lst.add_argument("--open", action="store_true", help="only breaches not closed")
        lst.add_argument("--status", choices=["reported", "investigating", "assessed", "closed"])

        s = subs.add_parser("show", help="one breach in full")
        s.add_argument("id", type=int)

        subs.add_parser("clocks", help="open breaches whose 24 h or 72 h clock runs, most urgent first")

        inv = subs.add_parser("investigate", help="start the investigation and record its findings (§12.2)")
        inv.add_argument("id", type=int)
        inv.add_argument("--nature", help="nature of the incident")
        inv.add_argument("--data-type", dest="data_types", action="append", help="data-category key (repeat)")
        inv.add_argument("--personal-data", dest="personal_data", choices=["yes", "no"])
        inv.add_argument("--personal-data-breach", dest="pdb", choices=["yes", "no"])
        inv.add_argument("--people", type=int, help="how many people are concerned")
        inv.add_argument("--records", type=int, help="how many records are concerned")
        inv.add_argument(
            "--identifier",
            dest="identifiers",
            action="append",
            help="e-mail, national number … of a person concerned (repeat)",
        )
        inv.add_argument("--identifiers-file", help="a file with one identifier per line")

        na = subs.add_parser("notify-authority", help="record the notification to the authority (Art. 33)")
        na.add_argument("id", type=int)
        na.add_argument("--phase", choices=["initial", "follow_up"], default="initial")
        na.add_argument("--delay-reasons", default="", help="required when past 72 hours")
        na.add_argument("--at", help="when it was sent (ISO; default now)")
        na.add_argument("--additional", default="", help="information added in this phase")

        ns = subs.add_parser("notify-subjects", help="tell the people concerned (Art. 34)")
        ns.add_argument("id", type=int)
        ns.add_argument("--public-notice", action="store_true", help="a public notice instead of e-mails")
        ns.add_argument("--retry-failed", action="store_true", help="send again the e-mails that failed")

        rec = subs.add_parser("record", help="fill the register fields of §12.3")
        rec.add_argument("id", type=int)
        for name in (
            "main-cause",
            "contributing-factors",
            "responses",
            "recommendations",
            "lessons-learned",
            "likely-consequences",
            "measures-taken",
            "measures-proposed",
            "no-notification-reason",
        ):
            rec.add_argument(f"--{name}", dest=name.replace("-", "_"))
        rec.add_argument("--event", help="add a line to the chronology")
        rec.add_argument("--event-at", help="when that event happened (ISO)")
        rec.add_argument("--change", help="add a recommended change")
        rec.add_argument("--change-id", type=int, help="a recommended change to update")
        rec.add_argument("--change-state", choices=["proposed", "in_progress", "implemented", "rejected"])

        de = subs.add_parser("decide", help="the group's decision on the duties, with its reason (§12.2)")
        de.add_argument("id", type=int)
        de.add_argument("--authority", choices=["yes", "no"], required=True, help="notify the authority")
        de.add_argument("--subjects", choices=["yes", "no"], required=True, help="tell the people")
        de.add_argument("--reason", required=True)

        rv = subs.add_parser("review", help="the DPO's follow-up review (§12.3)")
        rv.add_argument("id", type=int)
        rv.add_argument("--text", required=True)
        rv.add_argument("--close", action="store_true", help="close the breach")

        reg = subs.add_parser("register", help="the breach register: export")
        reg.add_argument("operation", choices=["export"])
        reg.add_argument("--format", choices=["csv", "json"], default="csv")
        reg.add_argument("--output", help="write to this file instead of stdout")

    # -- assess
    def sub_assess(self, **o: Any) -> Result:
        from tutela.breaches.assessment import assess, validate_facts
        from tutela.breaches.facts import policy_keys

        facts = read_document(o["facts"], field="FACTS")
        extra, special = policy_keys()
        problems = validate_facts(facts, extra_keys=extra)
        if problems:
            raise InvalidInput(
                "invalid breach facts", errors=[FieldError(m, field=f, file=o["facts"]) for f, m in problems]
            )
        if o.get("breach"):
            from tutela.breaches.services import breach_assess

            row = breach_assess(principal=cli_principal(), breach_id=o["breach"], facts=facts)
            data = {k: row.result[k] for k in assess(facts, special=special).as_json()}
        else:
            data = assess(facts, special=special).as_json()
        return Result(data, _print_assessment(data))

    # -- report
    def sub_report(self, **o: Any) -> Result:
        from tutela.breaches.services import Reporter, breach_report

        keys = ["reporter_name", "reporter_address", "reporter_email", "reporter_phone", "incident_type",
                "description", "people_concerned", "detected_at", "aware_at", "summary", "controller",
                "processor", "processor_reported_at"]  # fmt: skip
        values: dict[str, Any] = {}
        if o.get("file"):
            doc = read_document(o["file"], field="--file")
            if not isinstance(doc, dict):
                raise InvalidInput(
                    "the report file must hold a mapping",
                    errors=[FieldError("not a mapping", file=o["file"])],
                )
            if "facts" in doc:
                values["facts"] = doc.pop("facts")
            reporter = doc.pop("reporter", None)
            if isinstance(reporter, dict):
                for k, v in reporter.items():
                    doc[f"reporter_{k}"] = v
            unknown = [k for k in doc if k not in keys]
            if unknown:
                raise InvalidInput(
                    "unknown keys in the report",
                    errors=[FieldError("unknown key", field=k, file=o["file"]) for k in unknown],
                )
            values.update(doc)
        for k in keys:
            if o.get(k) is not None:
                values[k] = o[k]
        if o.get("facts_file"):
            values["facts"] = read_document(o["facts_file"], field="--facts")
        errors = []
        for k in ("reporter_name", "reporter_address", "reporter_phone", "incident_type", "description"):
            if not values.get(k):
                errors.append(FieldError("is required", field=k.replace("reporter_", "reporter.")))
        people = values.get("people_concerned")
        if people is not None and not isinstance(people, int):
            errors.append(FieldError("must be a whole number", field="people_concerned"))
        if errors:
            raise InvalidInput("the breach report is incomplete", errors=errors)
        times = {}
        for k in ("detected_at", "aware_at", "processor_reported_at"):
            v = values.get(k)
            times[k] = v if isinstance(v, dt.datetime) else _when(str(v) if v else None, k)
        breach = breach_report(
            principal=cli_principal(),
            reporter=Reporter(
                name=str(values["reporter_name"]),
                address=str(values["reporter_address"]),
                phone=str(values["reporter_phone"]),
                email=str(values.get("reporter_email") or ""),
            ),
            incident_type=str(values["incident_type"]),
            description=str(values["description"]),
            people_concerned=people,
            summary=str(values.get("summary") or ""),
            controller=str(values.get("controller") or ""),
            processor=str(values.get("processor") or ""),
            facts=values.get("facts"),
            **times,
        )
        from tutela.breaches.selectors import breach_row

        data = breach_row(breach)
        c = data["clocks"]
        return Result(
            data,
            f"breach {breach.pk} reported (high urgency); the DPO is alerted.\n"
            f"investigation due {c['investigation']['due']}, authority due {c['authority']['due']}",
        )

    # -- reads
    def sub_list(self, **o: Any) -> Result:
        from tutela.breaches.selectors import breach_list

        rows = breach_list(principal=cli_principal(), status=o.get("status"), open_only=o.get("open", False))

        def show() -> None:
            from rich.console import Console
            from rich.table import Table

            table = Table("id", "summary", "status", "severity", "investigation 24 h", "authority 72 h")
            for r in rows:
                table.add_row(
                    str(r["id"]),
                    r["summary"][:50],
                    r["status"],
                    r["severity"] or "-",
                    _clock_cell(r["clocks"]["investigation"]),
                    _clock_cell(r["clocks"]["authority"]),
                )
            Console().print(table)

        return Result({"breaches": rows, "count": len(rows)}, show)

    def sub_show(self, **o: Any) -> Result:
        from tutela.breaches.selectors import breach_detail

        data = breach_detail(o["id"], principal=cli_principal())
        return Result(data, _detail_text(data))

    def sub_clocks(self, **o: Any) -> Result:
        from tutela.breaches.selectors import open_breach_clocks

        rows = open_breach_clocks(principal=cli_principal())
        text = "\n".join(
            f"#{r['id']} {r['summary'][:50]}: {r['next']['clock']} {r['next']['state']} (due {r['next']['due']})"
            for r in rows
        )
        return Result({"breaches": rows, "count": len(rows)}, text or "no clock running")

    # -- changes
    def sub_investigate(self, **o: Any) -> Result:
        from tutela.breaches.services import breach_record_investigation

        identifiers = list(o.get("identifiers") or [])
        if o.get("identifiers_file"):
            p = Path(o["identifiers_file"])
            if not p.is_file():
                raise InvalidInput(
                    "no such file",
                    errors=[FieldError("file not found", field="--identifiers-file", file=str(p))],
                )
            identifiers += [
                line.strip() for line in p.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
        yes = {"yes": True, "no": False, None: None}
        data = breach_record_investigation(
            principal=cli_principal(),
            breach_id=o["id"],
            nature=o.get("nature"),
            data_types=o.get("data_types"),
            personal_data_affected=yes[o.get("personal_data")],
            is_personal_data_breach=yes[o.get("pdb")],
            people_concerned=o.get("people"),
            records_concerned=o.get("records"),
            identifiers=identifiers or None,
        )
        return Result(
            data,
            f"breach {o['id']}: investigation recorded; {data['linked']} people linked, {data['not_found']} not found",
        )

    def sub_notify_authority(self, **o: Any) -> Result:
        from tutela.breaches.services import breach_notify_authority

        note = breach_notify_authority(
            principal=cli_principal(),
            breach_id=o["id"],
            phase=o["phase"],
            delay_reasons=o.get("delay_reasons") or "",
            at=_when(o.get("at"), "--at"),
            additional=o.get("additional") or "",
        )
        data = {"breach": o["id"], "number": note.number, "phase": note.phase, "at": note.at.isoformat(),
                "late": note.late, "content": note.content, "text": note.text}  # fmt: skip
        return Result(data, note.text)

    def sub_notify_subjects(self, **o: Any) -> Result:
        from tutela.breaches.notifications import breach_notify_subjects
        from tutela.breaches.selectors import communication_states

        if o.get("retry_failed"):
            from tutela.breaches.notifications import breach_notices_retry

            comm = breach_notices_retry(principal=cli_principal(), breach_id=o["id"])
        else:
            comm = breach_notify_subjects(
                principal=cli_principal(), breach_id=o["id"], public_notice=o.get("public_notice", False)
            )
        data = {"breach": o["id"], "channel": comm.channel, "total": comm.total,
                "delivery": communication_states(comm.pk), "texts": comm.texts}  # fmt: skip
        if comm.channel == "public_notice":
            text = "public notice drafted:\n\n" + comm.texts["en"]["body"]
        else:
            text = f"{comm.total} people to be told by e-mail; delivery: {data['delivery']}"
        return Result(data, text)

    def sub_record(self, **o: Any) -> Result:
        from tutela.breaches.selectors import breach_detail
        from tutela.breaches.services import (
            REGISTER_FIELDS,
            breach_add_change,
            breach_add_event,
            breach_change_update,
            breach_update_register,
        )

        values = {k: o[k] for k in REGISTER_FIELDS if o.get(k) is not None}
        if values:
            breach_update_register(principal=cli_principal(), breach_id=o["id"], **values)
        if o.get("event"):
            breach_add_event(
                principal=cli_principal(),
                breach_id=o["id"],
                text=o["event"],
                at=_when(o.get("event_at"), "--event-at"),
            )
        if o.get("change"):
            breach_add_change(principal=cli_principal(), breach_id=o["id"], description=o["change"])
        if o.get("change_id"):
            if not o.get("change_state"):
                raise InvalidInput(
                    "--change-state is required with --change-id",
                    errors=[FieldError("is required", field="--change-state")],
                )
            breach_change_update(principal=cli_principal(), change_id=o["change_id"], state=o["change_state"])
        data = breach_detail(o["id"], principal=cli_principal())["register"]
        return Result(data, json.dumps(data, ensure_ascii=False, indent=2))

    def sub_decide(self, **o: Any) -> Result:
        from tutela.breaches.services import breach_decide

        b = breach_decide(
            principal=cli_principal(),
            breach_id=o["id"],
            notify_authority=o["authority"] == "yes",
            notify_subjects=o["subjects"] == "yes",
            reason=o["reason"],
        )
        data = {"breach": b.pk, "notify_authority": b.notify_authority, "notify_subjects": b.notify_subjects}
        return Result(data, f"breach {b.pk}: authority {o['authority']}, people {o['subjects']}")

    def sub_review(self, **o: Any) -> Result:
        from tutela.breaches.services import breach_dpo_review

        b = breach_dpo_review(
            principal=cli_principal(), breach_id=o["id"], text=o["text"], close=o.get("close", False)
        )
        return Result({"breach": b.pk, "status": b.status, "dpo_reviewed_at": b.dpo_reviewed_at.isoformat() if b.dpo_reviewed_at else None},
                      f"breach {b.pk}: review recorded ({b.status})")  # fmt: skip

    def sub_register(self, **o: Any) -> Result:
        from tutela.breaches.selectors import register_export

        text = register_export(o["format"], principal=cli_principal())
        if o.get("output"):
            Path(o["output"]).write_text(text, encoding="utf-8")
            return Result({"written": o["output"], "format": o["format"]}, f"written to {o['output']}")
        if o.get("json") and o["format"] == "json":
            return Result(json.loads(text))
        if o.get("json"):
            return Result({"format": "csv", "csv": text})
        return Result(None, text)
