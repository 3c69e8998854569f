"""The pure retention rules: period arithmetic, anchors, items with several purposes. Dates worked by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutela.retention.rules import (
    RelationshipFact,
    RetentionFacts,
    add_period,
    combined_action,
    facts_for_purpose,
    final_action,
    is_past_retention,
    item_due_on,
    item_end_on,
    last_due_year,
    latest_anchor_due,
    parse_period,
    rule_due_on,
    rule_end_on,
)

D = dt.date


@dataclass(frozen=True)
class Rule:
    trigger: str
    period: str
    action: str = "erase"
    from_next_january: bool = False
    archive_period: str | None = None
    archive_then: str = "erase"


TYPES = {"member": "contract", "prospect": "interest", "newsletter-subscriber": "subscription"}


@pytest.mark.parametrize(
    ("start", "period", "end"),
    [
        (D(2026, 1, 31), "P1M", D(2026, 2, 28)),  # Regulation 1182/71: last day of the shorter month
        (D(2028, 1, 31), "P1M", D(2028, 2, 29)),  # leap year
        (D(2026, 3, 31), "P1M", D(2026, 4, 30)),
        (D(2026, 1, 15), "P1M", D(2026, 2, 15)),
        (D(2024, 2, 29), "P1Y", D(2025, 2, 28)),
        (D(2024, 2, 29), "P4Y", D(2028, 2, 29)),
        (D(2015, 6, 30), "P10Y", D(2025, 6, 30)),
        (D(2026, 12, 31), "P1M", D(2027, 1, 31)),
        (D(2026, 11, 30), "P3M", D(2027, 2, 28)),
        (D(2026, 5, 5), "P0D", D(2026, 5, 5)),
        (D(2026, 5, 5), "P10D", D(2026, 5, 15)),
        (D(2026, 1, 31), "P1M1D", D(2026, 3, 1)),
        (D(2025, 12, 1), "P1Y6M", D(2027, 6, 1)),
    ],
)
def test_add_period_by_hand(start: dt.date, period: str, end: dt.date) -> None:
    assert add_period(start, period) == end


@pytest.mark.parametrize("bad", ["", "P", "10Y", "P1W", "PT1H", "P-1Y", "p1y"])
def test_bad_periods_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_period(bad)


@pytest.mark.parametrize(
    ("period", "today", "anchor"),
    [
        ("P1M", D(2026, 2, 28), D(2026, 1, 31)),  # 29, 30, 31 January all end on 28 February
        ("P1M", D(2026, 2, 27), D(2026, 1, 27)),
        ("P1Y", D(2026, 11, 25), D(2025, 11, 25)),
        ("P10Y", D(2026, 11, 25), D(2016, 11, 25)),
        ("P0D", D(2026, 11, 25), D(2026, 11, 25)),
        ("P1Y", D(2025, 2, 28), D(2024, 2, 29)),
    ],
)
def test_latest_anchor_due_by_hand(period: str, today: dt.date, anchor: dt.date) -> None:
    assert latest_anchor_due(period, today) == anchor


dates = st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31))
periods = st.builds(
    lambda y, m, d: (
        "P" + (f"{y}Y" if y else "") + (f"{m}M" if m else "") + (f"{d}D" if d or not (y or m) else "")
    ),
    st.integers(0, 12),
    st.integers(0, 14),
    st.integers(0, 40),
)


@given(start=dates, period=periods, today=dates)
def test_cutoff_is_the_exact_inverse_of_adding_the_period(
    start: dt.date, period: str, today: dt.date
) -> None:
    assert (add_period(start, period) <= today) == (start <= latest_anchor_due(period, today))


@given(a=dates, b=dates, period=periods)
def test_adding_a_period_is_monotonic_and_never_goes_back(a: dt.date, b: dt.date, period: str) -> None:
    lo, hi = min(a, b), max(a, b)
    assert add_period(lo, period) <= add_period(hi, period)
    assert add_period(lo, period) >= lo


@given(start=dates, months=st.integers(0, 240))
def test_month_addition_keeps_the_day_or_ends_the_month(start: dt.date, months: int) -> None:
    end = add_period(start, f"P{months}M") if months else start
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    next_day = end + dt.timedelta(days=1)
    assert end.day == start.day or (end.day < start.day and next_day.month != end.month)


MEMBER = Rule("contract_end", "P10Y")
PROSPECT = Rule("last_interest", "P1Y")
ACCOUNTING = Rule("books_closed", "P10Y", "archive", True)
NEWSLETTER = Rule("unsubscribed", "P0D")
CCTV = Rule("recorded", "P1M")


def facts(rels: list[RelationshipFact], kinds: list[str], collected: dt.date | None = None, **kw: object):
    return facts_for_purpose(
        collected_on=collected or D(2014, 3, 1),
        relationships=rels,
        relationship_types=TYPES,
        purpose_kinds=kinds,
        **kw,
    )


def test_member_due_ten_years_after_the_contract_ends() -> None:
    f = facts([RelationshipFact("member", D(2010, 1, 1), D(2015, 6, 30))], ["member"])
    assert rule_due_on(MEMBER, f) == D(2025, 6, 30)


def test_running_contract_is_never_due_and_a_future_end_counts_as_running() -> None:
    running = facts([RelationshipFact("member", D(2010, 1, 1), None)], ["member"])
    assert rule_due_on(MEMBER, running) is None
    future = facts(
        [RelationshipFact("member", D(2010, 1, 1), D(2027, 1, 1))], ["member"], today=D(2026, 11, 25)
    )
    assert rule_due_on(MEMBER, future) is None
    nothing = facts([], ["member"])
    assert rule_due_on(MEMBER, nothing) is None  # no contract on record: never erased on a guess


def test_relationships_of_other_kinds_do_not_count() -> None:
    f = facts(
        [RelationshipFact("member", D(2010, 1, 1), D(2015, 6, 30)), RelationshipFact("prospect", None, None)],
        ["member"],
    )
    assert rule_due_on(MEMBER, f) == D(2025, 6, 30)


def test_prospect_one_year_after_the_last_interest_whenever_the_data_came_in() -> None:
    f = facts(
        [RelationshipFact("prospect", D(2024, 1, 1), None, D(2025, 3, 10))], ["prospect"], D(2024, 1, 5)
    )
    assert rule_due_on(PROSPECT, f) == D(2026, 3, 10)
    # issue 16: data received later (an import) do not restart the year; the interest shown does
    later = facts(
        [RelationshipFact("prospect", D(2024, 1, 1), None, D(2025, 3, 10))], ["prospect"], D(2025, 9, 1)
    )
    assert rule_due_on(PROSPECT, later) == D(2026, 3, 10)
    no_interest = facts([RelationshipFact("prospect", D(2024, 1, 1))], ["prospect"], D(2023, 12, 1))
    assert rule_due_on(PROSPECT, no_interest) == D(2025, 1, 1)  # started_on stands in
    # no fact at all: the collection date the source gave
    bare = facts([RelationshipFact("prospect")], ["prospect"], D(2024, 6, 1))
    assert rule_due_on(PROSPECT, bare) == D(2025, 6, 1)


def test_a_member_whose_contract_ended_in_2014_imported_today_is_already_due() -> None:
    """Issue 16: the anchor was the later of collection (the import, 2026) and the contract end."""
    f = facts([RelationshipFact("member", D(2005, 1, 1), D(2014, 6, 30))], ["member"], D(2026, 11, 25))
    assert rule_due_on(MEMBER, f) == D(2024, 6, 30)


def test_an_unknown_collection_date_counts_from_the_day_tutela_received_the_item() -> None:
    unknown = facts_for_purpose(
        collected_on=None,
        received_on=D(2026, 11, 25),
        relationships=[],
        relationship_types=TYPES,
        purpose_kinds=["visitor"],
    )
    assert rule_due_on(Rule("collected", "P6M"), unknown) == D(2027, 5, 25)
    # a known date wins over the day it was received
    known = facts_for_purpose(
        collected_on=D(2026, 1, 10),
        received_on=D(2026, 11, 25),
        relationships=[],
        relationship_types=TYPES,
        purpose_kinds=["visitor"],
    )
    assert rule_due_on(Rule("collected", "P6M"), known) == D(2026, 7, 10)
    # nothing at all: no date (never erased on a guess)
    nothing = facts_for_purpose(
        collected_on=None, relationships=[], relationship_types=TYPES, purpose_kinds=["visitor"]
    )
    assert rule_due_on(Rule("collected", "P6M"), nothing) is None


def test_accounting_of_an_unknown_date_follows_the_contract_end_not_the_import() -> None:
    ended = [RelationshipFact("member", D(2005, 1, 1), D(2014, 6, 30))]
    f = facts_for_purpose(
        collected_on=None,
        received_on=D(2026, 11, 25),
        relationships=ended,
        relationship_types=TYPES,
        purpose_kinds=["member"],
    )
    assert rule_due_on(ACCOUNTING, f) == D(2025, 1, 1)  # books of 2014, from 1 Jan 2015


def test_accounting_ten_years_from_the_first_of_january_after_closing() -> None:
    # contract ended mid-2015: books of 2015 close 31 Dec 2015, count from 1 Jan 2016, due 1 Jan 2026
    f = facts([RelationshipFact("member", D(2010, 1, 1), D(2015, 6, 30))], ["member"])
    assert rule_due_on(ACCOUNTING, f) == D(2026, 1, 1)
    without_january = Rule("books_closed", "P10Y", "archive", False)
    assert rule_due_on(without_january, f) == D(2025, 12, 31)
    running = facts([RelationshipFact("member", D(2010, 1, 1))], ["member"])
    assert rule_due_on(ACCOUNTING, running) is None
    supplier_less = facts([], ["member"], D(2012, 5, 5))  # no contract: the year of collection
    assert rule_due_on(ACCOUNTING, supplier_less) == D(2023, 1, 1)


@pytest.mark.parametrize(
    ("today", "year"),
    [(D(2026, 1, 1), 2015), (D(2025, 12, 31), 2014), (D(2026, 11, 25), 2015)],
)
def test_last_due_accounting_year(today: dt.date, year: int) -> None:
    assert last_due_year("P10Y", today, from_next_january=True) == year


def test_newsletter_until_unsubscription() -> None:
    active = facts([RelationshipFact("newsletter-subscriber", D(2020, 1, 1))], ["newsletter-subscriber"])
    assert rule_due_on(NEWSLETTER, active) is None
    left = facts(
        [RelationshipFact("newsletter-subscriber", D(2020, 1, 1), D(2026, 4, 2))], ["newsletter-subscriber"]
    )
    assert rule_due_on(NEWSLETTER, left) == D(2026, 4, 2)
    never = facts([], ["newsletter-subscriber"], D(2021, 2, 2))
    assert rule_due_on(NEWSLETTER, never) == D(2021, 2, 2)


def test_cctv_one_month_after_recording() -> None:
    f = RetentionFacts(collected_on=D(2026, 1, 31))
    assert rule_due_on(CCTV, f) == D(2026, 2, 28)
    assert rule_due_on(CCTV, RetentionFacts(collected_on=D(2026, 1, 1), recorded_on=D(2026, 3, 31))) == D(
        2026, 4, 30
    )


def test_last_activity_and_collected() -> None:
    f = RetentionFacts(collected_on=D(2020, 1, 1), last_activity_on=D(2022, 8, 31))
    assert rule_due_on(Rule("last_activity", "P6M"), f) == D(2023, 2, 28)
    assert rule_due_on(Rule("collected", "P2Y"), f) == D(2022, 1, 1)


def test_an_item_is_kept_while_any_purpose_needs_it() -> None:
    member = facts([RelationshipFact("member", D(2010, 1, 1), D(2015, 6, 30))], ["member"])
    both = [(MEMBER, member), (ACCOUNTING, member)]
    assert item_due_on(both) == D(2026, 1, 1)  # the later of 30 Jun 2025 and 1 Jan 2026
    assert not is_past_retention(both, D(2025, 12, 31))
    assert is_past_retention(both, D(2026, 1, 1))
    running = facts([RelationshipFact("newsletter-subscriber", D(2020, 1, 1))], ["newsletter-subscriber"])
    assert item_due_on([(MEMBER, member), (NEWSLETTER, running)]) is None
    assert item_due_on([]) is None
    assert not is_past_retention([], D(2099, 1, 1))


@given(
    ends=st.lists(st.one_of(st.none(), dates), min_size=1, max_size=4),
    today=dates,
)
def test_item_due_is_the_latest_purpose_date(ends: list[dt.date | None], today: dt.date) -> None:
    parts = [(MEMBER, facts([RelationshipFact("member", None, e)], ["member"])) for e in ends]
    due = item_due_on(parts)
    singles = [rule_due_on(r, f) for r, f in parts]
    if any(s is None for s in singles):
        assert due is None
    else:
        assert due == max(s for s in singles if s is not None)
        assert is_past_retention(parts, today) == all(today >= s for s in singles if s is not None)


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        (["erase"], "erase"),
        (["erase", "anonymise"], "anonymise"),
        (["erase", "archive", "anonymise"], "archive"),
        ([], "erase"),
    ],
)
def test_combined_action(actions: list[str], expected: str) -> None:
    assert combined_action(actions) == expected
    with pytest.raises(ValueError):
        combined_action(["shred"])


# ---------------------------------------------------------------- the archive phase (issue 16: it ends)
ARCHIVING = Rule("books_closed", "P0D", "archive", True, archive_period="P10Y", archive_then="erase")


def test_accounting_is_archived_when_the_books_close_and_erased_ten_years_later() -> None:
    f = facts([RelationshipFact("member", D(2010, 1, 1), D(2015, 6, 30))], ["member"])
    assert rule_due_on(ARCHIVING, f) == D(2016, 1, 1)  # archived from 1 January after the closing
    assert rule_end_on(ARCHIVING, f) == D(2026, 1, 1)  # "ten years ... then erased"
    assert rule_end_on(MEMBER, f) == rule_due_on(MEMBER, f)  # no archive: the end is the due day


def test_an_items_end_is_the_latest_of_its_rules_ends_archive_included() -> None:
    member = facts([RelationshipFact("member", D(2010, 1, 1), D(2015, 6, 30))], ["member"])
    parts = [(MEMBER, member), (ARCHIVING, member)]
    assert item_due_on(parts) == D(2025, 6, 30)  # the member rule keeps it in use until then
    assert item_end_on(parts) == D(2026, 1, 1)  # then in the archive until the accounting end
    assert final_action([MEMBER, ARCHIVING]) == "erase"
    stats = Rule("collected", "P2Y", "anonymise")
    assert final_action([stats, ARCHIVING]) == "anonymise"
    running = facts([RelationshipFact("member", D(2010, 1, 1))], ["member"])
    assert item_end_on([(MEMBER, running), (ARCHIVING, member)]) is None


@given(anchor=dates, today=dates)
def test_cutoff_of_two_periods_is_the_exact_inverse(anchor: dt.date, today: dt.date) -> None:
    periods = ["P1M", "P10Y1M"]
    assert (add_period(add_period(anchor, periods[0]), periods[1]) <= today) == (
        anchor <= latest_anchor_due(periods, today)
    )
