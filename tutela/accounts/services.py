"""Staff accounts and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from tutela.accounts.models import ApiToken, Role, StaffProfile
from tutela.accounts.permissions import require_manage_accounts
from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.audit import audit_log
from tutela.core.errors import InvalidInput


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def staff_create(
    *,
    principal: Principal,
    username: str,
    email: str,
    role: str,
    controller: str = "",
    password: str | None = None,
    archive_access: bool = False,
) -> tuple[Any, str]:
    """Create a staff account; returns the user and the password (generated when not given).

    Only the DPO (the operator at the shell acts as the DPO) may create accounts."""
    require_manage_accounts(principal)
    if role not in Role.values:
        raise InvalidInput(f"role {role!r} is unknown; choose one of {', '.join(Role.values)}")
    if role in (Role.STAFF, Role.INTEGRATION, Role.ARCHIVE) and not controller:
        raise InvalidInput(f"a {role} account belongs to one controller: give --controller")
    if controller:
        from tutela.policy.selectors import active_policy

        if controller not in active_policy().controllers:
            raise InvalidInput(f"controller {controller!r} is not in the active policy")
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise InvalidInput(f"an account named {username!r} exists already")
    password = password or secrets.token_urlsafe(15)
    with transaction.atomic():
        user = user_model.objects.create_user(
            username=username,
            email=email,
            password=password,
            is_staff=role in (Role.DPO, Role.PRIVACY_OFFICER, Role.AUDITOR),
        )
        if role == Role.DPO:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        StaffProfile.objects.create(
            user=user, role=role, controller=controller, archive_access=archive_access
        )
        audit_log(
            "staff.create",
            object_type="user",
            object_id=user.pk,
            payload={"username": username, "role": role, "controller": controller},
            actor=principal.actor,
        )
    return user, password


def token_create(*, principal: Principal, user: Any, name: str) -> str:
    """A new API token for ``user``; the clear token is returned once and never stored. Only the DPO (or
    the operator at the shell) may issue tokens: a token acts with its owner's role."""
    require_manage_accounts(principal)
    token = "tut_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        row = ApiToken.objects.create(
            user=user, name=name, prefix=token[:10], token_hash=token_digest(token), created_at=clock.now()
        )
        audit_log(
            "token.create",
            object_type="api_token",
            object_id=row.pk,
            payload={"name": name},
            actor=principal.actor,
        )
    return token
