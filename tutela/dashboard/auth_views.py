"""Staff login in two steps: password (with axes lockout), then a TOTP code (enrolled on first login).

The Django session is logged in only after the second factor succeeds: between the two steps the session
holds just the id of the pending account, for a few minutes. A password alone opens nothing.
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
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from tutela.core.audit import audit_log

PENDING_KEY = "tutela_pending_login"
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
    return render(request, "dashboard/login.html", {"form": form, "next": next_url}, status=status)


def _qr_data_uri(url: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@never_cache
@csrf_protect
def verify_view(request: HttpRequest) -> HttpResponse:
    """Second step: the code of the enrolled device, or enrolment of a first device."""
    user = _pending_user(request)
    if user is None:
        return redirect("/staff/login/")
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    assert device is not None
    form = TokenForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            with transaction.atomic():
                if enrolling:
                    device.confirmed = True
                    device.save(update_fields=["confirmed"])
                    audit_log(
                        "staff.otp_enrol",
                        object_type="user",
                        object_id=user.pk,
                        actor=f"user:{user.username}",
                    )
            request.session.pop(PENDING_KEY, None)
            auth.login(request, user, backend=user.backend)
            django_otp.login(request, device)
            return redirect(next_url)
        error = str(_("That code is not right (or was already used). Try the next one."))
    context: dict[str, Any] = {"form": form, "next": next_url, "enrolling": enrolling, "error": error}
    if enrolling:
        context["qr"] = _qr_data_uri(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "dashboard/verify.html", context, status=400 if error else 200)


@require_POST
@csrf_protect
def logout_view(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return redirect("/staff/login/")
