"""The breach clocks, as pure functions: investigation within 24 hours, the authority within 72 hours.

Counted in hours from the moment that starts them (Art. 33(1)); weekends and holidays are neither skipped
nor added. A clock is ``on_time``, ``due_soon`` (the last third of its period, at most 24 hours),
``overdue``, or, once met, ``done`` / ``done_late``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tutela.core.clock import BRUSSELS

ON_TIME = "on_time"
DUE_SOON = "due_soon"
OVERDUE = "overdue"
DONE = "done"
DONE_LATE = "done_late"


@dataclass(frozen=True)
class ClockState:
    name: str
    started_at: dt.datetime
    due: dt.datetime
    state: str
    done_at: dt.datetime | None
    hours_left: float

    def as_dict(self) -> dict[str, object]:
        """Times in Brussels local time (with their offset), as people read them."""
        return {
            "clock": self.name,
            "started_at": _local(self.started_at),
            "due": _local(self.due),
            "state": self.state,
            "done_at": _local(self.done_at) if self.done_at else None,
            "hours_left": round(self.hours_left, 1),
        }


def _local(value: dt.datetime) -> str:
    return value.astimezone(BRUSSELS).replace(microsecond=0).isoformat()


def due_after(start: dt.datetime, hours: int) -> dt.datetime:
    """``hours`` real hours after ``start`` (aware datetimes; no weekend or holiday extension)."""
    if start.tzinfo is None:
        raise ValueError("a breach clock needs an aware datetime")
    return (start.astimezone(dt.UTC) + dt.timedelta(hours=hours)).astimezone(start.tzinfo)


def investigation_due(identified_at: dt.datetime, hours: int = 24) -> dt.datetime:
    return due_after(identified_at, hours)


def authority_due(aware_at: dt.datetime, hours: int = 72) -> dt.datetime:
    return due_after(aware_at, hours)


def soon_window(hours: int) -> dt.timedelta:
    return dt.timedelta(hours=min(24.0, hours / 3))


def state_of(
    *, name: str, started_at: dt.datetime, hours: int, now: dt.datetime, done_at: dt.datetime | None = None
) -> ClockState:
    due = due_after(started_at, hours)
    if done_at is not None:
        state = DONE if done_at <= due else DONE_LATE
        left = (due - done_at).total_seconds() / 3600
    else:
        left = (due - now).total_seconds() / 3600
        if now > due:
            state = OVERDUE
        elif due - now <= soon_window(hours):
            state = DUE_SOON
        else:
            state = ON_TIME
    return ClockState(name, started_at, due, state, done_at, left)


def is_late(*, aware_at: dt.datetime, at: dt.datetime, hours: int = 72) -> bool:
    """True when a notification made at ``at`` is past the deadline."""
    return at > authority_due(aware_at, hours)
