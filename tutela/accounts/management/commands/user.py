"""`tutela user create|bootstrap|enrol|list`: staff accounts and their authenticator enrolment links."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from django.db import transaction

from tutela.accounts.enrolment import IssuedEnrolment, enrolment_issue, has_authenticator
from tutela.accounts.models import Role, StaffProfile
from tutela.accounts.principal import CLI, Principal, cli_principal
from tutela.accounts.services import staff_create
from tutela.core.audit import current_actor
from tutela.core.command import Result, TutelaCommand


def _operator() -> Principal:
    """Whoever runs ``tutela`` acts as the DPO (they can read the database and the keys anyway), named in
    the audit trail as the command's actor."""
    return dataclasses.replace(CLI, actor=current_actor())


def _link_text(issued: IssuedEnrolment) -> str:
    return (
        f"enrolment link for {issued.username} (one use, valid until {issued.expires_at:%Y-%m-%d %H:%M %Z}):\n"
        f"  {issued.url}\n"
        "Open it, log in with the password, then scan the QR code with an authenticator app."
    )


class Command(TutelaCommand):
    help = "Staff accounts."

    def add_command_arguments(self, parser: Any) -> None:
        subs = self.subparsers(parser)
        create = subs.add_parser(
            "create", help="create a staff account (the password and an enrolment link are printed once)"
        )
        create.add_argument("username")
        create.add_argument("--email", required=True)
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--controller", default="", help="the entity of a staff or integration account")
        create.add_argument("--archive-access", action="store_true")
        subs.add_parser(
            "bootstrap",
            help="create the first DPO account if there is none (password from TUTELA_ADMIN_PASSWORD or "
            "generated and printed once) and print its authenticator enrolment link",
        )
        enrol = subs.add_parser(
            "enrol", help="a one-time, expiring link (and code) to enrol an account's authenticator"
        )
        enrol.add_argument("username")
        enrol.add_argument(
            "--reset",
            action="store_true",
            help="remove the account's current authenticator first (a lost phone)",
        )
        subs.add_parser("list", help="list staff accounts")

    def sub_create(self, **o: Any) -> Result:
        with transaction.atomic():
            _user, password = staff_create(
                principal=cli_principal(),
                username=o["username"],
                email=o["email"],
                role=o["role"],
                controller=o["controller"],
                archive_access=o["archive_access"],
            )
            issued = enrolment_issue(principal=_operator(), username=o["username"])
        return Result(
            {"username": o["username"], "role": o["role"], "password": password, **_link_keys(issued)},
            f"created {o['username']} ({o['role']}); password: {password}\n{_link_text(issued)}",
        )

    def sub_bootstrap(self, **o: Any) -> Result:
        existing = StaffProfile.objects.select_related("user").filter(role=Role.DPO).order_by("pk").first()
        if existing is not None:
            user = existing.user
            if user.is_active and not has_authenticator(user):
                # the first DPO has not enrolled yet (an earlier link expired): a fresh link, no password
                issued = enrolment_issue(principal=_operator(), username=user.username)
                return Result(
                    {"created": False, "username": user.username, **_link_keys(issued)},
                    f"a DPO account exists already ({user.username}); it has no authenticator yet.\n"
                    + _link_text(issued),
                )
            return Result({"created": False}, "a DPO account exists already")
        password = os.environ.get("TUTELA_ADMIN_PASSWORD") or None
        with transaction.atomic():
            _, password = staff_create(
                principal=cli_principal(),
                username="dpo",
                email="dpo@localhost",
                role=Role.DPO,
                password=password,
            )
            issued = enrolment_issue(principal=_operator(), username="dpo")
        shown = password if not os.environ.get("TUTELA_ADMIN_PASSWORD") else "(from TUTELA_ADMIN_PASSWORD)"
        return Result(
            {"created": True, "username": "dpo", "password": shown, **_link_keys(issued)},
            f"created the first DPO account: user 'dpo', password {shown} (shown once)\n"
            + _link_text(issued),
        )

    def sub_enrol(self, **o: Any) -> Result:
        issued = enrolment_issue(principal=_operator(), username=o["username"], reset=o["reset"])
        return Result(issued.as_dict(), _link_text(issued))

    def sub_list(self, **o: Any) -> Result:
        from django.db.models import Exists, OuterRef
        from django_otp.plugins.otp_totp.models import TOTPDevice

        enrolled = TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True)
        rows = list(
            StaffProfile.objects.select_related("user")
            .annotate(enrolled=Exists(enrolled))
            .order_by("user__username")
        )
        data = [
            {
                "username": p.user.username,
                "role": p.role,
                "controller": p.controller,
                "active": p.user.is_active,
                "authenticator": p.enrolled,  # type: ignore[attr-defined]
            }
            for p in rows
        ]
        text = (
            "\n".join(
                f"{d['username']:20} {d['role']:16} {d['controller']:12}"
                f" {'' if d['authenticator'] else '(no authenticator: tutela user enrol)'}".rstrip()
                for d in data
            )
            or "no accounts"
        )
        return Result(data, text)


def _link_keys(issued: IssuedEnrolment) -> dict[str, Any]:
    return {"enrolment_url": issued.url, "enrolment_expires_at": issued.expires_at.isoformat()}
