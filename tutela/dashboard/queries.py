"""Reads the staff pages need that no domain app offers as one call: grouped, set-based, scoped.

Rules stay with their owners: deadline states come from ``tutela.rights.deadlines.deadline_state``; which
people a principal may see comes from ``tutela.subjects.scoping``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth

from tutela.accounts.principal import Principal
from tutela.core import clock


def _request_model() -> Any:
    from tutela.rights.models import RightsRequest

    return RightsRequest


def scoped_requests(principal: Principal) -> QuerySet[Any]:
    """Requests a principal may see: all for the group-wide roles; otherwise those of its controller
    and those addressed to both joint controllers."""
    qs = _request_model().objects.all()
    if not principal.is_group_wide:
        qs = qs.filter(Q(controller="") | Q(controller=principal.controller))
    return qs


def open_requests(principal: Principal, *, limit: int = 200) -> list[dict[str, Any]]:
    """Open requests with their deadline state, soonest due first (one query)."""
    from tutela.rights.deadlines import deadline_state

    today = clock.today()
    closed = ("answered", "refused", "withdrawn")
    rows = (
        scoped_requests(principal)
        .exclude(status__in=closed)
        .only(
            "id",
            "type",
            "channel",
            "status",
            "received_at",
            "due",
            "extended_due",
            "extended",
            "controller",
            "identity_verified_at",
            "language",
        )
        .order_by("due", "id")[:limit]
    )
    out = []
    for r in rows:
        due = r.extended_due if r.extended else r.due
        state = deadline_state(due=due, today=today, paused=r.status == "on_hold")
        out.append({"request": r, "due": due, "state": state, "days_left": (due - today).days})
    return out


def requests_panel(principal: Principal) -> dict[str, Any]:
    rows = open_requests(principal)
    today = clock.today()
    return {
        "due_today": [r for r in rows if r["due"] == today],
        "at_risk": [r for r in rows if r["state"] == "at_risk" and r["due"] != today],
        "overdue": [r for r in rows if r["state"] == "overdue"],
        "open_count": len(rows),
        "waiting_identity": sum(1 for r in rows if r["request"].status == "identity_pending"),
    }


def request_statistics(principal: Principal, months: list[str]) -> dict[str, Any]:
    """Requests received per month by type (two aggregate queries) and the average answer time in days."""
    first = dt.date.fromisoformat(months[0] + "-01")
    start = dt.datetime.combine(first, dt.time(), tzinfo=clock.BRUSSELS)
    qs = scoped_requests(principal)
    per: dict[str, dict[str, int]] = defaultdict(dict)
    grouped = (
        qs.filter(received_at__gte=start)
        .annotate(month=TruncMonth("received_at", tzinfo=clock.BRUSSELS))
        .values("month", "type")
        .annotate(n=Count("id"))
    )
    for row in grouped:
        per[row["type"]][row["month"].strftime("%Y-%m")] = row["n"]
    answered = qs.filter(answered_at__isnull=False, status="answered").aggregate(
        avg=Avg(F("answered_at") - F("received_at")), n=Count("id")
    )
    average = answered["avg"]
    days = round(average.total_seconds() / 86400, 1) if average is not None else None
    return {"per_month_by_type": dict(per), "average_answer_days": days, "answered": answered["n"]}


def consent_statistics(months: list[str]) -> dict[str, Any] | None:
    """Consents given and withdrawn per month (one aggregate query)."""
    try:
        from tutela.consent.models import ConsentEvent
    except ImportError:
        return None
    first = dt.date.fromisoformat(months[0] + "-01")
    start = dt.datetime.combine(first, dt.time(), tzinfo=clock.BRUSSELS)
    per: dict[str, dict[str, int]] = defaultdict(dict)
    totals: dict[str, int] = defaultdict(int)
    grouped = (
        ConsentEvent.objects.filter(at__gte=start)
        .annotate(month=TruncMonth("at", tzinfo=clock.BRUSSELS))
        .values("month", "kind")
        .annotate(n=Count("id"))
    )
    for row in grouped:
        per[row["kind"]][row["month"].strftime("%Y-%m")] = row["n"]
        totals[row["kind"]] += row["n"]
    return {"per_month_by_kind": dict(per), "totals": dict(totals)}
