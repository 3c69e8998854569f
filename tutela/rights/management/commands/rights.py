"""`tutela rights …`: data-subject requests from the command line (the logic lives in tutela.rights)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from tutela.accounts.principal import cli_principal
from tutela.core.command import Result, TutelaCommand
from tutela.core.errors import FieldError, InvalidInput

TYPES = ("access", "rectification", "erasure", "objection", "restriction", "withdrawal", "portability")
CHANNELS = ("portal", "api", "staff", "email", "post")
#: how staff checked a person's identity (tutela.rights.services.STAFF_METHODS)
IDENTITY_METHODS = ("staff", "id_document", "phone_callback")


def _date(raw: str, field: str) -> dt.date:
    from tutela.rights.deadlines import parse_date

    try:
        return parse_date(raw)
    except ValueError:
        raise InvalidInput(
            "bad date", errors=[FieldError(f"not an ISO date: {raw!r}", field=field)]
        ) from None


def _moment(raw: str, field: str) -> dt.datetime:
    from tutela.core import clock

    try:
        if len(raw.strip()) == 10:
            day = dt.date.fromisoformat(raw.strip())
            return dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=clock.BRUSSELS)
        return clock.as_aware(dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00")))
    except ValueError:
        raise InvalidInput(
            "bad date", errors=[FieldError(f"not an ISO date or time: {raw!r}", field=field)]
        ) from None


def _summary(req: Any) -> dict[str, Any]:
    from tutela.core import clock
    from tutela.rights.deadlines import deadline_state

    return {
        "id": req.pk,
        "type": req.type,
        "status": req.status,
        "channel": req.channel,
        "subject_id": req.subject_id,
        "purpose": req.purpose,
        "language": req.language,
        "received": req.received_at.isoformat(),
        "due": req.effective_due.isoformat(),
        "extended": req.extended,
        "state": deadline_state(
            due=req.effective_due, today=clock.today(), closed=req.is_closed, paused=req.status == "on_hold"
        ),
        "version": req.version,
    }


class Command(TutelaCommand):
    help = "Data-subject requests: deadlines, intake, decisions, fulfilment, access packages."

    def add_command_arguments(self, parser: CommandParser) -> None:
        subs = self.subparsers(parser)
        dl = subs.add_parser("deadline", help="the Art. 12(3) deadline for a request received on a day")
        dl.add_argument("--received", required=True, help="YYYY-MM-DD (or an ISO timestamp)")

        op = subs.add_parser("open", help="register a request")
        op.add_argument("type", help=", ".join(TYPES))
        op.add_argument("identifier", help="e-mail, phone, IBAN, national number, subject:ID or public id")
        op.add_argument("--purpose", default="", help="purpose key (objection, restriction, withdrawal)")
        op.add_argument("--controller", default="", help="controller key (default: both)")
        op.add_argument("--channel", default="staff", help=", ".join(CHANNELS))
        op.add_argument("--received", default=None, help="ISO date or time of receipt (default: now)")
        op.add_argument("--verified", action="store_true", help="staff checked the person's identity")
        op.add_argument(
            "--identity-method",
            default="staff",
            choices=IDENTITY_METHODS,
            help="how staff checked it (with --verified): staff (in person, or known to us; the default), "
            "id_document or phone_callback",
        )
        op.add_argument(
            "--how",
            default="",
            help="how the identity was checked, in words (with --verified); never a document's number",
        )
        op.add_argument("--language", default=None, help="en, fr or nl (default: the person's)")
        op.add_argument(
            "--reply-to",
            default="",
            help="address the person asked to be answered at: kept as a note; Tutela writes only to the "
            "address it holds for the person",
        )
        op.add_argument("--reasons", default="", help="the person's reasons (objection)")
        op.add_argument("--change", action="append", default=[], help="CATEGORY=VALUE (rectification)")
        op.add_argument(
            "--transmit-to", default="", help="HTTPS endpoint of another controller (portability)"
        )
        op.add_argument("--transmit-token", default="", help="bearer token for that endpoint")

        ls = subs.add_parser("list", help="requests, newest first")
        grp = ls.add_mutually_exclusive_group()
        grp.add_argument("--overdue", action="store_true")
        grp.add_argument("--at-risk", action="store_true")
        ls.add_argument("--open", action="store_true", help="only requests not yet closed")

        for name, text in (
            ("show", "one request in full"),
            ("verify", "record that staff verified the person's identity"),
            ("resume", "restart the clock after a pause"),
            ("withdraw", "the person withdraws the request"),
            ("fulfil", "carry out a request whose conditions are met (or say which are not)"),
        ):
            p = subs.add_parser(name, help=text)
            p.add_argument("id", type=int)
            if name == "verify":
                p.add_argument("--code", default=None, help="the code the person received by e-mail")
                p.add_argument(
                    "--identity-method",
                    default="staff",
                    choices=IDENTITY_METHODS,
                    help="how you checked the identity (without --code): staff (in person, or known to "
                    "us; the default), id_document or phone_callback",
                )
                p.add_argument(
                    "--how", default="", help="how you checked it, in words; never a document's number"
                )
            if name == "fulfil":
                p.add_argument("--version", type=int, default=None, help="fail if the request changed since")
        pa = subs.add_parser("pause", help="stop the clock while waiting for information")
        pa.add_argument("id", type=int)
        pa.add_argument("--reason", required=True)
        ex = subs.add_parser("extend", help="extend by two months, with reasons (within the first month)")
        ex.add_argument("id", type=int)
        ex.add_argument("--reason", required=True)
        sg = subs.add_parser("sign", help="record the dated and signed request (objection, restriction)")
        sg.add_argument("id", type=int)
        sg.add_argument("--signed-on", required=True, help="YYYY-MM-DD")
        sg.add_argument("--signature", required=True, help="a reference, or a file whose SHA-256 is kept")
        de = subs.add_parser(
            "decide", help="the DPO's decision on an objection to legitimate-interest processing"
        )
        de.add_argument("id", type=int)
        g = de.add_mutually_exclusive_group(required=True)
        g.add_argument("--grant", action="store_true", help="uphold the objection: processing stops")
        g.add_argument("--refuse", action="store_true", help="compelling legitimate grounds override")
        de.add_argument("--balancing", required=True, help="the balancing of interests")
        ac = subs.add_parser("access", help="build the access package of a person")
        ac.add_argument("identifier")
        ac.add_argument("--out", required=True, help="FILE.zip")
        ac.add_argument("--language", default=None)
        pp = subs.add_parser(
            "purge-packages",
            help="delete access/portability packages older than TUTELA_PACKAGE_DAYS and those of erased people",
        )
        pp.add_argument("--days", type=int, default=None, help="override TUTELA_PACKAGE_DAYS")
        subs.add_parser(
            "retry",
            help="deliver the Art. 19 notices and the direct transmissions that have not gone (cron it daily)",
        )
        lf = subs.add_parser(
            "lift", help="lift a restriction, telling the person first (Art. 18(3); DPO or privacy officer)"
        )
        lf.add_argument("id", type=int)
        lf.add_argument("--reason", required=True, help="why the restriction ends (told to the person)")

    def sub_lift(self, **o: Any) -> Result:
        from tutela.rights.restriction import restriction_lift

        data = restriction_lift(request_id=o["id"], reason=o["reason"], principal=cli_principal())
        return Result(data, f"request {data['id']}: restriction lifted, {data['lifted']} items back in use")

    def sub_deadline(self, **o: Any) -> Result:
        from tutela.rights.deadlines import deadline_for
        from tutela.rights.rules import deadline_settings

        received = _date(o["received"], "--received")
        months, extension, country = deadline_settings()
        d = deadline_for(received, months=months, extension_months=extension, country=country)
        data = d.as_dict()
        return Result(
            data, f"received {data['received']}: due {data['due']}, extended {data['extended_due']}"
        )

    def sub_open(self, **o: Any) -> Result:
        from tutela.core import crypto
        from tutela.rights.services import request_open
        from tutela.rights.transport import check_url

        details: dict[str, Any] = {}
        errors = []
        if o["reasons"]:
            details["reasons"] = o["reasons"]
        changes = []
        for n, raw in enumerate(o["change"]):
            category, sep, value = raw.partition("=")
            if not sep or not category.strip():
                errors.append(FieldError(f"expected CATEGORY=VALUE, got {raw!r}", field=f"--change[{n + 1}]"))
                continue
            changes.append({"category": category.strip(), "value": value.strip()})
        if changes:
            details["changes"] = changes
        if o["transmit_to"]:
            details["transmit_to"] = check_url(o["transmit_to"], field="--transmit-to")
            if o["transmit_token"]:
                details["transmit_token_sealed"] = crypto.encrypt(
                    o["transmit_token"], context="request.transmit"
                )
        if errors:
            raise InvalidInput("bad options", errors=errors)
        opened = request_open(
            type=o["type"],
            identifier=o["identifier"],
            channel=o["channel"],
            received_at=_moment(o["received"], "--received") if o["received"] else None,
            language=o["language"],
            purpose=o["purpose"],
            controller=o["controller"],
            verified=o["verified"],
            identity_method=o["identity_method"],
            identity_how=o["how"],
            reply_to=o["reply_to"],
            details=details,
            principal=cli_principal(),
        )
        req = opened.request
        data = {"id": req.pk, "type": req.type, "status": req.status, "due": req.due.isoformat()}
        text = f"request {req.pk} ({req.type}) {req.status}, due {req.due}"
        if req.subject_id is None:
            text += " — no person found for this identifier"
        return Result(data, text)

    def sub_list(self, **o: Any) -> Result:
        from tutela.rights.selectors import requests_list

        rows = [
            _summary(r)
            for r in requests_list(
                overdue=o["overdue"], at_risk=o["at_risk"], open_only=o["open"], principal=cli_principal()
            )
        ]

        def show() -> None:
            from rich.console import Console
            from rich.table import Table

            table = Table("id", "type", "status", "received", "due", "state")
            for r in rows:
                table.add_row(str(r["id"]), r["type"], r["status"], r["received"][:10], r["due"], r["state"])
            Console().print(table)

        return Result(rows, show)

    def sub_show(self, **o: Any) -> Result:
        from tutela.rights.selectors import request_detail

        data = request_detail(o["id"], principal=cli_principal())
        return Result(data)

    def sub_verify(self, **o: Any) -> Result:
        from tutela.rights.services import request_verify

        req = request_verify(
            request_id=o["id"],
            code=o["code"],
            method=o["identity_method"],
            how=o["how"],
            principal=cli_principal(),
        )
        return Result(_summary(req), f"request {req.pk}: identity verified, {req.status}")

    def sub_pause(self, **o: Any) -> Result:
        from tutela.rights.services import request_pause

        req = request_pause(request_id=o["id"], reason=o["reason"], principal=cli_principal())
        return Result(_summary(req), f"request {req.pk} paused")

    def sub_resume(self, **o: Any) -> Result:
        from tutela.rights.services import request_resume

        req = request_resume(request_id=o["id"], principal=cli_principal())
        return Result(_summary(req), f"request {req.pk} resumed: {req.status}, due {req.due}")

    def sub_extend(self, **o: Any) -> Result:
        from tutela.rights.services import request_extend

        req = request_extend(request_id=o["id"], reason=o["reason"], principal=cli_principal())
        return Result(_summary(req), f"request {req.pk} extended: due {req.extended_due}")

    def sub_withdraw(self, **o: Any) -> Result:
        from tutela.rights.services import request_withdraw

        req = request_withdraw(request_id=o["id"], principal=cli_principal())
        return Result(_summary(req), f"request {req.pk} withdrawn")

    def sub_sign(self, **o: Any) -> Result:
        from tutela.rights.services import request_sign, sha256_file

        signature = o["signature"]
        path = Path(signature)
        if path.is_file():
            signature = f"sha256:{sha256_file(str(path))}"
        req = request_sign(
            request_id=o["id"],
            signed_on=_date(o["signed_on"], "--signed-on"),
            signature=signature,
            principal=cli_principal(),
        )
        return Result(
            {
                **_summary(req),
                "signed_on": req.signed_on.isoformat() if req.signed_on else None,
                "signature": req.signature_ref,
            },
            f"request {req.pk}: signed on {req.signed_on}",
        )

    def sub_decide(self, **o: Any) -> Result:
        from tutela.rights.fulfil import request_decide

        req = request_decide(
            request_id=o["id"], grant=bool(o["grant"]), balancing=o["balancing"], principal=cli_principal()
        )
        return Result(
            {**_summary(req), "decision": req.decision.get("dpo")}, f"request {req.pk}: decision recorded"
        )

    def sub_fulfil(self, **o: Any) -> Result:
        from tutela.rights.fulfil import Unmet, request_fulfil

        try:
            result = request_fulfil(
                request_id=o["id"], expected_version=o["version"], principal=cli_principal()
            )
        except Unmet as exc:
            from tutela.rights.services import request_get

            req = request_get(o["id"], principal=cli_principal())
            reasons = [e.message for e in exc.errors]
            data = {"id": req.pk, "status": req.status, "outcome": "blocked", "reasons": reasons}
            text = f"request {req.pk} cannot be fulfilled yet:\n" + "\n".join(f"  - {r}" for r in reasons)
            return Result(data, text, exit_code=1)
        data = result.as_dict()
        text = f"request {result.id}: {result.status} ({result.outcome})\n" + "\n".join(
            f"  - {r}" for r in result.reasons
        )
        return Result(data, text)

    def sub_access(self, **o: Any) -> Result:
        from django.db import transaction

        from tutela.core.audit import audit_log
        from tutela.core.errors import NotFound
        from tutela.rights import packages, register
        from tutela.rights.access import write_package

        out = Path(o["out"])
        if out.suffix.lower() != ".zip":
            raise InvalidInput("bad output", errors=[FieldError("the package is a .zip file", field="--out")])
        if o["language"] and o["language"] not in ("en", "fr", "nl"):
            raise InvalidInput("bad language", errors=[FieldError("en, fr or nl", field="--language")])
        subject = register.resolve(o["identifier"])
        if subject is None:
            raise NotFound("no person found for this identifier")
        # the file appears only if the audit entry commits, and is removed if anything fails
        with packages.staging(), transaction.atomic():
            path, count = write_package(
                subject.pk, out, language=o["language"], staged=True, principal=cli_principal()
            )
            audit_log(
                "subject.access_package",
                object_type="subject",
                object_id=subject.pk,
                subject_id=subject.pk,
                payload={"items": count},
                actor=cli_principal().actor,
            )
        return Result({"path": str(path), "items": count}, f"{path}: {count} items")

    def sub_retry(self, **o: Any) -> Result:
        from tutela.rights.models import Notice, TransmissionReceipt
        from tutela.rights.portability import transmissions_resume
        from tutela.rights.propagation import notices_retry

        notices = notices_retry(principal=cli_principal())
        transmissions = transmissions_resume(principal=cli_principal())
        data = {
            "notices_tried": notices,
            "notices_waiting": Notice.objects.filter(status__in=("pending", "failed"))
            .exclude(body_sealed="")
            .count(),
            "transmissions_tried": transmissions,
            "transmissions_waiting": TransmissionReceipt.objects.filter(
                state__in=("pending", "sending")
            ).count(),
        }
        return Result(
            data,
            f"notices: {notices} tried, {data['notices_waiting']} still waiting; "
            f"transmissions: {transmissions} tried, {data['transmissions_waiting']} still waiting",
        )

    def sub_purge_packages(self, **o: Any) -> Result:
        from tutela.rights.packages import package_days, purge

        days = o["days"]
        if days is not None and days < 0:
            raise InvalidInput(
                "bad --days", errors=[FieldError("a number of days, 0 or more", field="--days")]
            )
        result = purge(days=days, principal=cli_principal())
        data = {**result.as_dict(), "days": package_days() if days is None else days}
        return Result(
            data,
            f"deleted {result.expired} expired and {result.erased} erased people's package(s), "
            f"{result.strays} stray temporary file(s)",
        )
