"""Reads of requests: lists with deadline states, one request in full (no personal value, only kinds)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from tutela.core import clock
from tutela.core.errors import NotFound
from tutela.rights.deadlines import AT_RISK_DAYS
from tutela.rights.models import CLOSED, RightsRequest


def _effective_due_before(day: dt.date) -> Q:
    return Q(extended=False, due__lt=day) | Q(extended=True, extended_due__lt=day)


def requests_list(
    *, overdue: bool = False, at_risk: bool = False, open_only: bool = False, limit: int = 500
) -> QuerySet[RightsRequest]:
    today = clock.today()
    qs = RightsRequest.objects.all()
    if overdue or at_risk or open_only:
        qs = qs.exclude(status__in=CLOSED)
    if overdue or at_risk:
        qs = qs.exclude(status="on_hold")
    if overdue:
        qs = qs.filter(_effective_due_before(today))
    if at_risk:
        limit_day = today + dt.timedelta(days=AT_RISK_DAYS + 1)
        qs = qs.filter(_effective_due_before(limit_day)).exclude(_effective_due_before(today))
    return qs.order_by("-received_at", "-id")[:limit]


def request_detail(request_id: int) -> dict[str, Any]:
    from tutela.rights.deadlines import deadline_state

    req = RightsRequest.objects.filter(pk=request_id).first()
    if req is None:
        raise NotFound(f"no request {request_id}")
    return {
        "id": req.pk,
        "type": req.type,
        "status": req.status,
        "channel": req.channel,
        "subject_id": req.subject_id,
        "identifier_kind": req.identifier_kind,
        "purpose": req.purpose,
        "controller": req.controller,
        "language": req.language,
        "received": req.received_at.isoformat(),
        "due": req.due.isoformat(),
        "extended_due": req.extended_due.isoformat(),
        "extended": req.extended,
        "extension_reason": req.extension_reason,
        "state": deadline_state(
            due=req.effective_due, today=clock.today(), closed=req.is_closed, paused=req.status == "on_hold"
        ),
        "identity": {
            "method": req.identity_method,
            "verified_at": req.identity_verified_at.isoformat() if req.identity_verified_at else None,
            "verified_by": req.identity_verified_by,
        },
        "signed_on": req.signed_on.isoformat() if req.signed_on else None,
        "signature": req.signature_ref,
        "pauses": [
            {
                "from": p.started_on.isoformat(),
                "to": p.ended_on.isoformat() if p.ended_on else None,
                "reason": p.reason,
            }
            for p in req.pauses.order_by("id")
        ],
        "decision": req.decision,
        "outcome": req.outcome,
        "reasons": req.reasons,
        "answered_at": req.answered_at.isoformat() if req.answered_at else None,
        "notices": [
            {"recipient": n.recipient, "channel": n.channel, "status": n.status, "attempts": n.attempts}
            for n in req.notices.order_by("id")
        ],
        "receipts": [
            {
                "endpoint": r.endpoint,
                "delivered": r.delivered,
                "status_code": r.status_code,
                "attempts": r.attempts,
            }
            for r in req.receipts.order_by("id")
        ],
        "version": req.version,
    }


def request_public_status(req: RightsRequest) -> dict[str, Any]:
    """What the portal may show from a status token: no personal data."""
    return {
        "reference": f"R-{req.pk}",
        "type": req.type,
        "status": req.status,
        "received": req.received_at.date().isoformat(),
        "due": req.effective_due.isoformat(),
        "outcome": req.outcome,
    }
