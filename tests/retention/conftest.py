"""Retention tests run on a fixed day: Wednesday 25 November 2026, noon in Brussels."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from tutela.core import clock

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def frozen() -> Iterator[Any]:
    with time_machine.travel(
        dt.datetime(2026, 11, 25, 12, 0, tzinfo=clock.BRUSSELS), tick=False
    ) as traveller:
        yield traveller


def years_of(policy_data: dict[str, Any], rule: str) -> int:
    """A rule's period in whole years, read from the plain YAML (P10Y → 10)."""
    period = policy_data["retention"][rule]["period"]
    assert re.fullmatch(r"P\d+Y", period), period
    return int(period[1:-1])


def years_before(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year - years)
