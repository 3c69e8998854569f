"""`tutela audit verify [--anchor FILE]` and `tutela audit anchor [--out FILE]`: the audit chain's proofs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tutela.core.audit_proof import anchor_read, audit_anchor, audit_verify_anchored
from tutela.core.command import Result, TutelaCommand


class Command(TutelaCommand):
    help = "Audit trail operations."

    def add_command_arguments(self, parser: Any) -> None:
        subs = self.subparsers(parser)
        verify = subs.add_parser("verify", help="check the audit chain end to end")
        verify.add_argument(
            "--anchor",
            metavar="FILE",
            help="an anchor written by `tutela audit anchor`: also prove the chain still extends it",
        )
        anchor = subs.add_parser("anchor", help="the signed head of the audit chain, for an external store")
        anchor.add_argument("--out", metavar="FILE", help="also write the anchor to FILE (mode 0600)")

    def sub_verify(self, **options: Any) -> Result:
        anchor = anchor_read(Path(options["anchor"])) if options.get("anchor") else None
        report, anchored = audit_verify_anchored(anchor)
        data = report.as_dict()
        if anchored is not None:
            data["anchor"] = anchored
        if report.intact:
            text = f"audit chain intact: {report.entries} entries"
            if anchored is not None:
                text += f"; it extends the head anchored at entry {anchored['seq']} ({anchored['at']})"
        else:
            where = f" at entry {report.first_broken}" if report.first_broken else ""
            text = f"audit chain BROKEN{where}: {report.problem}"
        return Result(data, text, exit_code=0 if report.intact else 1)

    def sub_anchor(self, **options: Any) -> Result:
        out = Path(options["out"]) if options.get("out") else None
        anchor = audit_anchor(out=out)
        if out is None:  # the anchor itself, so that `tutela audit anchor > FILE` keeps one
            return Result(anchor)
        return Result(
            anchor, f"audit head anchored: entry {anchor['seq']} at {anchor['at']}, written to {out}"
        )
