"""API authentication: bearer tokens for integrations and staff, or a logged-in staff session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from tutela.accounts.models import ApiToken
from tutela.accounts.principal import Principal, principal_for_user
from tutela.accounts.services import token_digest
from tutela.core import clock
from tutela.core.audit import set_actor


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        row = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=token_digest(token), revoked_at__isnull=True)
            .first()
        )
        if row is None or (row.expires_at and row.expires_at <= clock.now()) or not row.user.is_active:
            return None
        principal = principal_for_user(row.user)
        if principal is None:
            return None
        principal = Principal(**{**principal.__dict__, "actor": f"{principal.actor}/token:{row.name}"})
        set_actor(principal.actor)
        request.principal = principal  # type: ignore[attr-defined]
        return principal


class StaffSessionAuth(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if not user:
            return None
        principal = principal_for_user(user)
        if principal is None:
            return None
        set_actor(principal.actor)
        request.principal = principal  # type: ignore[attr-defined]
        return principal


def principal(request: HttpRequest) -> Principal:
    """The authenticated principal of an API request (set by the auth classes above)."""
    return request.auth  # type: ignore[attr-defined,no-any-return]


staff_auth = [TokenAuth(), StaffSessionAuth()]
