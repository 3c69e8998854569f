"""Reads the staff pages need that no domain app offers as one call: grouped, set-based, scoped.

Rules stay with their owners: deadline states come from ``tutela.rights.deadlines.deadline_state``; which
people a principal may see comes from ``tutela.subjects.scoping``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Avg, Case, Count, F, Q, QuerySet, When
from django.db.models.functions import TruncMonth

from tutela.accounts.principal import Principal
from tutela.core import clock


def _request_model() -> Any:
    from tutela.rights.models import RightsRequest

    return RightsRequest


def scoped_requests(principal: Principal) -> QuerySet[Any]:
    """Requests a principal may see, by the rights app's own rule (the API's): all for the group-wide roles;
    otherwise those of its controller, and those addressed to no entity in particular whose person is not
    known yet or has a relationship with its controller. A portal request names no entity: without this
    rule, staff of one entity would open the requests of the other entity's members."""
    from tutela.rights.selectors import visible_q

    return _request_model().objects.filter(visible_q(principal))


CLOSED = ("answered", "refused", "withdrawn")
#: rows shown per list (counts are always complete: they are computed in SQL)
LIST_LIMIT = 200


def _open_with_due(principal: Principal) -> QuerySet[Any]:
    """Open requests of the principal's scope with ``eff_due``: the extended due date when extended."""
    return (
        scoped_requests(principal)
        .exclude(status__in=CLOSED)
        .annotate(eff_due=Case(When(extended=True, then=F("extended_due")), default=F("due")))
    )


def _which(which: str, today: dt.date) -> Q:
    """The SQL form of ``tutela.rights.deadlines.deadline_state`` for one filter of the lists."""
    from tutela.rights.deadlines import AT_RISK_DAYS

    running = ~Q(status="on_hold")
    if which == "overdue":
        return running & Q(eff_due__lt=today)
    if which == "at_risk":
        return running & Q(eff_due__gte=today, eff_due__lte=today + dt.timedelta(days=AT_RISK_DAYS))
    if which == "at_risk_not_today":
        return _which("at_risk", today) & ~Q(eff_due=today)
    if which == "due_today":
        return Q(eff_due=today)
    if which == "identity_pending":
        return Q(status="identity_pending")
    return Q()


def open_requests(
    principal: Principal, *, which: str = "open", limit: int = LIST_LIMIT
) -> list[dict[str, Any]]:
    """Open requests (``which``: open | overdue | at_risk | due_today | identity_pending, filtered in SQL)
    with their deadline state, soonest due first (one query)."""
    from tutela.rights.deadlines import deadline_state

    today = clock.today()
    rows = (
        _open_with_due(principal)
        .filter(_which(which, today))
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
        .order_by("eff_due", "id")[:limit]
    )
    out = []
    for r in rows:
        due = r.extended_due if r.extended else r.due
        state = deadline_state(due=due, today=today, paused=r.status == "on_hold")
        out.append({"request": r, "due": due, "state": state, "days_left": (due - today).days})
    return out


def request_counts(principal: Principal) -> dict[str, int]:
    """How many open requests are open, overdue, due today, at risk (not due today) and waiting for the
    person's identity: one aggregate query, whatever the number of requests."""
    today = clock.today()
    return _open_with_due(principal).aggregate(
        open=Count("id"),
        overdue=Count("id", filter=_which("overdue", today)),
        due_today=Count("id", filter=_which("due_today", today)),
        at_risk=Count("id", filter=_which("at_risk_not_today", today)),
        waiting_identity=Count("id", filter=_which("identity_pending", today)),
    )


def requests_panel(principal: Principal) -> dict[str, Any]:
    counts = request_counts(principal)
    show = 50  # rows listed per group on the morning page; the numbers above them are complete
    return {
        "due_today": open_requests(principal, which="due_today", limit=show) if counts["due_today"] else [],
        "at_risk": open_requests(principal, which="at_risk_not_today", limit=show)
        if counts["at_risk"]
        else [],
        "overdue": open_requests(principal, which="overdue", limit=show) if counts["overdue"] else [],
        "counts": counts,
        "open_count": counts["open"],
        "waiting_identity": counts["waiting_identity"],
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


def consent_statistics(principal: Principal, months: list[str]) -> dict[str, Any] | None:
    """Consents given and withdrawn per month (one aggregate query): the whole group for the group-wide
    roles, otherwise the principal's controller and the consents given to both."""
    try:
        from tutela.consent.models import ConsentEvent
    except ImportError:
        return None
    first = dt.date.fromisoformat(months[0] + "-01")
    start = dt.datetime.combine(first, dt.time(), tzinfo=clock.BRUSSELS)
    per: dict[str, dict[str, int]] = defaultdict(dict)
    totals: dict[str, int] = defaultdict(int)
    events = ConsentEvent.objects.filter(at__gte=start)
    if not principal.is_group_wide:
        events = events.filter(controller__in=["", principal.controller])
    grouped = (
        events.annotate(month=TruncMonth("at", tzinfo=clock.BRUSSELS))
        .values("month", "kind")
        .annotate(n=Count("id"))
    )
    for row in grouped:
        per[row["kind"]][row["month"].strftime("%Y-%m")] = row["n"]
        totals[row["kind"]] += row["n"]
    return {"per_month_by_kind": dict(per), "totals": dict(totals)}
