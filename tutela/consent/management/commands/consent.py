"""`tutela consent …`: record consent and its withdrawal, objections, and read a person's consent history."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from tutela.accounts.principal import cli_principal
from tutela.consent.models import Channel
from tutela.core.command import Result, TutelaCommand
from tutela.core.errors import FieldError, InvalidInput, NotFound


def _subject(identifier: str) -> int:
    from tutela.consent.selectors import resolve

    subject_id, _ = resolve(identifier)
    if subject_id is None:
        raise NotFound(
            f"no one with the identifier {identifier!r} is in the register",
            errors=[FieldError("unknown person", field="identifier")],
        )
    return subject_id


class Command(TutelaCommand):
    help = "Record consent or its withdrawal (with proof), objections, and show a person's consent history."

    def add_command_arguments(self, parser: CommandParser) -> None:
        subs = self.subparsers(parser)
        for name, text in (
            ("give", "record that the person gave consent"),
            ("withdraw", "record a withdrawal"),
        ):
            sub = subs.add_parser(name, help=text)
            sub.add_argument("identifier", help="e-mail, phone, national number, IBAN or subject id")
            sub.add_argument("--purpose", required=True, help="a consent purpose of the policy")
            sub.add_argument("--controller", default="", help="one controller (default: every controller)")
            sub.add_argument("--channel", default="staff", choices=Channel.values)
            sub.add_argument("--evidence", default="", help="how consent was obtained (form reference …)")
            if name == "give":
                sub.add_argument("--topic", action="append", default=[], help="newsletter topic (repeatable)")
        hist = subs.add_parser("history", help="a person's consent events (with proof) and objections")
        hist.add_argument("identifier")
        obj = subs.add_parser("object", help="register an objection to a purpose")
        obj.add_argument("identifier")
        obj.add_argument("--purpose", required=True)
        obj.add_argument("--controller", default="")
        obj.add_argument(
            "--reasons", default="", help="the person's reasons (not asked for direct marketing)"
        )
        obj.add_argument("--request-ref", default="")
        dec = subs.add_parser("decide", help="the DPO's decision on a pending objection")
        dec.add_argument("objection_id", type=int)
        way = dec.add_mutually_exclusive_group(required=True)
        way.add_argument("--uphold", action="store_true")
        way.add_argument("--reject", action="store_true")
        dec.add_argument("--balancing", required=True, help="the balancing of interests behind the decision")
        subs.add_parser("pending", help="objections awaiting the DPO's decision")

    def _change(self, action: str, o: dict[str, Any]) -> Result:
        from tutela.consent import selectors, services

        subject_id = _subject(o["identifier"])
        kwargs: dict[str, Any] = {
            "subject_id": subject_id,
            "purpose": o["purpose"],
            "controller": o["controller"],
            "channel": o["channel"],
            "evidence": o["evidence"],
            "principal": cli_principal(),
        }
        if action == "give":
            event = services.consent_give(**kwargs, topics=o.get("topic") or None)
        else:
            event = services.consent_withdraw(**kwargs)
        current = selectors.current_consent(subject_id, o["purpose"], o["controller"] or None)
        state = current["state"] if current else None
        data = {
            "subject": subject_id,
            "purpose": o["purpose"],
            "controller": o["controller"],
            "state": state,
            "event": event.pk,
            "at": event.at.isoformat(),
            "policy_version": event.policy_version,
            "wording_sha256": event.wording_sha256,
        }
        return Result(
            data, f"consent to {o['purpose']} for person {subject_id}: {state} ({event.at:%Y-%m-%d %H:%M})"
        )

    def sub_give(self, **o: Any) -> Result:
        return self._change("give", o)

    def sub_withdraw(self, **o: Any) -> Result:
        return self._change("withdraw", o)

    def sub_history(self, **o: Any) -> Result:
        from tutela.consent.selectors import consents_of_subject

        subject_id = _subject(o["identifier"])
        entries = consents_of_subject(subject_id, principal=cli_principal())
        lines = [
            f"{e['at'][:19]}  {e['purpose']:<22} {e['controller'] or 'all':<9} {e['event']}" for e in entries
        ]
        return Result({"subject": subject_id, "consents": entries}, "\n".join(lines) or "no consent events")

    def sub_object(self, **o: Any) -> Result:
        from tutela.consent.objections import objection_register

        subject_id = _subject(o["identifier"])
        obj = objection_register(
            subject_id=subject_id,
            purpose=o["purpose"],
            controller=o["controller"] or None,
            reasons=o["reasons"] or None,
            request_ref=o["request_ref"] or None,
            principal=cli_principal(),
        )
        data = {
            "id": obj.pk,
            "subject": subject_id,
            "purpose": obj.purpose,
            "status": obj.status,
            "absolute": obj.absolute,
        }
        return Result(data, f"objection {obj.pk} to {obj.purpose}: {obj.status}")

    def sub_decide(self, **o: Any) -> Result:
        from tutela.consent.objections import objection_decide

        if not o["balancing"].strip():
            raise InvalidInput("--balancing is required", errors=[FieldError("empty", field="balancing")])
        obj = objection_decide(
            objection_id=o["objection_id"],
            uphold=bool(o["uphold"]),
            balancing=o["balancing"],
            principal=cli_principal(),
        )
        data = {"id": obj.pk, "purpose": obj.purpose, "status": obj.status}
        return Result(data, f"objection {obj.pk}: {obj.status}")

    def sub_pending(self, **o: Any) -> Result:
        from tutela.consent.selectors import objections_pending

        rows = objections_pending(principal=cli_principal())
        text = "\n".join(
            f"{r['id']:>6}  {r['at'][:10]}  person {r['subject_id']}  {r['purpose']}" for r in rows
        )
        return Result({"objections": rows}, text or "no objection awaits a decision")
