"""`tutela purpose …`: may this person's data be used for this purpose now? And list scrubbing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from tutela.core.command import Result, TutelaCommand, stderr_console


class Command(TutelaCommand):
    help = "Purpose checks for one person, and scrubbing of campaign lists."

    def add_command_arguments(self, parser: CommandParser) -> None:
        subs = self.subparsers(parser)
        chk = subs.add_parser("check", help="allow or deny, with every reason (exit 0 allowed, 1 denied)")
        chk.add_argument("identifier", help="e-mail, phone, national number, IBAN or subject id")
        chk.add_argument("--purpose", required=True)
        chk.add_argument("--controller", default=None)
        scr = subs.add_parser("scrub", help="keep only the rows of a CSV list that may be used")
        scr.add_argument("file")
        scr.add_argument("--purpose", required=True)
        scr.add_argument("--controller", default=None)
        scr.add_argument("--out", required=True, help="where the usable rows are written (CSV)")
        scr.add_argument("--column", default=None, help="header name or 1-based number of the column")

    def sub_check(self, **o: Any) -> Result:
        from tutela.consent.checks import purpose_check

        decision = purpose_check(identifier=o["identifier"], purpose=o["purpose"], controller=o["controller"])
        data = decision.as_dict()
        verdict = "allowed" if decision.allowed else "denied"
        text = "\n".join([verdict, *(f"  - {r}" for r in decision.reasons)])
        return Result(data, text, exit_code=0 if decision.allowed else 1)

    def sub_scrub(self, **o: Any) -> Result:
        from rich.progress import Progress

        from tutela.consent.scrub import purpose_scrub

        with Progress(console=stderr_console(), transient=True) as progress:
            task = progress.add_task("scrubbing", total=None)
            result = purpose_scrub(
                path=Path(o["file"]),
                out=Path(o["out"]),
                purpose=o["purpose"],
                controller=o["controller"],
                column=o["column"],
                progress=lambda n: progress.advance(task, n),
            )
        data = result.as_dict()
        lines = [f"kept {result.kept}, removed {result.removed}"]
        lines += [f"  {reason}: {count}" for reason, count in sorted(result.reasons.items())]
        return Result(data, "\n".join(lines))
