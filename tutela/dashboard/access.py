"""Who may open a staff page: a logged-in account with a Tutela role, verified by its second factor."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect

from tutela.accounts.principal import Principal, principal_for_user
from tutela.core.audit import set_actor

LOGIN_PATH = "/staff/login/"


def login_redirect(request: HttpRequest) -> HttpResponseRedirect:
    return redirect(f"{LOGIN_PATH}?{urlencode({'next': request.get_full_path()})}")


def is_verified(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def staff_principal(request: HttpRequest) -> Principal | None:
    """The principal of a verified staff session, or None (stranger, password only, no Tutela role)."""
    if not is_verified(request):
        return None
    return principal_for_user(request.user)


def may_read_breaches(principal: Principal) -> bool:
    """The breach register is open to the DPO, privacy officers and auditors: the rule the breach services
    apply themselves (``tutela.accounts.permissions.may_read_breaches``); the pages ask it to show or hide."""
    from tutela.accounts import permissions

    return permissions.may_read_breaches(principal)


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Strangers and half-logged-in sessions go to the login page; accounts without a role get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_verified(request):
            return login_redirect(request)
        principal = principal_for_user(request.user)
        if principal is None:
            raise PermissionDenied("this account has no Tutela role")
        set_actor(principal.actor)
        request.principal = principal  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def protect_admin(site: AdminSite) -> None:
    """The admin registers open only to verified staff; its own password-only login is replaced by ours."""
    original = site.has_permission

    def has_permission(request: HttpRequest) -> bool:
        return bool(original(request)) and is_verified(request)

    def login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        target = request.GET.get("next") or "/admin/"
        return redirect(f"{LOGIN_PATH}?{urlencode({'next': target})}")

    site.has_permission = has_permission  # type: ignore[method-assign]
    site.login = login  # type: ignore[method-assign]
