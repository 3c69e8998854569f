"""`tutela hold place|release|list`: legal holds that block erasure."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tutela.accounts.principal import cli_principal
from tutela.core.command import Result, TutelaCommand
from tutela.core.errors import FieldError, InvalidInput


def _when(value: str | None, field: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "not a date-time", errors=[FieldError(f"expected ISO 8601, got {value!r}", field=field)]
        ) from None


class Command(TutelaCommand):
    help = "Legal holds on a person, items or a camera's recordings."

    def add_command_arguments(self, parser: Any) -> None:
        subs = self.subparsers(parser)
        place = subs.add_parser("place", help="place a legal hold")
        place.add_argument("--subject", type=int, help="the person's id")
        place.add_argument("--item", type=int, action="append", default=[], help="an item id (repeatable)")
        place.add_argument("--camera", help="a camera (directory under cctv/)")
        place.add_argument("--from", dest="window_start", help="start of the camera window (ISO 8601)")
        place.add_argument("--to", dest="window_end", help="end of the camera window (ISO 8601)")
        place.add_argument("--case", required=True, help="case reference")
        place.add_argument("--reason", required=True)
        release = subs.add_parser("release", help="release a legal hold")
        release.add_argument("hold_id", type=int)
        release.add_argument("--reason", required=True)
        lst = subs.add_parser("list", help="the legal holds")
        lst.add_argument("--all", action="store_true", help="released holds too")

    def sub_place(self, **o: Any) -> Result:
        from tutela.retention.selectors import hold_as_dict
        from tutela.retention.services import legal_hold_place

        hold = legal_hold_place(
            subject_id=o.get("subject"),
            item_ids=o.get("item") or None,
            case_ref=o["case"],
            reason=o["reason"],
            camera=o.get("camera"),
            window_start=_when(o.get("window_start"), "--from"),
            window_end=_when(o.get("window_end"), "--to"),
            principal=cli_principal(),
        )
        return Result(hold_as_dict(hold), f"legal hold {hold.pk} placed ({hold.case_ref})")

    def sub_release(self, **o: Any) -> Result:
        from tutela.retention.selectors import hold_as_dict
        from tutela.retention.services import legal_hold_release

        hold = legal_hold_release(hold_id=o["hold_id"], reason=o["reason"], principal=cli_principal())
        return Result(hold_as_dict(hold), f"legal hold {hold.pk} released")

    def sub_list(self, **o: Any) -> Result:
        from tutela.retention.selectors import holds_list

        rows = holds_list(principal=cli_principal(), active_only=not o.get("all"))
        lines = [
            f"{h['id']}\t{h['case_ref']}\t"
            + (f"person {h['subject_id']} " if h["subject_id"] else "")
            + (f"items {h['item_ids']} " if h["item_ids"] else "")
            + (
                f"camera {h['camera']} {h['window_start'] or ''} to {h['window_end'] or ''}"
                if h["camera"]
                else ""
            )
            + ("" if h["active"] else " (released)")
            for h in rows
        ]
        return Result({"holds": rows}, "\n".join(lines) or "no legal holds")
