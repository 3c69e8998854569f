"""`tutela init`: create or upgrade the database and load the default policy; idempotent."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from tutela.core.command import Result, TutelaCommand
from tutela.policy.models import PolicyVersion
from tutela.policy.services import policy_load, read_policy_file


class Command(TutelaCommand):
    help = "Create or upgrade the database and load the default policy (safe to run again)."

    def add_command_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--policy", help="policy file to load when none is active (default: the shipped one)"
        )

    def run(self, **options: Any) -> Result:
        call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())
        call_command("createcachetable", verbosity=0)
        active = PolicyVersion.objects.filter(active=True).first()
        if active is None:
            path = options.get("policy") or settings.TUTELA_POLICY_FILE
            from pathlib import Path

            active = policy_load(text=read_policy_file(Path(path)), source_name=str(Path(path).name))
        db = (
            connection.settings_dict["NAME"]
            if connection.vendor == "sqlite"
            else (
                f"{connection.vendor}://{connection.settings_dict.get('HOST') or 'localhost'}/"
                f"{connection.settings_dict['NAME']}"
            )
        )
        data = {"database": str(db), "policy_version": active.number, "policy_label": active.label}
        return Result(data, f"database ready: {db}\nactive policy: v{active.number} ({active.label})")
