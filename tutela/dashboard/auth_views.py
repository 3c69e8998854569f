"""Staff login in two steps: password (with axes lockout), then a TOTP code.

The Django session is logged in only after the second factor succeeds: between the two steps the session
holds just the id of the pending account, for a few minutes. A password alone opens nothing, and enrols
nothing either: an account without an authenticator enrols one only with a one-time enrolment link (or its
code) issued by the DPO or the CLI (``tutela.accounts.enrolment``). The session keeps the link's digest,
never the link itself.
"""

from __future__ import annotations

import base64
import io
import re
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import django_otp
from django import forms
from django.contrib import auth
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from tutela.accounts.enrolment import (
    enrolment_complete,
    enrolment_digest,
    enrolment_valid,
)
from tutela.core.errors import InvalidInput

PENDING_KEY = "tutela_pending_login"
#: the digest of the enrolment link this browser opened, and the device being enrolled with it
ENROL_KEY = "tutela_enrolment"
#: seconds a password-verified session has to give its second factor
PENDING_SECONDS = 300
DEVICE_NAME = "authenticator app"


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*"}
        ),
    )

    def clean_token(self) -> str:
        value = "".join(self.cleaned_data["token"].split())
        if not re.fullmatch(r"[0-9]{6,8}", value):
            raise forms.ValidationError(_("The code has digits only."))
        return value


def _safe_next(request: HttpRequest, value: str | None) -> str:
    """Where to go after logging in: a path on this site (an absolute address of this host is reduced to
    its path); anything else is the dashboard."""
    if not value or not url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/staff/"
    parts = urlsplit(value)
    path = parts.path
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/staff/"
    return path + (f"?{parts.query}" if parts.query else "")


def _pending_user(request: HttpRequest) -> Any:
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user = auth.get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is not None:
        user.backend = pending["backend"]
    return user


@never_cache
@csrf_protect
@sensitive_post_parameters("password")
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        request.session.cycle_key()
        request.session[PENDING_KEY] = {"user": user.pk, "backend": user.backend, "at": time.time()}
        return redirect(f"/staff/verify/?{urlencode({'next': next_url})}")
    status = 200 if request.method == "GET" or form.is_valid() else 400
    context = {"form": form, "next": next_url, "enrolment": bool(request.session.get(ENROL_KEY))}
    return render(request, "dashboard/login.html", context, status=status)


def _qr_data_uri(url: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


class EnrolmentCodeForm(forms.Form):
    enrolment_code = forms.CharField(
        label=_("Enrolment code from the DPO"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_enrolment_code(self) -> str:
        """The code, or the whole link pasted instead of it."""
        value = "".join(self.cleaned_data["enrolment_code"].split())
        found = re.search(r"/staff/enrol/([^/?#]+)/?$", value)
        return found.group(1) if found else value


@never_cache
def enrol_view(request: HttpRequest, code: str) -> HttpResponse:
    """The enrolment link: remembered (as its digest) for this browser, then the usual login steps."""
    digest = enrolment_digest(code)
    if enrolment_valid(digest=digest) is None:
        return render(request, "dashboard/enrol_invalid.html", status=404)
    request.session[ENROL_KEY] = {"digest": digest}
    if _pending_user(request) is not None:
        return redirect("/staff/verify/")
    return redirect("/staff/login/")


def _enrolment_device(request: HttpRequest, user: Any) -> TOTPDevice:
    """The unconfirmed device this enrolment shows: the same one on every page of it, a new seed for a new
    enrolment (any seed shown earlier, to whoever it was, is thrown away)."""
    state = request.session.get(ENROL_KEY) or {}
    device = None
    if state.get("device"):
        device = TOTPDevice.objects.filter(pk=state["device"], user=user, confirmed=False).first()
    if device is None:
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        request.session[ENROL_KEY] = {**state, "device": device.pk}
    return device


def _finish(request: HttpRequest, user: Any, device: TOTPDevice, next_url: str) -> HttpResponseRedirect:
    request.session.pop(PENDING_KEY, None)
    request.session.pop(ENROL_KEY, None)
    auth.login(request, user, backend=user.backend)
    django_otp.login(request, device)
    return redirect(next_url)


@never_cache
@csrf_protect
@sensitive_post_parameters("enrolment_code")
def verify_view(request: HttpRequest) -> HttpResponse:
    """Second step: the code of the enrolled device, or enrolment of a first device with an enrolment link."""
    user = _pending_user(request)
    if user is None:
        return redirect("/staff/login/")
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    context: dict[str, Any] = {"next": next_url, "error": ""}
    if device is not None:
        form = TokenForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if device.verify_token(form.cleaned_data["token"]):
                return _finish(request, user, device, next_url)
            context["error"] = str(_("That code is not right (or was already used). Try the next one."))
        context.update(form=form, enrolling=False)
        return render(request, "dashboard/verify.html", context, status=400 if context["error"] else 200)

    # no authenticator yet: enrolment needs a link (or its code) issued by the DPO
    if request.method == "POST" and "enrolment_code" in request.POST:
        code_form = EnrolmentCodeForm(request.POST)
        if code_form.is_valid():
            digest = enrolment_digest(code_form.cleaned_data["enrolment_code"])
            if enrolment_valid(digest=digest, user=user) is not None:
                request.session[ENROL_KEY] = {"digest": digest}
                return redirect(f"/staff/verify/?{urlencode({'next': next_url})}")
        context["error"] = str(_("That enrolment code is not valid (used, replaced or expired)."))
    digest = (request.session.get(ENROL_KEY) or {}).get("digest", "")
    if enrolment_valid(digest=digest, user=user) is None:
        if digest and not context["error"]:
            context["error"] = str(_("That enrolment link is used, replaced or expired."))
        request.session.pop(ENROL_KEY, None)
        context.update(needs_enrolment=True, code_form=EnrolmentCodeForm())
        return render(request, "dashboard/verify.html", context, status=400 if context["error"] else 200)

    device = _enrolment_device(request, user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            try:
                enrolment_complete(digest=digest, user=user, device=device)
            except InvalidInput:
                request.session.pop(ENROL_KEY, None)
                context.update(needs_enrolment=True, code_form=EnrolmentCodeForm())
                context["error"] = str(_("That enrolment link is used, replaced or expired."))
                return render(request, "dashboard/verify.html", context, status=400)
            return _finish(request, user, device, next_url)
        context["error"] = str(_("That code is not right (or was already used). Try the next one."))
    context.update(
        form=form,
        enrolling=True,
        qr=_qr_data_uri(device.config_url),
        secret=base64.b32encode(device.bin_key).decode(),
    )
    return render(request, "dashboard/verify.html", context, status=400 if context["error"] else 200)


@require_POST
@csrf_protect
def logout_view(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return redirect("/staff/login/")
