"""`tutela ropa export`: the Art. 30(1) record of processing activities of each controller."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from tutela.core.command import Result, TutelaCommand
from tutela.core.errors import InvalidInput


class Command(TutelaCommand):
    help = "The record of processing activities (Art. 30(1) GDPR), built from the active policy."

    def add_command_arguments(self, parser: CommandParser) -> None:
        subs = self.subparsers(parser)
        exp = subs.add_parser("export", help="export the record as JSON, CSV or HTML")
        exp.add_argument("--format", choices=("json", "csv", "html"), default="json")
        exp.add_argument("--controller", help="only this controller (e.g. crm-asbl)")
        exp.add_argument("--out", help="write to this file instead of standard output")

    def sub_export(self, **o: Any) -> Result:
        from tutela.core.audit import audit_log
        from tutela.policy.ropa import ropa_export
        from tutela.policy.selectors import active_policy, active_version

        fmt = o["format"]
        policy = active_policy()
        exported = ropa_export(policy, fmt=fmt, controller=o.get("controller"))
        text = json.dumps(exported, ensure_ascii=False, indent=2) if isinstance(exported, dict) else exported
        audit_log(
            "ropa.export",
            object_type="policy_version",
            object_id=active_version().number,
            payload={"format": fmt, "controller": o.get("controller"), "to_file": bool(o.get("out"))},
        )
        if o.get("out"):
            try:
                Path(o["out"]).write_text(text, encoding="utf-8", newline="")
            except OSError as exc:
                raise InvalidInput(f"{o['out']}: cannot write it ({exc.strerror or exc})") from None
            return Result({"path": o["out"], "format": fmt}, f"record of processing written to {o['out']}")
        if isinstance(exported, dict):
            return Result(exported, text)
        return Result({"format": fmt, "content": exported}, exported)
