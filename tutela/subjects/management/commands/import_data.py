"""`tutela import FILE --controller KEY --subject-type KEY --source KEY [--mapping FILE] [--partial]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from tutela.accounts.principal import cli_principal
from tutela.core.command import Result, TutelaCommand, stderr_console
from tutela.subjects.importing.service import ImportReport, Progress, import_file, write_error_csv


class RichProgress(Progress):
    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=stderr_console(),
            transient=False,
        )
        self._task: Any = None

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def start(self, phase: str, total: int) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=self._bar.tasks[self._task].total)
        self._task = self._bar.add_task(phase, total=total)

    def advance(self, n: int) -> None:
        if self._task is not None and n:
            self._bar.advance(self._task, n)


class Command(TutelaCommand):
    help = "Import people and their data from a CSV or XLSX file, with provenance; all or nothing by default."

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV (UTF-8, comma or semicolon) or XLSX file, header in row 1")
        parser.add_argument("--controller", required=True, help="the controller that holds the data")
        parser.add_argument("--subject-type", required=True, help="subject type key of the policy (member …)")
        parser.add_argument(
            "--source", required=True, help="source key of the policy (direct, client-company …)"
        )
        parser.add_argument("--mapping", help="YAML file mapping column names to categories or row facts")
        parser.add_argument("--partial", action="store_true", help="import the good rows, report the others")
        parser.add_argument(
            "--accept-expired",
            action="store_true",
            help="import rows already past retention by their own dates (listed as expired; the next sweep removes them)",
        )
        parser.add_argument("--errors-out", help="write the row errors to this CSV file")
        parser.add_argument(
            "--source-detail", default="", help="free provenance detail (e.g. Moniteur belge 2026-03-14)"
        )

    def run(self, **o: Any) -> Result:
        with RichProgress() as progress:
            report = import_file(
                path=Path(o["file"]),
                controller=o["controller"],
                subject_type=o["subject_type"],
                source=o["source"],
                mapping_file=Path(o["mapping"]) if o.get("mapping") else None,
                partial=bool(o.get("partial")),
                source_detail=o.get("source_detail") or "",
                progress=progress,
                principal=cli_principal(),
                accept_expired=bool(o.get("accept_expired")),
            )
        if o.get("errors_out") and report.errors:
            write_error_csv(Path(o["errors_out"]), report.errors)
        data = report.as_dict()
        if report.refused:
            data["error"] = f"{report.file}: {report.rejected} row(s) have errors; nothing was imported"
        return Result(data, lambda: _print(report, o.get("errors_out")), exit_code=2 if report.refused else 0)


def _print(report: ImportReport, errors_out: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Console()
    err = stderr_console()
    if report.errors:
        table = Table("row", "column", "message", title=f"{len(report.errors)} error(s)")
        for e in report.errors[:200]:
            table.add_row(str(e.row or ""), e.field or "", e.message)
        err.print(table)
        if len(report.errors) > 200:
            err.print(
                f"… and {len(report.errors) - 200} more" + (f" (all in {errors_out})" if errors_out else "")
            )
    if report.refused:
        err.print(
            f"[bold red]error:[/] {report.file}: {report.rejected} row(s) have errors; nothing was imported"
        )
        return
    out.print(
        f"{report.file}: {report.imported} imported, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.rejected} rejected"
    )
    if report.ignored_columns:
        out.print(f"ignored columns: {', '.join(report.ignored_columns)}")
