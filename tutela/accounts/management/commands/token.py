"""`tutela token create|revoke`: API tokens for staff and connected systems."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from tutela.accounts.models import ApiToken
from tutela.accounts.principal import cli_principal
from tutela.accounts.services import token_create
from tutela.core import clock
from tutela.core.audit import audit_log
from tutela.core.command import Result, TutelaCommand
from tutela.core.errors import InvalidInput, NotFound


class Command(TutelaCommand):
    help = "API tokens."

    def add_command_arguments(self, parser: Any) -> None:
        subs = self.subparsers(parser)
        create = subs.add_parser("create", help="create a bearer token for an account (printed once)")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="what the token is for, e.g. newsletter-tool")
        revoke = subs.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def sub_create(self, **o: Any) -> Result:
        user = get_user_model().objects.filter(username=o["username"]).first()
        if user is None:
            raise InvalidInput(f"no account named {o['username']!r}")
        token = token_create(principal=cli_principal(), user=user, name=o["name"])
        return Result(
            {"username": o["username"], "name": o["name"], "token": token},
            f"token for {o['username']} ({o['name']}): {token}\nKeep it secret; it is not shown again.",
        )

    def sub_revoke(self, **o: Any) -> Result:
        with transaction.atomic():
            rows = ApiToken.objects.filter(prefix=o["prefix"], revoked_at__isnull=True)
            count = rows.update(revoked_at=clock.now())
            if not count:
                raise NotFound(f"no active token starts with {o['prefix']!r}")
            audit_log("token.revoke", object_type="api_token", object_id=o["prefix"])
        return Result({"revoked": count}, f"revoked {count} token(s)")
