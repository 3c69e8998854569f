"""`tutela worker`: the background worker alone, for deployments that scale workers separately."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command

from tutela.core.command import TutelaCommand


class Command(TutelaCommand):
    help = "Run the background worker (django-tasks database backend)."
    json_option = False

    def add_command_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="process what is queued, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        extra = ["--batch"] if options.get("batch") else []
        call_command("db_worker", *extra)
