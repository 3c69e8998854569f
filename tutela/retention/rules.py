"""Pure retention rules: when an item becomes due, and what then happens to it. No database here.

Vocabulary
----------
* A **rule** is one of the policy's ``retention`` entries (``trigger``, ``period``, ``action``,
  ``from_next_january``). Each purpose names its rule.
* The **anchor** of a rule is the date its period counts from (the end of the contract, the last interest …).
  :func:`rule_due_on` gives ``anchor + period``: the item is *due* under that rule from that day on
  (``today >= due_on``). ``None`` means "not due while things stay as they are" (a contract still runs, a
  subscription is still active, or a fact the rule needs is missing: Tutela never erases on a guess).
* An item is due when ALL its purposes' rules are due: it is kept while any purpose still needs it.
  :func:`item_due_on` is therefore the LATEST of its rules' dates (``None`` if any is ``None``, or when
  the item has no purpose at all).
* When an item is due, :func:`combined_action` says what happens: ``archive`` beats ``anonymise`` beats
  ``erase`` (a rule that asks for an archive or for statistics expresses a need the others do not cancel).

Anchors come from the policy's facts, never from the time Tutela received the data. The item's
``collected_on`` is what the source says (``None`` when it said nothing); ``received_on`` is the day Tutela
received the item, used only when the source gave no date at all (an upper bound of the real date: the
item is never erased before it is due):

=============  ===========================================================================================
trigger        anchor
=============  ===========================================================================================
contract_end   latest end of the person's contracts (subject types with ``relationship: contract`` among the
               purpose's subject types, same controller); a contract still running, or none on record,
               gives ``None``
last_interest  latest ``last_interest_on`` (else ``started_on``) of the purpose's relationships; with no such
               fact, the collection date
collected      the collection date
unsubscribed   latest end of the person's subscriptions (``relationship: subscription``); a running one gives
               ``None``; none on record means the purpose does not hold, counted from collection
books_closed   the closing of the accounting year (calendar year) of the latest of collection and contract
               end; with ``from_next_january`` counted from the next 1 January; running contract → ``None``
recorded       the recording time (for items: the collection date)
last_activity  the latest of the collection date and the person's last interaction with the controller
=============  ===========================================================================================

"The collection date" is ``collected_on``, else ``received_on``. For ``books_closed`` and
``last_activity`` an unknown collection date gives way to the contract end or the last interaction when
there is one.

**Every lifecycle ends.** A rule whose action is ``archive`` has an archive phase (``archive_period``,
counted from the day the rule's own period ends) and a final action (``archive_then``: erase or
anonymise). :func:`item_end_on` is the day an item leaves the archive.

Period arithmetic follows Regulation 1182/71: a period in months or years ends on the same day number of the
last month, or on that month's last day when it has none (31 January + P1M = 28/29 February).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

_PERIOD = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$")
ACTION_STRENGTH = {"erase": 0, "anonymise": 1, "archive": 2}


class RuleLike(Protocol):
    """What a rule needs to be evaluated (``tutela.policy.schema.RetentionRule`` fits)."""

    @property
    def trigger(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def from_next_january(self) -> bool: ...
    @property
    def archive_period(self) -> str | None: ...
    @property
    def archive_then(self) -> str: ...


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    days: int = 0

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months


def parse_period(text: str) -> Period:
    """``P10Y`` → Period(10, 0, 0). Raises ValueError on anything else (weeks and times are not used)."""
    match = _PERIOD.match(text or "")
    if not match or text == "P":
        raise ValueError(f"not an ISO 8601 period of years, months and days: {text!r}")
    years, months, days = (int(g) if g else 0 for g in match.groups())
    return Period(years, months, days)


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day number ``months`` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def add_period(day: dt.date, period: Period | str) -> dt.date:
    """The day a period starting on ``day`` ends (months first, with month-end clamping, then days)."""
    p = parse_period(period) if isinstance(period, str) else period
    return add_months(day, p.total_months) + dt.timedelta(days=p.days)


def add_periods(day: dt.date, periods: Sequence[Period | str]) -> dt.date:
    """``day`` moved by each period in turn (a rule's period, then its archive period)."""
    for period in periods:
        day = add_period(day, period)
    return day


def latest_anchor_due(period: Period | str | Sequence[Period | str], today: dt.date) -> dt.date:
    """The latest anchor ``a`` with ``add_period(a, period) <= today`` (or, given several periods, with
    ``add_periods(a, periods) <= today``).

    ``add_period`` is monotonic in its start, so for every date ``a``:
    ``add_period(a, period) <= today``  ⇔  ``a <= latest_anchor_due(period, today)``.
    The sweep turns rules into SQL with this cut-off.
    """
    periods = [period] if isinstance(period, (Period, str)) else list(period)
    parsed = [parse_period(p) if isinstance(p, str) else p for p in periods]
    candidate = today
    for p in reversed(parsed):
        candidate = add_months(candidate - dt.timedelta(days=p.days), -p.total_months)
    # subtraction clamps to month ends, so step back until the candidate is due, then forward while the next is
    while add_periods(candidate, parsed) > today:
        candidate -= dt.timedelta(days=1)
    while add_periods(candidate + dt.timedelta(days=1), parsed) <= today:
        candidate += dt.timedelta(days=1)
    return candidate


def accounting_start(closing: dt.date, *, from_next_january: bool) -> dt.date:
    """Where an accounting period counts from: the closing itself, or the 1 January after it."""
    return dt.date(closing.year + 1, 1, 1) if from_next_january else closing


def books_closing(year: int) -> dt.date:
    """The closing date of an accounting year (Tutela assumes calendar-year books)."""
    return dt.date(year, 12, 31)


@dataclass(frozen=True)
class RelationshipFact:
    """A person's relationship with the item's controller, as retention sees it."""

    kind: str
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    last_interest_on: dt.date | None = None

    def running(self, today: dt.date | None = None) -> bool:
        """No end, or an end still in the future."""
        return self.ended_on is None or (today is not None and self.ended_on > today)


@dataclass(frozen=True)
class RetentionFacts:
    """The facts one rule of one purpose counts from (already narrowed to the purpose's subject types).

    ``collected_on`` is what the source said (``None``: it said nothing); ``received_on`` the day Tutela
    received the item (only used when the source gave no date)."""

    collected_on: dt.date | None
    contract_ended_on: dt.date | None = None
    contract_running: bool = False
    last_interest_on: dt.date | None = None
    subscription_running: bool = False
    unsubscribed_on: dt.date | None = None
    books_closed_on: dt.date | None = None
    recorded_on: dt.date | None = None
    last_activity_on: dt.date | None = None
    #: for contract_end: was any contract of the purpose's kinds on record at all
    has_contract: bool = False
    received_on: dt.date | None = None

    @property
    def collection(self) -> dt.date | None:
        """The collection date: what the source said, else the day Tutela received the item."""
        return self.collected_on or self.received_on


def _later(*dates: dt.date | None) -> dt.date | None:
    present = [d for d in dates if d is not None]
    return max(present) if present else None


def facts_for_purpose(
    *,
    collected_on: dt.date | None,
    relationships: Iterable[RelationshipFact],
    relationship_types: Mapping[str, str],
    purpose_kinds: Sequence[str],
    last_activity_on: dt.date | None = None,
    recorded_on: dt.date | None = None,
    today: dt.date | None = None,
    received_on: dt.date | None = None,
) -> RetentionFacts:
    """Narrow a person's relationships (with the item's controller) to one purpose and derive its facts.

    ``relationship_types`` maps subject-type keys to their policy ``relationship`` (contract, interest,
    subscription …); ``purpose_kinds`` are the purpose's subject types. A relationship whose end lies after
    ``today`` counts as running.
    """
    rels = [r for r in relationships if r.kind in purpose_kinds]
    contracts = [r for r in rels if relationship_types.get(r.kind) == "contract"]
    subscriptions = [r for r in rels if relationship_types.get(r.kind) == "subscription"]
    contract_running = any(r.running(today) for r in contracts)
    contract_end = None if contract_running else _later(*(r.ended_on for r in contracts))
    interest = _later(*(r.last_interest_on or r.started_on for r in rels))
    sub_running = any(r.running(today) for r in subscriptions)
    unsubscribed = None if sub_running else _later(*(r.ended_on for r in subscriptions))
    books = None
    if not contract_running:
        latest = _later(collected_on, contract_end) or received_on
        books = books_closing(latest.year) if latest is not None else None
    return RetentionFacts(
        collected_on=collected_on,
        contract_ended_on=contract_end,
        contract_running=contract_running,
        has_contract=bool(contracts),
        last_interest_on=interest,
        subscription_running=sub_running,
        unsubscribed_on=unsubscribed,
        books_closed_on=books,
        recorded_on=recorded_on,
        last_activity_on=last_activity_on,
        received_on=received_on,
    )


def rule_anchor(rule: RuleLike, facts: RetentionFacts) -> dt.date | None:
    """The date the rule's period counts from, or None while it cannot start (see the module's table).

    The policy's fact is the anchor; the collection date only stands in where the rule counts from
    collection or the fact is unknown. Data obtained after the fact do not restart the clock."""
    collection = facts.collection
    trigger = rule.trigger
    if trigger == "contract_end":
        if facts.contract_running or facts.contract_ended_on is None:
            return None
        return facts.contract_ended_on
    if trigger == "last_interest":
        return facts.last_interest_on or collection
    if trigger == "collected":
        return collection
    if trigger == "recorded":
        return facts.recorded_on or collection
    if trigger == "unsubscribed":
        if facts.subscription_running:
            return None
        return facts.unsubscribed_on or collection
    if trigger == "books_closed":
        if facts.contract_running or facts.books_closed_on is None:
            return None
        return accounting_start(facts.books_closed_on, from_next_january=rule.from_next_january)
    if trigger == "last_activity":
        return _later(facts.collected_on, facts.last_activity_on) or facts.received_on
    raise ValueError(f"unknown retention trigger {trigger!r}")


def rule_due_on(rule: RuleLike, facts: RetentionFacts) -> dt.date | None:
    """The day an item becomes due under one rule (``None`` while a contract runs or a fact is missing)."""
    anchor = rule_anchor(rule, facts)
    return None if anchor is None else add_period(anchor, rule.period)


@dataclass(frozen=True)
class PurposeRetention:
    """One purpose of an item, its rule and the facts that rule counts from."""

    purpose: str
    rule_key: str
    rule: RuleLike
    facts: RetentionFacts
    due_on: dt.date | None = field(default=None)


def item_due_on(parts: Iterable[tuple[RuleLike, RetentionFacts]]) -> dt.date | None:
    """The day an item becomes due: the latest of its purposes' dates.

    ``parts`` holds one ``(rule, facts)`` pair per purpose of the item. ``None`` when any purpose has no date
    yet (its rule is not running out) or when there is no purpose at all (Tutela never erases an item whose
    purposes it does not know; the register flags those).
    """
    dates = []
    for rule, facts in parts:
        due = rule_due_on(rule, facts)
        if due is None:
            return None
        dates.append(due)
    return max(dates) if dates else None


def is_past_retention(parts: Iterable[tuple[RuleLike, RetentionFacts]], today: dt.date) -> bool:
    """Is the item due on ``today``? With one pair, asks the question for a single purpose."""
    due = item_due_on(parts)
    return due is not None and today >= due


def rule_end_on(rule: RuleLike, facts: RetentionFacts) -> dt.date | None:
    """The day an item leaves the rule's lifecycle for good: its due day, plus the archive phase for a rule
    that archives (``None`` while the due day is unknown)."""
    due = rule_due_on(rule, facts)
    if due is None or rule.action != "archive" or not rule.archive_period:
        return due
    return add_period(due, rule.archive_period)


def item_end_on(parts: Iterable[tuple[RuleLike, RetentionFacts]]) -> dt.date | None:
    """The day an item is erased or anonymised at last: the latest of its rules' ends (archive included).

    Equal to :func:`item_due_on` when no rule archives, or when the archive phases are over by then."""
    ends = []
    for rule, facts in parts:
        end = rule_end_on(rule, facts)
        if end is None:
            return None
        ends.append(end)
    return max(ends) if ends else None


def final_action(rules_: Iterable[RuleLike]) -> str:
    """What happens to an item at its end: each rule's own action, an archive's final action in its place
    (anonymise beats erase)."""
    actions = [r.archive_then if r.action == "archive" else r.action for r in rules_]
    return "anonymise" if "anonymise" in actions else "erase"


def combined_action(actions: Iterable[str]) -> str:
    """What happens to a due item whose purposes name several rules: archive > anonymise > erase."""
    chosen = "erase"
    for action in actions:
        if action not in ACTION_STRENGTH:
            raise ValueError(f"unknown retention action {action!r}")
        if ACTION_STRENGTH[action] > ACTION_STRENGTH[chosen]:
            chosen = action
    return chosen


def last_due_year(
    period: Period | str | Sequence[Period | str], today: dt.date, *, from_next_january: bool
) -> int | None:
    """The latest accounting year whose books are due today (books of that year closed on 31 December)."""
    cutoff = latest_anchor_due(period, today)
    # start = closing (31 Dec Y) or 1 Jan Y+1 must be <= cutoff
    year = cutoff.year - 1 if from_next_january else cutoff.year
    if not from_next_january and cutoff < books_closing(cutoff.year):
        year -= 1
    return year
