"""The rights pages: one form per right, the e-mail verification link, the private status page.

Nothing here decides anything: the rights app's services open, verify and answer requests. A visitor who
is not verified never sees personal data: the status page shows the request's type, dates and state only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from tutela.accounts.principal import public_principal
from tutela.core.audit import audit_log
from tutela.core.errors import Conflict, InvalidInput, NotFound, Refused
from tutela.portal.context import portal_context
from tutela.portal.forms import RightRequestForm
from tutela.portal.ids import parse_id
from tutela.portal.labels import right_view
from tutela.portal.optional import resolve
from tutela.portal.ratelimit import allow

SERVICE_ERRORS = (InvalidInput, NotFound, Refused, Conflict)
#: an old link's request number (ASCII digits: "²" or "٣" are no number)
NUMBER_SHAPE = re.compile(r"[0-9]{1,18}")
#: the public on the portal: acts on a request only through the private link's token (and its code)
PORTAL = public_principal("portal")

STATE_LABELS = {
    "received": gettext_lazy("received"),
    "identity_pending": gettext_lazy("waiting for your confirmation"),
    "on_hold": gettext_lazy("waiting for information from you"),
    "in_progress": gettext_lazy("being handled"),
    "answered": gettext_lazy("answered"),
    "refused": gettext_lazy("refused (see our letter)"),
    "withdrawn": gettext_lazy("withdrawn"),
}
CLOSED_STATES = ("answered", "refused", "withdrawn")
DOWNLOAD_TYPES = ("access", "portability")


def rate_limited(request: HttpRequest) -> HttpResponse:
    context = portal_context(request)
    return render(request, "portal/rate_limited.html", context, status=429)


def not_available(request: HttpRequest, what: str) -> HttpResponse:
    context = portal_context(request, what=what)
    return render(request, "portal/not_available.html", context, status=503)


def rights_index(request: HttpRequest) -> HttpResponse:
    context = portal_context(request, nav="rights")
    policy = context["policy"]
    context["rights"] = [right_view(k, r) for k, r in policy.rights.items()] if policy else []
    return render(request, "portal/rights.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def right_form(request: HttpRequest, right: str) -> HttpResponse:
    context = portal_context(request, nav="rights")
    policy = context["policy"]
    rule = policy.rights.get(right) if policy else None
    if rule is None:
        raise Http404("no such right")
    purposes = [(key, p.name) for key, p in policy.purposes.items()]
    form = RightRequestForm(request.POST or None, rule=rule, right=right, purposes=purposes)
    context.update(right=right, rule=right_view(right, rule), form=form)
    if request.method == "POST":
        if not allow(request, "rights", request.POST.get("email")):
            return rate_limited(request)
        if form.is_valid():
            opener = resolve("tutela.rights.services.request_open")
            if opener is None:
                return not_available(request, _("Online requests"))
            try:
                _open_request(opener, right=right, data=form.cleaned_data, request=request)
            except SERVICE_ERRORS as exc:
                form.add_error(None, str(exc))
            else:
                # the private link and the code go by e-mail to the address held for the person only:
                # this page shows neither, and reads the same whether or not anyone holds the address
                return redirect(reverse("portal-request-sent"))
        return render(request, "portal/right_form.html", context, status=400)
    return render(request, "portal/right_form.html", context)


def _open_request(opener: Any, *, right: str, data: dict[str, Any], request: HttpRequest) -> Any:
    """Adapter to the rights app's intake (``request_open``), as the public: the signature the policy asks
    for is recorded in the same call, so a refused signature opens nothing."""
    details = {
        k: v
        for k, v in {
            "text": data.get("details") or "",
            "name": data.get("name") or "",
            "transmit_to": data.get("transmit_to") or "",
            # the person's reasons are what the objection rules weigh (policy §10.1 B)
            "reasons": data.get("details") or "" if right == "objection" else "",
        }.items()
        if v
    }
    signature = f"portal:{data['signature']}" if data.get("signature") else ""
    return opener(
        type=right,
        identifier=data["email"],
        channel="portal",
        language=translation.get_language() or "en",
        purpose=data.get("purpose") or "",
        details=details,
        signed_on=data.get("signed_on") if signature else None,
        signature=signature,
        principal=PORTAL,
    )


def request_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/request_sent.html", portal_context(request, nav="rights"))


#: wrong codes allowed per private link and per hour, and per address (a code is six digits, lives 48
#: hours and dies after five wrong ones)
VERIFY_LIMIT = 10


@never_cache
@require_http_methods(["GET", "POST"])
def request_verify(request: HttpRequest, token: str) -> HttpResponse:
    """``/requests/verify/<number>/``, the page of older links by request number. A request number is not a
    proof: the page still opens, but no code posted to it is checked — it verifies nothing and counts
    against nobody's code. Only the private link's token (:func:`request_verify_link`), mailed to the
    address held for the person, designates a request."""
    number = token.strip()
    if not NUMBER_SHAPE.fullmatch(number) or parse_id(number) is None:
        raise Http404("no such request")
    return _verify_page(request, number, by_number=True)


@never_cache
@require_http_methods(["GET", "POST"])
def request_verify_link(request: HttpRequest) -> HttpResponse:
    """The link of the verification e-mail, ``/requests/verify/?token=<status token>``: the person types
    the six-digit code of the same e-mail; on success the private status page opens. GET never verifies
    (mail scanners follow links); POST does."""
    token = (request.POST.get("token") or request.GET.get("token") or "").strip()
    return _verify_page(request, token)


def _verify_page(request: HttpRequest, token: str, *, by_number: bool = False) -> HttpResponse:
    if not token:
        raise Http404("no such request")
    code = (request.POST.get("code") or request.GET.get("code") or "").strip()
    if request.method == "GET" and not by_number:
        # the e-mailed link has no language prefix: open the page in the language of the request
        lookup = resolve("tutela.rights.services.request_by_token")
        try:
            req = lookup(token, principal=PORTAL) if lookup else None
        except SERVICE_ERRORS:
            req = None
        current = translation.get_language() or "en"
        if req is not None and req.language != current and req.language in dict(settings.LANGUAGES):
            return redirect(translate_url(request.get_full_path(), req.language))
    context = portal_context(request, nav="rights", token=token, code=code, by_token=not by_number)
    if request.method == "POST":
        limit = min(VERIFY_LIMIT, settings.TUTELA_RATE_LIMIT_PER_HOUR)
        if not allow(request, "verify", f"token:{token}", limit=limit):
            return rate_limited(request)
        if by_number:
            context["failed"] = True
            return render(request, "portal/request_verify.html", context, status=400)
        verify = resolve("tutela.rights.services.request_verify_by_token")
        if verify is None:
            return not_available(request, _("Identity verification"))
        try:
            verify(status_token=token, code=code or "-", principal=PORTAL)
        except Conflict:
            pass  # already verified: the status page says so
        except SERVICE_ERRORS:
            context["failed"] = True
            return render(request, "portal/request_verify.html", context, status=400)
        return redirect(reverse("portal-request-status", args=[token]) + "?verified=1")
    return render(request, "portal/request_verify.html", context)


def _status_for(token: str) -> Any:
    lookup = resolve("tutela.rights.services.request_by_token")
    if lookup is None:
        return None
    try:
        return lookup(token, principal=PORTAL)
    except SERVICE_ERRORS:
        raise Http404("no such request") from None


@never_cache
def request_status(request: HttpRequest, token: str) -> HttpResponse:
    if not allow(request, "status", limit=120):
        return rate_limited(request)
    status = _status_for(token)
    if status is None:
        return not_available(request, _("Request status"))
    context = portal_context(
        request,
        nav="rights",
        status=status,
        token=token,
        new=request.GET.get("new") == "1",
        verified=request.GET.get("verified") == "1",
    )
    policy = context["policy"]
    rule = policy.rights.get(status.type) if policy else None
    context.update(
        type_label=right_view(status.type, rule)["name"] if rule else status.type,
        state_label=STATE_LABELS.get(status.status, status.status),
        closed=status.status in CLOSED_STATES,
        download=_package_path(status) is not None,
    )
    return render(request, "portal/request_status.html", context)


def _package_path(req: Any) -> Path | None:
    """The access or portability package of an answered, identity-verified request, when it exists."""
    if req.status != "answered" or req.identity_verified_at is None or req.type not in DOWNLOAD_TYPES:
        return None
    raw = (req.details or {}).get("package")
    if not raw:
        return None
    path = Path(str(raw))
    roots = {Path(settings.TUTELA_EXPORT_DIR).resolve(), (Path(settings.TUTELA_HOME) / "exports").resolve()}
    if not any(path.resolve().is_relative_to(root) for root in roots):
        return None
    return path if path.is_file() else None


@never_cache
def request_download(request: HttpRequest, token: str) -> HttpResponseBase:
    """The package, from the private link only, once the request is verified and answered; the read is
    audited."""
    if not allow(request, "download", limit=60):
        return rate_limited(request)
    req = _status_for(token)
    if req is None:
        return not_available(request, _("Downloads"))
    path = _package_path(req)
    if path is None:
        raise Http404("nothing to download")
    with transaction.atomic():
        audit_log(
            "request.package_download",
            object_type="request",
            object_id=req.pk,
            subject_id=req.subject_id,
            payload={"channel": "portal"},
            actor=PORTAL.actor,
        )
    response = FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
    response["Cache-Control"] = "no-store"
    return response
