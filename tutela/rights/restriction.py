"""Lifting a restriction of processing (Art. 18(3) GDPR): the person is told first, then the items are
back in use.

A restriction (``fulfil`` of a restriction request) sets the person's items to ``restricted``: they are
stored, not used, and their retention periods run on (the sweep removes them when due). Only the DPO or a
privacy officer lifts it, with a reason. The letter goes out in the person's language to the contact held
for them (``services.letter_address``) BEFORE anything changes: if it cannot be sent, nothing is lifted.
Without an e-mail address the letter is recorded for the post, as every other letter.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tutela.accounts.permissions import require_decide, require_write
from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.audit import audit_log
from tutela.core.errors import Conflict, FieldError, InvalidInput
from tutela.core.mail import build_message, send_now
from tutela.rights.models import RequestType, RightsRequest
from tutela.subjects.models import DataItem

LETTER = "restriction-lift"


def _restricted_ids(req: RightsRequest) -> list[int]:
    ids = (req.decision.get("items") or {}).get("restricted") or []
    return [int(i) for i in ids]


def _letter(req: RightsRequest, reason: str) -> tuple[str, str]:
    """(subject, body) of the Art. 18(3) letter in the request's language."""
    from django.template import Context

    from tutela.rights.letters import TYPE_LABELS, _context, _engine

    language = req.language if req.language in TYPE_LABELS else "en"
    template = _engine().get_template(f"rights/letters/{LETTER}.{language}.txt")
    text = template.render(Context(_context(req, language, {"reason": reason})))
    subject, _, body = text.partition("\n")
    return subject.strip(), body.lstrip("\n")


def restriction_lift(*, request_id: int, reason: str, principal: Principal) -> dict[str, Any]:
    """Tell the person, then lift the restriction their request set. Returns ``{"id", "status", "lifted"}``
    (``lifted``: how many items are back in use)."""
    require_write(principal)
    require_decide(principal)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            "a reason is required to lift a restriction",
            errors=[FieldError("say why the restriction ends (Art. 18(3))", field="--reason")],
        )
    if len(reason) > 2000:
        raise InvalidInput(
            "the reason is too long", errors=[FieldError("at most 2000 characters", field="--reason")]
        )
    from tutela.rights.services import letter_address, locked

    with transaction.atomic():
        req = locked(request_id, principal=principal)
        if req.type != RequestType.RESTRICTION:
            raise InvalidInput(
                f"request {req.pk} is a {req.type} request, not a restriction",
                errors=[FieldError("not a restriction request", field="id")],
            )
        if req.decision.get("lifted"):
            raise Conflict(f"the restriction of request {req.pk} was already lifted")
        ids = _restricted_ids(req)
        if not ids:
            raise Conflict(
                f"request {req.pk} restricted nothing (not fulfilled yet?): there is nothing to lift"
            )
        address = letter_address(req)
        subject, body = _letter(req, reason)
        # Art. 18(3): the person is informed before the restriction is lifted; a letter that cannot be sent
        # stops here with nothing changed
        if address:
            from tutela.policy.selectors import active_policy

            send_now(
                build_message(
                    to=[address],
                    subject=subject,
                    text=body,
                    language=req.language,
                    reply_to=[active_policy().dpo.email],
                    headers={"X-Tutela-Request": f"R-{req.pk}", "X-Tutela-Letter": LETTER},
                )
            )
        audit_log(
            "request.letter",
            object_type="request",
            object_id=req.pk,
            subject_id=req.subject_id,
            payload={"kind": LETTER, "language": req.language, "mailed": bool(address)},
            actor=principal.actor,
        )
        now = clock.now()
        lifted = DataItem.objects.filter(pk__in=ids, status=DataItem.Status.RESTRICTED).update(
            status=DataItem.Status.ACTIVE, updated_at=now
        )
        req.decision = {
            **req.decision,
            "lifted": {"at": now.isoformat(), "by": principal.actor, "reason": reason, "items": lifted},
        }
        req.version += 1
        req.updated_at = now
        req.save(update_fields=["decision", "version", "updated_at"])
        audit_log(
            "item.restriction_lift",
            object_type="request",
            object_id=req.pk,
            subject_id=req.subject_id,
            payload={"request": req.pk, "items": lifted, "reason": reason, "letter_mailed": bool(address)},
            actor=principal.actor,
        )
    return {"id": req.pk, "status": req.status, "lifted": lifted}
