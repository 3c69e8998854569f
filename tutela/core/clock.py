"""The one clock of Tutela. Everything that needs the time asks here, so tests can move it (time-machine)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def now() -> dt.datetime:
    """The current instant, timezone-aware (UTC)."""
    return dt.datetime.now(tz=dt.UTC)


def local_now() -> dt.datetime:
    """The current instant in Brussels, for calendar rules."""
    return now().astimezone(BRUSSELS)


def today() -> dt.date:
    """Today's date in Brussels."""
    return local_now().date()


def as_aware(value: dt.datetime) -> dt.datetime:
    """A naive datetime is read as Brussels local time."""
    if value.tzinfo is None:
        return value.replace(tzinfo=BRUSSELS)
    return value
