"""The morning page of the DPO. Thin: every number comes from another app's selector."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tutela.core.audit_proof import audit_status
from tutela.dashboard.access import staff_required
from tutela.dashboard.panels import dashboard_panels

#: audit entries the dashboard verifies per view beyond the last verification (the rest on later views)
AUDIT_TAIL_LIMIT = 20_000


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    context: dict[str, Any] = {"nav": "home", "principal": principal}
    context.update(dashboard_panels(principal))
    # the audit chain's state: the last verification and what was written since (a banner when broken)
    context["audit"] = audit_status(tail_limit=AUDIT_TAIL_LIMIT)
    requests = context.get("requests")
    if requests:
        context["requests_groups"] = [requests["overdue"], requests["due_today"], requests["at_risk"]]
    return render(request, "dashboard/index.html", context)
