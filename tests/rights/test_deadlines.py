"""Art. 12(3) deadlines: the reference's worked examples and derivations made by hand from the calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutela.rights.deadlines import (
    Pause,
    add_months,
    deadline_for,
    deadline_state,
    due_date,
    extended_due_date,
    is_working_day,
)

D = dt.date

# Belgian public holidays written out by hand (not from the `holidays` package) for the years tested below.
BE_HOLIDAYS_2025 = {
    D(2025, 1, 1), D(2025, 4, 21), D(2025, 5, 1), D(2025, 5, 29), D(2025, 6, 9),
    D(2025, 7, 21), D(2025, 8, 15), D(2025, 11, 1), D(2025, 11, 11), D(2025, 12, 25),
}  # fmt: skip


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # the worked examples of the reference (EDPB Examples 32 and 33 with Belgian holidays)
        (D(2025, 3, 5), D(2025, 4, 7)),  # 5 April 2025 is a Saturday
        (D(2025, 4, 1), D(2025, 5, 2)),  # 1 May is Labour Day
        (D(2024, 1, 31), D(2024, 2, 29)),  # leap year
        (D(2025, 8, 31), D(2025, 9, 30)),  # no 31 September
        (D(2026, 3, 5), D(2026, 4, 7)),  # 5 April 2026 is Easter Sunday, 6 April Easter Monday
        # derived by hand from the calendar
        (D(2025, 12, 24), D(2026, 1, 26)),  # 24 January 2026 is a Saturday -> Monday 26
        (D(2024, 2, 29), D(2024, 3, 29)),  # Good Friday is not a Belgian public holiday
        (D(2025, 3, 21), D(2025, 4, 22)),  # 21 April 2025 is Easter Monday
        (D(2025, 4, 29), D(2025, 5, 30)),  # 29 May 2025 is Ascension Day
        (D(2025, 5, 9), D(2025, 6, 10)),  # 9 June 2025 is Whit Monday
        (D(2025, 6, 21), D(2025, 7, 22)),  # 21 July is the National Day
        (D(2025, 10, 11), D(2025, 11, 12)),  # 11 November is Armistice Day
        (D(2025, 11, 25), D(2025, 12, 26)),  # Christmas; 26 December is a working day in Belgium
        (D(2025, 1, 31), D(2025, 2, 28)),  # not a leap year
        (D(2025, 3, 31), D(2025, 4, 30)),  # April has 30 days
        (D(2025, 7, 15), D(2025, 8, 18)),  # 15 August (Assumption) is a Friday -> Monday 18
    ],
)
def test_due_dates(received: dt.date, due: dt.date) -> None:
    assert due_date(received) == due


@pytest.mark.parametrize(
    ("received", "extended"),
    [
        # three months from receipt, shifted to a working day
        (D(2025, 3, 5), D(2025, 6, 5)),
        (D(2025, 4, 1), D(2025, 7, 1)),
        # 20 July 2025 is a Sunday, 21 July the National Day -> Tuesday 22
        (D(2025, 4, 20), D(2025, 7, 22)),
        # shortened first month: two months from 29 February (29 April) is earlier than 30 April
        (D(2024, 1, 31), D(2024, 4, 29)),
        # 30 November 2025 is a Sunday (both readings) -> Monday 1 December
        (D(2025, 8, 31), D(2025, 12, 1)),
        # 24 March 2026 is a Tuesday
        (D(2025, 12, 24), D(2026, 3, 24)),
    ],
)
def test_extended_due_dates(received: dt.date, extended: dt.date) -> None:
    assert extended_due_date(received) == extended


def test_holidays_match_a_hand_written_list() -> None:
    day = D(2025, 1, 1)
    while day.year == 2025:
        expected = day.weekday() < 5 and day not in BE_HOLIDAYS_2025
        assert is_working_day(day) is expected, day
        day += dt.timedelta(days=1)


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert add_months(D(2025, 11, 30), 3) == D(2026, 2, 28)
    assert add_months(D(2025, 12, 15), 1) == D(2026, 1, 15)


def test_a_pause_pushes_the_deadline_by_its_length() -> None:
    # received 3 March 2025, 10 days waiting for identity information: 3 April + 10 = 13 April (Sunday) -> 14
    d = deadline_for(D(2025, 3, 3), pauses=[Pause(D(2025, 3, 4), D(2025, 3, 14))])
    assert d.due == D(2025, 4, 14)
    # an open pause counts up to today
    d = deadline_for(D(2025, 3, 3), pauses=[Pause(D(2025, 3, 4))], today=D(2025, 3, 9))
    assert d.due == D(2025, 4, 8)


def test_states() -> None:
    due = D(2025, 5, 2)
    assert deadline_state(due=due, today=D(2025, 4, 2)) == "on_time"
    assert deadline_state(due=due, today=D(2025, 4, 28)) == "at_risk"
    assert deadline_state(due=due, today=due) == "at_risk"
    assert deadline_state(due=due, today=D(2025, 5, 3)) == "overdue"
    assert deadline_state(due=due, today=D(2025, 5, 3), closed=True) == "closed"
    assert deadline_state(due=due, today=D(2025, 5, 3), paused=True) == "paused"


@settings(max_examples=400, deadline=None)
@given(st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31)))
def test_properties(received: dt.date) -> None:
    due = due_date(received)
    assert is_working_day(due)
    assert due > received
    # one month, at most 5 days later because of a weekend next to holidays, never "+30 days" on the short side
    assert add_months(received, 1) <= due <= add_months(received, 1) + dt.timedelta(days=5)
    assert (due - received).days <= 36
    ext = extended_due_date(received)
    assert is_working_day(ext)
    assert due < ext <= add_months(received, 3) + dt.timedelta(days=5)


def test_cli_deadline(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("rights", "deadline", "--received", "2025-04-01", "--json")
    assert r.returncode == 0, r.stderr
    assert r.json() == {"received": "2025-04-01", "due": "2025-05-02", "extended_due": "2025-07-01"}
    bad = cli("rights", "deadline", "--received", "2025-13-01", "--json")
    assert bad.returncode == 2
    assert "--received" in bad.stderr
