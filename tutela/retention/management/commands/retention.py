"""`tutela retention sweep|status|preview|schedule`: apply the policy's retention periods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tutela.core.command import Result, TutelaCommand
from tutela.core.errors import InvalidInput


class Command(TutelaCommand):
    help = "Retention: apply the policy's periods (sweep), see the last and next run, preview what goes."

    def add_command_arguments(self, parser: Any) -> None:
        subs = self.subparsers(parser)
        sweep = subs.add_parser("sweep", help="apply the retention rules now")
        sweep.add_argument(
            "--dry-run", action="store_true", help="change nothing; write a report of what would go"
        )
        sweep.add_argument("--files", action="store_true", help="also delete files past their rule")
        sweep.add_argument("--report", help="dry-run report file (.json or .csv)")
        sweep.add_argument("--batch", type=int, help="items per transaction (default TUTELA_RETENTION_BATCH)")
        subs.add_parser("status", help="the last sweep and the time of the next")
        preview = subs.add_parser("preview", help="what the next sweep will remove")
        preview.add_argument("--limit", type=int, default=50)
        subs.add_parser("schedule", help="queue the daily sweep on the worker")

    def sub_sweep(self, **o: Any) -> Result:
        from tutela.retention.sweep import retention_sweep

        if o.get("batch") is not None and o["batch"] < 1:
            raise InvalidInput("--batch must be at least 1")
        report = Path(o["report"]) if o.get("report") else None
        if report is not None and not o.get("dry_run"):
            raise InvalidInput("--report goes with --dry-run (a real sweep is reported in the audit trail)")
        from tutela.accounts.principal import cli_principal

        result = retention_sweep(
            principal=cli_principal(),
            dry_run=bool(o.get("dry_run")),
            files=bool(o.get("files")),
            report=report,
            batch=o.get("batch"),
        )
        data = result.as_dict()
        verb = "would" if result.dry_run else "did"
        text = (
            f"retention sweep ({'dry run' if result.dry_run else 'applied'}): {data['due']} due; {verb} erase "
            f"{data['erased']}, anonymise {data['anonymised']}, archive {data['archived']}; {data['held']} held"
        )
        if "files" in data:
            text += f"\nfiles: {data['files']['due']} due, {data['files']['deleted']} deleted, {data['files']['held']} held"
        if data.get("report"):
            text += f"\nreport: {data['report']}"
        if data.get("problems"):
            text += "\n" + _problems_text(data["problems"])
        return Result(data, text)

    def sub_status(self, **o: Any) -> Result:
        from tutela.retention.sweep import sweep_status

        data = sweep_status()
        last = data["last"]
        if last is None:
            text = f"no sweep has run yet; next: {data['next']}"
        else:
            text = (
                f"last sweep {last['started_at']} ({last['status']}): {last['due']} due, {last['erased']} erased, "
                f"{last['anonymised']} anonymised, {last['archived']} archived, {last['held']} held\nnext: {data['next']}"
            )
            if last["error"]:
                text += f"\nerror: {last['error']}"
            if last["problems"]:
                text += "\n" + _problems_text(last["problems"])
        return Result(data, text)

    def sub_preview(self, **o: Any) -> Result:
        from tutela.retention.selectors import next_sweep_preview

        if o["limit"] < 1:
            raise InvalidInput("--limit must be at least 1")
        rows = next_sweep_preview(o["limit"])
        lines = [
            f"{r['item_id']}\t{r['controller']}\t{r['category']}\t{' '.join(r['rules'])}\t{r['action']}\tdue {r['due_on']}"
            for r in rows
        ]
        return Result({"items": rows}, "\n".join(lines) or "nothing is due")

    def sub_schedule(self, **o: Any) -> Result:
        from tutela.retention.services import retention_schedule_next

        when = retention_schedule_next()
        if when is None:
            return Result(
                {"scheduled": None}, "this tasks backend cannot defer: run `tutela retention sweep` from cron"
            )
        return Result({"scheduled": when.isoformat()}, f"next retention sweep queued for {when.isoformat()}")


def _problems_text(problems: list[dict[str, Any]]) -> str:
    """What could not be done, one line per failure: the purpose set, the items, the error."""
    lines = [f"not done ({len(problems)}):"]
    for p in problems:
        what = " ".join(p.get("purposes") or []) or p.get("action", "?")
        items = (
            f"items {p['first_item']}..{p['last_item']} ({p['items']})"
            if p.get("items")
            else "every item of the set"
        )
        lines.append(f"  {what}: {items}: {p.get('error', '')}")
    return "\n".join(lines)
