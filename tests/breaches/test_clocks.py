"""The 24-hour and 72-hour clocks: counted in hours, no weekend extension, overdue states."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from tests.factories.breaches import report
from tutela.accounts.principal import CLI
from tutela.breaches import clocks
from tutela.breaches.selectors import breach_list, open_breach_clocks
from tutela.core import clock
from tutela.core.errors import Refused

B = clock.BRUSSELS
FRIDAY_AFTERNOON = dt.datetime(2026, 11, 20, 15, 30, tzinfo=B)  # a Friday
MONDAY_AFTERNOON = dt.datetime(2026, 11, 23, 15, 30, tzinfo=B)


def test_72_hours_run_through_the_weekend() -> None:
    assert FRIDAY_AFTERNOON.weekday() == 4 and MONDAY_AFTERNOON.weekday() == 0
    assert clocks.authority_due(FRIDAY_AFTERNOON) == MONDAY_AFTERNOON
    assert clocks.investigation_due(FRIDAY_AFTERNOON) == dt.datetime(2026, 11, 21, 15, 30, tzinfo=B)


def test_hours_are_real_hours_across_a_clock_change() -> None:
    # Summer time ends on Sunday 25 October 2026 at 03:00: 72 real hours end one wall-clock hour earlier
    start = dt.datetime(2026, 10, 23, 12, 0, tzinfo=B)
    assert clocks.authority_due(start) == dt.datetime(2026, 10, 26, 11, 0, tzinfo=B)


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (dt.datetime(2026, 11, 21, 10, 0, tzinfo=B), clocks.ON_TIME),
        (dt.datetime(2026, 11, 22, 15, 31, tzinfo=B), clocks.DUE_SOON),
        (dt.datetime(2026, 11, 23, 15, 30, tzinfo=B), clocks.DUE_SOON),
        (dt.datetime(2026, 11, 23, 15, 31, tzinfo=B), clocks.OVERDUE),
    ],
)
def test_states(now: dt.datetime, state: str) -> None:
    got = clocks.state_of(name="authority", started_at=FRIDAY_AFTERNOON, hours=72, now=now)
    assert got.state == state


def test_done_and_done_late() -> None:
    on_time = clocks.state_of(
        name="a", started_at=FRIDAY_AFTERNOON, hours=72, now=MONDAY_AFTERNOON, done_at=MONDAY_AFTERNOON
    )
    late = clocks.state_of(
        name="a", started_at=FRIDAY_AFTERNOON, hours=72, now=MONDAY_AFTERNOON,
        done_at=MONDAY_AFTERNOON + dt.timedelta(minutes=1),
    )  # fmt: skip
    assert (on_time.state, late.state) == (clocks.DONE, clocks.DONE_LATE)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        clocks.authority_due(dt.datetime(2026, 11, 20, 15, 30))


@pytest.mark.django_db
def test_friday_afternoon_report_is_due_monday_afternoon_then_overdue(
    policy: Any, policy_data: dict[str, Any]
) -> None:
    hours = policy_data["breach"].get("authority_notification_hours", 72)
    assert hours == 72
    with time_machine.travel(FRIDAY_AFTERNOON, tick=False):
        breach = report()
        row = breach_list(principal=CLI)[0]
    assert row["id"] == breach.pk
    assert row["clocks"]["authority"]["due"] == MONDAY_AFTERNOON.isoformat()
    assert row["clocks"]["authority"]["state"] == clocks.ON_TIME
    with time_machine.travel(dt.datetime(2026, 11, 23, 15, 0, tzinfo=B), tick=False):
        row = breach_list(principal=CLI)[0]
        assert row["clocks"]["authority"]["state"] == clocks.DUE_SOON
        assert (
            open_breach_clocks(principal=CLI)[0]["next"]["clock"] == "investigation"
        )  # the 24 h clock is overdue first
    with time_machine.travel(dt.datetime(2026, 11, 23, 15, 31, tzinfo=B), tick=False):
        row = breach_list(principal=CLI)[0]
        assert row["clocks"]["authority"]["state"] == clocks.OVERDUE
        assert row["clocks"]["investigation"]["state"] == clocks.OVERDUE
        [entry] = open_breach_clocks(principal=CLI)
        assert entry["authority"]["state"] == clocks.OVERDUE


@pytest.mark.django_db
def test_a_late_notification_needs_the_reasons_for_the_delay(policy: Any) -> None:
    from tutela.breaches.services import breach_notify_authority

    with time_machine.travel(FRIDAY_AFTERNOON, tick=False):
        breach = report()
    with time_machine.travel(dt.datetime(2026, 11, 24, 9, 0, tzinfo=B), tick=False):
        with pytest.raises(Refused) as refused:
            breach_notify_authority(principal=CLI, breach_id=breach.pk)
        assert refused.value.errors[0].field == "delay_reasons"
        note = breach_notify_authority(
            principal=CLI, breach_id=breach.pk, delay_reasons="The processor told us only on Monday."
        )
        assert note.late is True
        [row] = breach_list(principal=CLI)
        assert row["clocks"]["authority"]["state"] == clocks.DONE_LATE
        assert open_breach_clocks(principal=CLI) == [] or all(
            r["id"] != breach.pk or r["authority"]["state"] != clocks.OVERDUE
            for r in open_breach_clocks(principal=CLI)
        )


@pytest.mark.django_db
def test_on_time_notification_needs_no_reasons_and_stops_the_clock(policy: Any) -> None:
    from tutela.breaches.services import breach_notify_authority, breach_start_investigation

    with time_machine.travel(FRIDAY_AFTERNOON, tick=False):
        breach = report()
    with time_machine.travel(dt.datetime(2026, 11, 21, 9, 0, tzinfo=B), tick=False):
        breach_start_investigation(principal=CLI, breach_id=breach.pk)
        note = breach_notify_authority(principal=CLI, breach_id=breach.pk)
        assert note.late is False
        assert open_breach_clocks(principal=CLI) == []


@pytest.mark.django_db
def test_clocks_start_at_a_processors_earlier_report(policy: Any) -> None:
    processor_at = dt.datetime(2026, 11, 20, 9, 0, tzinfo=B)
    with time_machine.travel(FRIDAY_AFTERNOON, tick=False):
        report(processor="Hosting BV", processor_reported_at=processor_at, detected_at=FRIDAY_AFTERNOON)
        [row] = breach_list(principal=CLI)
    assert row["clocks"]["investigation"]["due"] == dt.datetime(2026, 11, 21, 9, 0, tzinfo=B).isoformat()
    assert row["clocks"]["authority"]["due"] == dt.datetime(2026, 11, 23, 9, 0, tzinfo=B).isoformat()


@pytest.mark.django_db
def test_open_clocks_most_urgent_first(policy: Any) -> None:
    with time_machine.travel(FRIDAY_AFTERNOON, tick=False):
        older = report(detected_at=FRIDAY_AFTERNOON - dt.timedelta(hours=30))
        newer = report()
        rows = open_breach_clocks(principal=CLI)
    assert [r["id"] for r in rows] == [older.pk, newer.pk]
    assert rows[0]["next"]["state"] == clocks.OVERDUE
