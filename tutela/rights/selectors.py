"""Reads of requests: lists with deadline states, one request in full (no personal value, only kinds)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from tutela.accounts.permissions import PUBLIC_ROLE
from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.errors import NotFound
from tutela.rights.deadlines import AT_RISK_DAYS
from tutela.rights.models import CLOSED, Notice, RequestPause, RightsRequest, TransmissionReceipt


def visible_q(principal: Principal) -> Q:
    """The requests ``principal`` may see: group-wide roles see all; staff and integrations of one entity see
    that entity's requests, and those not tied to one entity (``controller`` empty) whose person is unknown
    or has a relationship with their entity. The public sees none by its own right (a private link's token
    is its proof, see ``services.request_by_token``); a role without an entity sees none either."""
    if principal.role == PUBLIC_ROLE:
        return Q(pk__in=[])
    if principal.is_group_wide:
        return Q()
    if not principal.controller:
        return Q(pk__in=[])
    from tutela.subjects.models import Relationship

    related = Relationship.objects.filter(controller=principal.controller).values("subject_id")
    unassigned = Q(controller="") & (Q(subject__isnull=True) | Q(subject_id__in=related))
    return Q(controller=principal.controller) | unassigned


def visible_requests(principal: Principal) -> QuerySet[RightsRequest]:
    return RightsRequest.objects.filter(visible_q(principal))


def _effective_due_before(day: dt.date) -> Q:
    return Q(extended=False, due__lt=day) | Q(extended=True, extended_due__lt=day)


def requests_list(
    *,
    overdue: bool = False,
    at_risk: bool = False,
    open_only: bool = False,
    limit: int = 500,
    principal: Principal,
) -> QuerySet[RightsRequest]:
    today = clock.today()
    qs = visible_requests(principal)
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


def request_detail(request_id: int, *, principal: Principal) -> dict[str, Any]:
    """One request in full; NotFound when it does not exist or ``principal`` may not see it."""
    req = visible_requests(principal).filter(pk=request_id).prefetch_related(*DETAIL_PREFETCH).first()
    if req is None:
        raise NotFound(f"no request {request_id}")
    return detail_of(req, principal=principal)


def requests_details(
    *,
    principal: Principal,
    overdue: bool = False,
    at_risk: bool = False,
    open_only: bool = False,
) -> list[dict[str, Any]]:
    """The list in full, in a fixed number of queries (rows, pauses, notices, receipts)."""
    rows = requests_list(overdue=overdue, at_risk=at_risk, open_only=open_only, principal=principal)
    return [detail_of(r, principal=principal) for r in rows.prefetch_related(*DETAIL_PREFETCH)]


DETAIL_PREFETCH = (
    Prefetch("pauses", queryset=RequestPause.objects.order_by("id")),
    Prefetch("notices", queryset=Notice.objects.order_by("id")),
    Prefetch("receipts", queryset=TransmissionReceipt.objects.order_by("id")),
)


def detail_of(req: RightsRequest, *, principal: Principal) -> dict[str, Any]:
    """The detail of a request whose pauses, notices and receipts were prefetched (see DETAIL_PREFETCH).

    A request addressed to both entities is carried out by the group-wide roles: an entity's staff who see
    it (its person has a relationship with their entity) get its state and dates, not what was decided
    about each entity's data (the decision, the reasons, the notices and the transmissions)."""
    from tutela.rights.deadlines import deadline_state

    out = _detail(req, deadline_state)
    if not req.controller and not principal.is_group_wide:
        out.update(decision={}, reasons=[], notices=[], receipts=[])
    return out


def _detail(req: RightsRequest, deadline_state: Any) -> dict[str, Any]:
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
            "how": req.identity_how,
        },
        "signed_on": req.signed_on.isoformat() if req.signed_on else None,
        "signature": req.signature_ref,
        "pauses": [
            {
                "from": p.started_on.isoformat(),
                "to": p.ended_on.isoformat() if p.ended_on else None,
                "reason": p.reason,
            }
            for p in req.pauses.all()
        ],
        "decision": req.decision,
        "outcome": req.outcome,
        "reasons": req.reasons,
        "answered_at": req.answered_at.isoformat() if req.answered_at else None,
        "notices": [
            {"recipient": n.recipient, "channel": n.channel, "status": n.status, "attempts": n.attempts}
            for n in req.notices.all()
        ],
        "receipts": [
            {
                "endpoint": r.endpoint,
                "state": r.state,
                "delivered": r.delivered,
                "status_code": r.status_code,
                "attempts": r.attempts,
            }
            for r in req.receipts.all()
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
