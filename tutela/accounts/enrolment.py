"""Enrolling an authenticator: only with a one-time, expiring link issued by the DPO or the CLI.

A password alone never enrols a second factor: whoever learnt a newcomer's password (or the bootstrap
DPO's) would otherwise register their own authenticator on the first login. The DPO (in the admin) or the
operator (``tutela user enrol``, ``tutela user bootstrap``) issues an enrolment link; the person opens it,
gives their password and then scans the QR code. Only the token's SHA-256 is stored; a token is used once,
is revoked when a newer one is issued, and expires after ``TUTELA_ENROLMENT_HOURS``. Issuing and using one
are audited (``staff.enrolment_issue``, ``staff.otp_enrol``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from tutela.accounts.models import EnrolmentToken, Role
from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.audit import audit_log
from tutela.core.errors import InvalidInput, NotFound, PermissionDenied

ENROL_PATH = "/staff/enrol/"


@dataclass(frozen=True)
class IssuedEnrolment:
    username: str
    code: str
    url: str
    expires_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "enrolment_url": self.url,
            "enrolment_code": self.code,
            "enrolment_expires_at": self.expires_at.isoformat(),
        }


def enrolment_digest(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def enrolment_url(code: str) -> str:
    return f"{settings.TUTELA_BASE_URL}{ENROL_PATH}{code}/"


def has_authenticator(user: Any) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def enrolment_issue(*, principal: Principal, username: str, reset: bool = False) -> IssuedEnrolment:
    """A one-time enrolment link for ``username`` (the DPO's decision; the CLI and Tutela itself act as DPO).

    An account that has an authenticator already gets no link unless ``reset``: then its devices are
    removed first (a lost phone), in the same transaction. Any earlier unused link of the account is
    revoked: only the newest one works."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if principal.role != Role.DPO:
        raise PermissionDenied("only the DPO issues enrolment links")
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().filter(username=username).first()
        if user is None:
            raise NotFound(f"no account named {username!r}")
        if not user.is_active:
            raise InvalidInput(f"the account {username!r} is deactivated")
        removed = 0
        if has_authenticator(user) and not reset:
            raise InvalidInput(
                f"{username!r} has an authenticator already; to replace it (a lost phone) use --reset"
            )
        if reset:
            removed += TOTPDevice.objects.filter(user=user).delete()[0]
            removed += StaticDevice.objects.filter(user=user).delete()[0]
        now = clock.now()
        EnrolmentToken.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=now
        )
        code = secrets.token_urlsafe(32)
        expires_at = now + dt.timedelta(hours=settings.TUTELA_ENROLMENT_HOURS)
        row = EnrolmentToken.objects.create(
            user=user,
            token_hash=enrolment_digest(code),
            issued_by=principal.actor,
            created_at=now,
            expires_at=expires_at,
        )
        audit_log(
            "staff.enrolment_issue",
            object_type="user",
            object_id=user.pk,
            payload={
                "username": username,
                "enrolment": row.pk,
                "expires_at": expires_at.isoformat(),
                "reset": reset,
                "devices_removed": removed,
            },
            actor=principal.actor,
        )
    return IssuedEnrolment(username=username, code=code, url=enrolment_url(code), expires_at=expires_at)


def enrolment_valid(*, digest: str, user: Any | None = None) -> EnrolmentToken | None:
    """The enrolment a token digest stands for, if it is still usable (and is ``user``'s, when given)."""
    if not digest:
        return None
    found = (
        EnrolmentToken.objects.select_related("user")
        .filter(
            token_hash=digest,
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=clock.now(),
            user__is_active=True,
        )
        .first()
    )
    if found is None or (user is not None and found.user_id != user.pk):
        return None
    return found


def enrolment_complete(*, digest: str, user: Any, device: Any) -> None:
    """Confirm ``device`` as ``user``'s authenticator with the enrolment ``digest`` stands for, once: the
    caller has checked the password and the first code of the device. Raises InvalidInput when the
    enrolment is no longer usable (used meanwhile, revoked, expired, or someone else's)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with transaction.atomic():
        row = (
            EnrolmentToken.objects.select_for_update()
            .filter(
                token_hash=digest,
                user=user,
                used_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=clock.now(),
            )
            .first()
        )
        if row is None or device.user_id != user.pk:
            raise InvalidInput("this enrolment link is used, replaced or expired: ask the DPO for a new one")
        row.used_at = clock.now()
        row.save(update_fields=["used_at"])
        TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_log(
            "staff.otp_enrol",
            object_type="user",
            object_id=user.pk,
            payload={"enrolment": row.pk, "device": device.pk, "issued_by": row.issued_by},
            actor=f"user:{user.username}",
        )
