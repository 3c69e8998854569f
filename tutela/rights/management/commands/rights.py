"""`tutela rights …`: data-subject requests from the command line (the logic lives in tutela.rights)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from tutela.core.command import Result, TutelaCommand
from tutela.core.errors import FieldError, InvalidInput


class Command(TutelaCommand):
    help = "Data-subject requests: deadlines, intake, decisions, fulfilment, access packages."

    def add_command_arguments(self, parser: CommandParser) -> None:
        subs = self.subparsers(parser)
        dl = subs.add_parser("deadline", help="the Art. 12(3) deadline for a request received on a day")
        dl.add_argument("--received", required=True, help="YYYY-MM-DD (or an ISO timestamp)")

    def sub_deadline(self, **o: Any) -> Result:
        from tutela.rights.deadlines import deadline_for, parse_date
        from tutela.rights.rules import deadline_settings

        try:
            received = parse_date(o["received"])
        except ValueError:
            raise InvalidInput(
                "bad date", errors=[FieldError(f"not an ISO date: {o['received']!r}", field="--received")]
            ) from None
        months, extension, country = deadline_settings()
        d = deadline_for(received, months=months, extension_months=extension, country=country)
        data = d.as_dict()
        return Result(
            data, f"received {data['received']}: due {data['due']}, extended {data['extended_due']}"
        )
