"""Request handling: the list with countdowns, one request, and the actions (verify identity, record the
signature, decide, pause, extend, fulfil — which sends the letter). Each action is one rights service call."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tutela.accounts.principal import Principal
from tutela.core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied, Refused
from tutela.dashboard import queries
from tutela.dashboard.access import staff_required
from tutela.portal.ids import parse_id
from tutela.portal.optional import resolve

SERVICE_ERRORS = (InvalidInput, NotFound, Refused, Conflict, PermissionDenied)
FILTERS = ("open", "overdue", "at_risk", "identity_pending")
#: how staff may have checked a person's identity (the choices of the form on the request page)
IDENTITY_METHODS = ("staff", "id_document", "phone_callback")  # tutela.rights.services.STAFF_METHODS


@staff_required
def request_list(request: HttpRequest) -> HttpResponse:
    principal: Principal = request.principal  # type: ignore[attr-defined]
    if resolve("tutela.rights.deadlines.deadline_state") is None:
        return render(request, "dashboard/pending.html", {"nav": "requests"})
    which = request.GET.get("show", "open")
    which = which if which in FILTERS else "open"
    # filtered in SQL before the limit: with many open requests, every overdue one is still found
    rows = queries.open_requests(principal, which=which)
    context = {"nav": "requests", "rows": rows, "show": which, "filters": FILTERS}
    return render(request, "dashboard/requests.html", context)


def _visible_request(principal: Principal, ref: str) -> Any:
    request_id = parse_id(ref)
    if request_id is None:
        raise Http404("no such request")
    req = queries.scoped_requests(principal).filter(pk=request_id).first()
    if req is None:
        raise Http404("no such request")
    return req


@staff_required
def request_detail(request: HttpRequest, ref: str) -> HttpResponse:
    principal: Principal = request.principal  # type: ignore[attr-defined]
    req = _visible_request(principal, ref)
    from tutela.rights.fulfil import conditions
    from tutela.rights.selectors import request_detail as detail

    data = detail(req.pk, principal=principal)
    unmet = conditions(req) if not req.is_closed else []
    person = None
    if req.subject_id is not None:
        from tutela.subjects.scoping import can_see_subject

        if can_see_subject(principal, req.subject_id):
            person = req.subject
    categories: list[str] = []
    if req.type == "rectification" and person is not None:
        from tutela.subjects.selectors import subject_items

        categories = sorted(
            set(subject_items(req.subject_id, principal=principal).values_list("category", flat=True))
        )
    context = {
        "nav": "requests",
        "categories": categories,
        "req": req,
        "data": data,
        "unmet": unmet,
        "person": person,
        "principal": principal,
    }
    return render(request, "dashboard/request.html", context)


def _int(value: str | None) -> int | None:
    return parse_id(value)


def _act(action: str, req: Any, post: Any, principal: Principal) -> str:
    """Run one action; returns the message to show. Raises the service's errors."""
    version = _int(post.get("version"))
    if action == "verify":
        from tutela.rights.services import request_verify

        method = post.get("method") or "staff"
        if method not in IDENTITY_METHODS:
            raise InvalidInput(
                _("Choose how the identity was checked."),
                errors=[FieldError(", ".join(IDENTITY_METHODS), field="method")],
            )
        request_verify(
            request_id=req.pk,
            method=method,
            how=(post.get("how") or "").strip(),
            expected_version=version,
            principal=principal,
        )
        return _("Identity recorded as verified.")
    if action == "sign":
        from tutela.rights.services import request_sign

        try:
            signed_on = dt.date.fromisoformat(post.get("signed_on") or "")
        except ValueError:
            raise InvalidInput(_("Give the date of the signature.")) from None
        request_sign(
            request_id=req.pk,
            signed_on=signed_on,
            signature=post.get("signature") or "",
            expected_version=version,
            principal=principal,
        )
        return _("Signature recorded.")
    if action == "decide":
        from tutela.rights.fulfil import request_decide

        request_decide(
            request_id=req.pk,
            grant=post.get("grant") == "yes",
            balancing=post.get("balancing") or "",
            principal=principal,
            expected_version=version,
        )
        return _("Decision recorded.")
    if action == "pause":
        from tutela.rights.services import request_pause

        request_pause(
            request_id=req.pk, reason=post.get("reason") or "", expected_version=version, principal=principal
        )
        return _("The clock is paused while we wait for the person.")
    if action == "resume":
        from tutela.rights.services import request_resume

        request_resume(request_id=req.pk, expected_version=version, principal=principal)
        return _("The clock runs again.")
    if action == "extend":
        from tutela.rights.services import request_extend

        request_extend(
            request_id=req.pk, reason=post.get("reason") or "", expected_version=version, principal=principal
        )
        return _("Deadline extended; the person is told why.")
    if action == "changes":
        from tutela.rights.services import request_details_update

        category = (post.get("category") or "").strip()
        value = (post.get("value") or "").strip()
        if not category or not value:
            raise InvalidInput(_("Give the category and the correct value."))
        changes = [*(req.details.get("changes") or []), {"category": category, "value": value}]
        request_details_update(
            request_id=req.pk, details={"changes": changes}, expected_version=version, principal=principal
        )
        return _("Correction recorded; it is applied when the request is fulfilled.")
    if action == "fulfil":
        from tutela.rights.fulfil import request_fulfil

        result = request_fulfil(request_id=req.pk, expected_version=version, principal=principal)
        return _("Request carried out (%(outcome)s); the letter is sent.") % {"outcome": result.outcome}
    raise Http404("no such action")


@require_POST
@staff_required
def request_action(request: HttpRequest, ref: str, action: str) -> HttpResponse:
    principal: Principal = request.principal  # type: ignore[attr-defined]
    req = _visible_request(principal, ref)
    if not principal.can_write:
        raise Http404("read-only account")
    try:
        text = _act(action, req, request.POST, principal)
    except SERVICE_ERRORS as exc:
        details = "; ".join(e.message for e in getattr(exc, "errors", []) or [])
        messages.error(request, f"{exc}{': ' + details if details else ''}")
    else:
        messages.success(request, text)
    return redirect("dashboard:request", ref=req.pk)
