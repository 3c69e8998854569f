"""`tutela keys rotate [--batch N] [--no-new-key]` and `tutela keys status`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from tutela.core.command import Result, TutelaCommand, stderr_console
from tutela.subjects.keyring import keys_rotate, keys_status


class Command(TutelaCommand):
    help = "Encryption keys of sealed values: status and rotation."

    def add_command_arguments(self, parser: CommandParser) -> None:
        subs = self.subparsers(parser)
        rotate = subs.add_parser(
            "rotate", help="add a new key first in the ring and re-encrypt every sealed value"
        )
        rotate.add_argument("--batch", type=int, default=1000, help="values re-encrypted per transaction")
        rotate.add_argument(
            "--no-new-key",
            action="store_true",
            help="re-encrypt under the current first key without adding one",
        )
        subs.add_parser("status", help="the key ring and how many sealed values each key holds")

    def sub_status(self, **o: Any) -> Result:
        data = keys_status()
        lines = [
            f"current key: {data['current']} (from {data['source']})",
            f"sealed values: {data['sealed']}",
        ]
        lines += [f"  {kid}: {n}" for kid, n in data["by_key"].items()]
        if data["to_rotate"]:
            lines.append(
                f"{data['to_rotate']} value(s) not under the current key: run `tutela keys rotate --no-new-key`"
            )
        return Result(data, "\n".join(lines))

    def sub_rotate(self, **o: Any) -> Result:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(
            TextColumn("re-encrypting"), BarColumn(), MofNCompleteColumn(), console=stderr_console()
        ) as bar:
            task = bar.add_task("rotate", total=None)
            report = keys_rotate(
                batch=o["batch"],
                new_key=not o.get("no_new_key"),
                on_total=lambda n: bar.update(task, total=n),
                on_batch=lambda n: bar.advance(task, n),
            )
        text = (
            f"key {report.key_id}: {report.reencrypted} value(s) re-encrypted in {report.batches} batch(es)"
        )
        if report.failed:
            text += f"; {len(report.failed)} could not be opened (items {report.failed[:20]})"
        return Result(report.as_dict(), text, exit_code=1 if report.failed else 0)
