"""Rights' part of the lifecycle contract: the person's requests.

A request outlives its person as the record of what was asked and answered (dates, type, outcome), never
what identifies them: erasure blanks the identifier, the reply address and what the person wrote, and cuts
the link to the person. Tombstones name a former id only. On a merge, requests follow the kept record.
"""

from __future__ import annotations

from typing import Any

from tutela.accounts.permissions import may_see_record
from tutela.accounts.principal import Principal
from tutela.core import lifecycle
from tutela.core.audit import audit_log
from tutela.core.lifecycle import Erase, Register


def export_requests(subject_id: int, *, principal: Principal) -> list[dict[str, Any]]:
    """The person's requests (and those of records merged into theirs) that ``principal`` may see."""
    from tutela.rights.models import RightsRequest

    ids = lifecycle.with_duplicates([subject_id])
    out = []
    for req in RightsRequest.objects.filter(subject_id__in=ids).order_by("received_at", "id"):
        if not may_see_record(principal, req.controller):
            continue
        out.append(
            {
                "id": req.pk,
                "type": req.type,
                "status": req.status,
                "controller": req.controller,
                "channel": req.channel,
                "received_at": req.received_at.isoformat(),
                "due": req.effective_due.isoformat(),
                "outcome": req.outcome,
                "answered_at": req.answered_at.isoformat() if req.answered_at else None,
            }
        )
    return out


def merge(*, keep_id: int, duplicate_id: int, principal: Principal) -> dict[str, int]:
    from tutela.rights.models import RightsRequest

    moved = RightsRequest.objects.filter(subject_id=duplicate_id).update(subject_id=keep_id)
    if moved:
        audit_log(
            "request.merge",
            object_type="subject",
            object_id=keep_id,
            subject_id=keep_id,
            payload={"duplicate": duplicate_id, "requests": moved},
            actor=principal.actor,
        )
    return {"requests": moved}


def register() -> None:
    from tutela.rights.models import RightsRequest, Tombstone

    lifecycle.register(
        lifecycle.Owner(
            app="rights",
            registers=(
                Register(
                    RightsRequest,
                    "subject",
                    Erase.REDACT,
                    "the request stays as the record of what was asked and answered; its identifier, reply "
                    "address, details and link to the person go",
                    redact={
                        "identifier_sealed": "",
                        "reply_to_sealed": "",
                        "identity_how": "",
                        "details": {},
                        "subject": None,
                    },
                ),
                Register(
                    Tombstone,
                    "subject_ref",
                    Erase.KEEP,
                    "the proof of an erasure: a former id, the date and the categories, never a value",
                ),
            ),
            export={"requests": export_requests},
            merge=merge,
        )
    )
