"""`tutela audit verify`: recompute the hash chain and name the first broken entry."""

from __future__ import annotations

from typing import Any

from tutela.core.audit import audit_verify
from tutela.core.command import Result, TutelaCommand


class Command(TutelaCommand):
    help = "Audit trail operations."

    def add_command_arguments(self, parser: Any) -> None:
        subs = self.subparsers(parser)
        subs.add_parser("verify", help="check the audit chain end to end")

    def sub_verify(self, **options: Any) -> Result:
        report = audit_verify()
        if report.intact:
            text = f"audit chain intact: {report.entries} entries"
        else:
            text = f"audit chain BROKEN at entry {report.first_broken}: {report.problem}"
        return Result(report.as_dict(), text, exit_code=0 if report.intact else 1)
