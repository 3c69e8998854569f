"""`tutela user create|bootstrap|list`: staff accounts."""

from __future__ import annotations

import os
from typing import Any

from tutela.accounts.models import Role, StaffProfile
from tutela.accounts.services import staff_create
from tutela.core.command import Result, TutelaCommand


class Command(TutelaCommand):
    help = "Staff accounts."

    def add_command_arguments(self, parser: Any) -> None:
        subs = self.subparsers(parser)
        create = subs.add_parser("create", help="create a staff account (the password is printed once)")
        create.add_argument("username")
        create.add_argument("--email", required=True)
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--controller", default="", help="the entity of a staff or integration account")
        create.add_argument("--archive-access", action="store_true")
        subs.add_parser(
            "bootstrap",
            help="create the first DPO account if there is none "
            "(password from TUTELA_ADMIN_PASSWORD or generated and printed once)",
        )
        subs.add_parser("list", help="list staff accounts")

    def sub_create(self, **o: Any) -> Result:
        _user, password = staff_create(
            username=o["username"],
            email=o["email"],
            role=o["role"],
            controller=o["controller"],
            archive_access=o["archive_access"],
        )
        return Result(
            {"username": o["username"], "role": o["role"], "password": password},
            f"created {o['username']} ({o['role']}); password: {password}",
        )

    def sub_bootstrap(self, **o: Any) -> Result:
        if StaffProfile.objects.filter(role=Role.DPO).exists():
            return Result({"created": False}, "a DPO account exists already")
        password = os.environ.get("TUTELA_ADMIN_PASSWORD") or None
        _, password = staff_create(username="dpo", email="dpo@localhost", role=Role.DPO, password=password)
        shown = password if not os.environ.get("TUTELA_ADMIN_PASSWORD") else "(from TUTELA_ADMIN_PASSWORD)"
        return Result(
            {"created": True, "username": "dpo", "password": shown},
            f"created the first DPO account: user 'dpo', password {shown} (shown once)",
        )

    def sub_list(self, **o: Any) -> Result:
        rows = list(StaffProfile.objects.select_related("user").order_by("user__username"))
        data = [
            {
                "username": p.user.username,
                "role": p.role,
                "controller": p.controller,
                "active": p.user.is_active,
            }
            for p in rows
        ]
        text = (
            "\n".join(f"{d['username']:20} {d['role']:16} {d['controller']}" for d in data) or "no accounts"
        )
        return Result(data, text)
