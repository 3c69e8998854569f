"""Breach pages: the register, the report form, one breach with its clocks. Calls the breach app only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Refused
from tutela.dashboard.access import may_read_breaches, staff_required
from tutela.dashboard.forms import BreachReportForm
from tutela.portal.ids import parse_id
from tutela.portal.optional import resolve

SERVICE_ERRORS = (InvalidInput, NotFound, Refused, Conflict, PermissionDenied)


def _pending(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/pending.html", {"nav": "breaches"})


@staff_required
def breach_list(request: HttpRequest) -> HttpResponse:
    listing = resolve("tutela.breaches.selectors.breach_list")
    if listing is None:
        return _pending(request)
    principal: Principal = request.principal  # type: ignore[attr-defined]
    if not may_read_breaches(principal):
        raise Forbidden("only the DPO, privacy officers and auditors see the breach register")
    rows = listing()
    return render(request, "dashboard/breaches.html", {"nav": "breaches", "rows": rows})


@staff_required
@require_http_methods(["GET", "POST"])
def breach_new(request: HttpRequest) -> HttpResponse:
    report = resolve("tutela.breaches.services.breach_report")
    if report is None:
        return _pending(request)
    from tutela.breaches.models import IncidentType
    from tutela.breaches.services import Reporter
    from tutela.policy.selectors import active_policy

    principal: Principal = request.principal  # type: ignore[attr-defined]
    if not principal.can_write:
        raise Forbidden("a read-only account does not report breaches")
    controllers = [(k, c.name) for k, c in active_policy().controllers.items()]
    if not principal.is_group_wide:
        controllers = [(k, n) for k, n in controllers if k == principal.controller]
    user: Any = request.user
    initial = {
        "reporter_name": user.get_full_name() or user.username,
        "reporter_email": user.email,
        "controller": principal.controller,
    }
    form = BreachReportForm(
        request.POST or None,
        initial=initial,
        incident_types=list(IncidentType.choices),
        controllers=controllers,
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            breach = report(
                reporter=Reporter(
                    name=d["reporter_name"],
                    address=d["reporter_address"],
                    phone=d["reporter_phone"],
                    email=d.get("reporter_email") or "",
                ),
                incident_type=d["incident_type"],
                description=d["description"],
                people_concerned=d.get("people_concerned"),
                detected_at=clock.as_aware(d["detected_at"]) if d.get("detected_at") else None,
                summary=d.get("summary") or "",
                controller=d.get("controller") or "",
            )
        except SERVICE_ERRORS as exc:
            form.add_error(None, str(exc))
            for err in getattr(exc, "errors", []) or []:
                form.add_error(None, f"{err.field}: {err.message}" if err.field else err.message)
        else:
            messages.success(request, _("Breach reported; the DPO is alerted and the clocks run."))
            if may_read_breaches(principal):
                return redirect("dashboard:breach", ref=breach.pk)
            return redirect("dashboard:index")
    status = 400 if request.method == "POST" else 200
    return render(request, "dashboard/breach_new.html", {"nav": "breaches", "form": form}, status=status)


@staff_required
def breach_detail(request: HttpRequest, ref: str) -> HttpResponse:
    detail = resolve("tutela.breaches.selectors.breach_detail")
    if detail is None:
        return _pending(request)
    breach_id = parse_id(ref)
    if breach_id is None:
        raise Http404("no such breach")
    principal: Principal = request.principal  # type: ignore[attr-defined]
    if not may_read_breaches(principal):
        raise Forbidden("only the DPO, privacy officers and auditors see the breach register")
    try:
        data = detail(breach_id)
    except NotFound:
        raise Http404("no such breach") from None
    context = {"nav": "breaches", "b": data, "principal": principal}
    return render(request, "dashboard/breach.html", context)


@require_POST
@staff_required
def breach_investigate(request: HttpRequest, ref: str) -> HttpResponse:
    start = resolve("tutela.breaches.services.breach_start_investigation")
    principal: Principal = request.principal  # type: ignore[attr-defined]
    breach_id = parse_id(ref)
    if start is None or breach_id is None or not principal.can_decide:
        raise Http404("not available")
    try:
        start(breach_id=breach_id)
    except SERVICE_ERRORS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Investigation started."))
    return redirect("dashboard:breach", ref=ref)
