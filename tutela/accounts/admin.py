"""Staff accounts, roles, API tokens and second factors in the admin, every change audited.

Every admin register that decides who may log in or what they may do (users, groups, staff profiles, API
tokens, enrolment links, TOTP and backup-code devices, login lockouts) is registered here with
:class:`AuditedAdmin`: adding, changing or deleting a row through the admin writes an audit entry
(``admin.add`` / ``admin.change`` / ``admin.delete``) in the admin's own transaction, with the logged-in
staff member as the actor and the fields before and after (secrets only as "changed"). Token secrets and
TOTP seeds are never shown; enrolment links are issued by an action on the users' list.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from tutela.accounts.models import ApiToken, EnrolmentToken, StaffProfile
from tutela.core.audit import audit_log

#: fields whose values never reach the audit trail (only that they changed)
SECRET_FIELDS = frozenset({"password", "key", "token_hash", "token"})


def _actor(request: HttpRequest) -> str:
    return f"user:{request.user.get_username()}"


def _snapshot(obj: models.Model) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        values[field.name] = "(secret)" if field.name in SECRET_FIELDS else value
    return values


def _raw_snapshot(obj: models.Model) -> dict[str, Any]:
    return {f.name: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose additions, changes and deletions are in the audit trail with the real actor."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = None
        if change and obj.pk is not None:
            old = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = _raw_snapshot(old) if old is not None else None
        super().save_model(request, obj, form, change)
        obj._tutela_before = before

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        self._audit(request, "admin.add", obj, {"after": _snapshot(obj)})
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        payload: dict[str, Any] = {"message": _plain_message(message)}
        before = getattr(obj, "_tutela_before", None)
        if before is not None:
            after = _raw_snapshot(obj)
            payload["changes"] = {
                name: (
                    "(secret changed)"
                    if name in SECRET_FIELDS
                    else {"before": before[name], "after": after[name]}
                )
                for name in after
                if before.get(name) != after[name]
            }
        self._audit(request, "admin.change", obj, payload)
        return entry

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            self._audit(request, "admin.delete", obj, {"before": _snapshot(obj)})
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self._audit(request, "admin.delete", obj, {"before": _snapshot(obj)})
            super().delete_queryset(request, queryset)

    def _audit(self, request: HttpRequest, action: str, obj: Any, payload: dict[str, Any]) -> None:
        audit_log(
            action,
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            payload=json.loads(DjangoJSONEncoder().encode({"object": str(obj), **payload})),
            actor=_actor(request),
        )


def _plain_message(message: Any) -> Any:
    """The admin's change message (a list of dicts, or text) as JSON-safe data."""
    if isinstance(message, list | tuple):
        return [dict(part) if isinstance(part, dict) else str(part) for part in message]
    return str(message)


def _issue_links(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any], *, reset: bool
) -> HttpResponse:
    from tutela.accounts.enrolment import enrolment_issue
    from tutela.accounts.principal import principal_for_user
    from tutela.core.errors import TutelaError

    principal = principal_for_user(request.user)
    rows = []
    for user in queryset.order_by("username"):
        try:
            if principal is None:
                raise TutelaError("your account has no Tutela role")
            issued = enrolment_issue(principal=principal, username=user.username, reset=reset)
        except TutelaError as exc:
            rows.append({"username": user.username, "error": exc.message})
            continue
        rows.append(
            {
                "username": user.username,
                "url": issued.url,
                "code": issued.code,
                "expires_at": issued.expires_at,
            }
        )
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Enrolment links"),
        "rows": rows,
        "opts": modeladmin.model._meta,
    }
    response = TemplateResponse(request, "accounts/enrolment_links.html", context)
    response["Cache-Control"] = "no-store"
    return response


@admin.action(description=_("Issue an authenticator enrolment link"))
def issue_enrolment_link(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
    return _issue_links(modeladmin, request, queryset, reset=False)


@admin.action(description=_("Replace the authenticator (lost phone): remove it and issue an enrolment link"))
def reset_and_issue_enrolment_link(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse:
    return _issue_links(modeladmin, request, queryset, reset=True)


@admin.register(StaffProfile)
class StaffProfileAdmin(AuditedAdmin):
    list_display = ("user", "role", "controller", "archive_access")
    list_filter = ("role", "controller")


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "token_hash", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are created with `tutela token create`, which shows the secret once

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(EnrolmentToken)
class EnrolmentTokenAdmin(AuditedAdmin):
    """Issued enrolment links, read-only (issue them with the users' action or `tutela user enrol`)."""

    list_display = ("user", "issued_by", "created_at", "expires_at", "used_at", "revoked_at")
    list_filter = ("used_at", "revoked_at")
    readonly_fields = ("user", "token_hash", "issued_by", "created_at", "expires_at", "used_at", "revoked_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _no_add(self: Any, request: HttpRequest) -> bool:
    return False


def _no_change(self: Any, request: HttpRequest, obj: Any = None) -> bool:
    return False


def _audited(model: type[models.Model], extra: dict[str, Any] | None = None) -> None:
    """Register ``model`` again with its current admin class made an :class:`AuditedAdmin`."""
    current = admin.site._registry.get(model)
    if current is None:
        return
    base = type(current)
    if issubclass(base, AuditedAdmin):
        return
    admin.site.unregister(model)
    admin.site.register(model, type(f"Audited{base.__name__}", (AuditedAdmin, base), dict(extra or {})))


def _audit_other_registers() -> None:
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user_admin = admin.site._registry.get(get_user_model())
    actions = [
        *(getattr(user_admin, "actions", None) or ()),
        issue_enrolment_link,
        reset_and_issue_enrolment_link,
    ]
    _audited(get_user_model(), {"actions": actions})
    _audited(Group)
    # second factors are enrolled only by their person, with an enrolment link: the admin views and
    # deletes devices (a lost phone) but neither adds one nor edits a device's backup codes
    _audited(TOTPDevice, {"has_add_permission": _no_add})
    _audited(StaticDevice, {"has_add_permission": _no_add, "has_change_permission": _no_change})
    try:
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    except ImportError:  # pragma: no cover - axes is installed with Tutela
        return
    for axes_model in (AccessAttempt, AccessFailureLog, AccessLog):
        _audited(axes_model)


_audit_other_registers()
