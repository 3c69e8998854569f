"""Art. 12(3) deadlines, counted by Regulation (EEC, Euratom) No 1182/71 — pure functions, no database.

* The day of receipt is not counted (Art. 3(1)); a period in months ends on the day of the last month with
  the same number as the day of receipt, or on that month's last day when it has no such day (Art. 3(2)(c)).
* A period ending on a Saturday, Sunday or public holiday ends on the next working day (Art. 3(4)); the
  holidays are those of the Member State where the act is done (Belgium for the CRM Group).
* Extension (Art. 12(3), read conservatively): three months from receipt, or two months from the end of the
  first month when that is earlier (it is when the first month was shortened, e.g. received 31 January).
* While the controller waits for the identity information it asked for, the period is suspended: each pause
  pushes the end of the period by the number of calendar days it lasted (EDPB 01/2022 para 159).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

DeadlineState = Literal["on_time", "at_risk", "overdue", "paused", "closed"]

#: days before the due date from which an open request is "at risk"
AT_RISK_DAYS = 7


@lru_cache(maxsize=64)
def _holiday_dates(country: str, year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.country_holidays(country, years=year).keys())


def is_holiday(day: dt.date, country: str = "BE") -> bool:
    return day in _holiday_dates(country, day.year)


def is_working_day(day: dt.date, country: str = "BE") -> bool:
    return day.weekday() < 5 and not is_holiday(day, country)


def next_working_day(day: dt.date, country: str = "BE") -> dt.date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day, country):
        day += dt.timedelta(days=1)
    return day


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day number ``months`` later, or that month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


@dataclass(frozen=True)
class Pause:
    """A suspension of the period: from ``start`` (inclusive) to ``end`` (exclusive); open when end is None."""

    start: dt.date
    end: dt.date | None = None

    def days(self, today: dt.date | None = None) -> int:
        end = self.end or today or self.start
        return max((end - self.start).days, 0)


def paused_days(pauses: Iterable[Pause], today: dt.date | None = None) -> int:
    return sum(p.days(today) for p in pauses)


def due_date(received: dt.date, *, months: int = 1, country: str = "BE", paused: int = 0) -> dt.date:
    """The last day to answer a request received on ``received`` (the answer may be sent that whole day)."""
    end = add_months(received, months) + dt.timedelta(days=paused)
    return next_working_day(end, country)


def extended_due_date(
    received: dt.date,
    *,
    months: int = 1,
    extension_months: int = 2,
    country: str = "BE",
    paused: int = 0,
) -> dt.date:
    """The deadline once extended: the earlier of (months + extension) from receipt and extension from the end
    of the first period (before the weekend/holiday shift, the conservative reading)."""
    from_receipt = add_months(received, months + extension_months)
    from_first_end = add_months(add_months(received, months), extension_months)
    end = min(from_receipt, from_first_end) + dt.timedelta(days=paused)
    return next_working_day(end, country)


@dataclass(frozen=True)
class Deadline:
    received: dt.date
    due: dt.date
    extended_due: dt.date

    def as_dict(self) -> dict[str, str]:
        return {
            "received": self.received.isoformat(),
            "due": self.due.isoformat(),
            "extended_due": self.extended_due.isoformat(),
        }


def deadline_for(
    received: dt.date,
    *,
    months: int = 1,
    extension_months: int = 2,
    country: str = "BE",
    pauses: Iterable[Pause] = (),
    today: dt.date | None = None,
) -> Deadline:
    shift = paused_days(list(pauses), today)
    return Deadline(
        received=received,
        due=due_date(received, months=months, country=country, paused=shift),
        extended_due=extended_due_date(
            received, months=months, extension_months=extension_months, country=country, paused=shift
        ),
    )


def deadline_state(
    *,
    due: dt.date,
    today: dt.date,
    closed: bool = False,
    paused: bool = False,
    at_risk_days: int = AT_RISK_DAYS,
) -> DeadlineState:
    """Where an open request stands: overdue after its due day, at risk in the last ``at_risk_days`` days."""
    if closed:
        return "closed"
    if paused:
        return "paused"
    if today > due:
        return "overdue"
    if (due - today).days <= at_risk_days:
        return "at_risk"
    return "on_time"


def parse_date(raw: str) -> dt.date:
    """An ISO date, or the date part of an ISO timestamp (taken in Brussels time when it has an offset)."""
    raw = raw.strip()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        pass
    moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        from tutela.core.clock import BRUSSELS

        moment = moment.astimezone(BRUSSELS)
    return moment.date()
