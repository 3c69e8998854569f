"""Years of a register, played by random sequences under a moving clock (issue 16 §8).

A hypothesis state machine creates people (members and customers with contracts that start and end,
prospects with their last interest, visitors filmed by a camera or registered at the entrance, event
participants), gives consents, discloses people to a recipient, places and releases legal holds, merges
duplicates, ends contracts and renews interests, and moves the one clock (time-machine) by a day, a month, a
year or several; after every move the daily sweep (``retention_sweep``) runs. Then:

- nothing is held past its rule's date (archive phase included) unless a hold covers it;
- nothing still needed is gone (a running contract's data stay; nothing goes before its date);
- the sweep never ends failed or partial, and its counts equal what the machine expected to go;
- the audit chain verifies.

The expected dates are the machine's own: each rule's trigger, period, action and archive phase are read
from the policy file with plain YAML (``policy_data``), as policy §8 states them (members: during the
contract and ten years after it ends; prospects: one year after the last interest; CCTV one month …), and
counted from the facts the machine itself set — never from Tutela's rule functions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import TestCase
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.invariants.budget import machine_settings
from tutela.core import clock

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 25, 12, 0, tzinfo=clock.BRUSSELS)

#: the kinds of people the machine makes, each with the purposes of its items and how it is held
KINDS: dict[str, dict[str, Any]] = {
    "member": {"purposes": ["member-management"], "archive_purpose": "legal-obligations"},
    "customer": {"purposes": ["customer-supplier-management"], "archive_purpose": "legal-obligations"},
    "prospect": {"purposes": ["prospecting"]},
    "visitor": {"purposes": ["site-security", "site-access"]},
    "event-participant": {"purposes": ["event-management"]},
}
CATEGORY = {
    "member-management": "user.name",
    "customer-supplier-management": "user.name",
    "prospecting": "user.name",
    "site-security": "user.sensor.cctv_image",
    "site-access": "user.behavior.site_registration",
    "event-management": "user.behavior.event_participation",
    "legal-obligations": "user.contact.address",
}
SOURCE = {"site-security": "cctv", "site-access": "site-registration"}
CONTRACT_KINDS = ("member", "customer")
GONE = ("erased",)

TALLY: Counter[str] = Counter()


def add_period(day: dt.date, period: str) -> dt.date:
    """An ISO 8601 period (PnY, PnM, PnD, or a mix) added to a day, clamping to the month's last day."""
    m = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?", period)
    assert m, f"period {period!r} is not of the form PnYnMnD"
    years, months, days = (int(g or 0) for g in m.groups())
    month0 = day.month - 1 + months
    year = day.year + years + month0 // 12
    month = month0 % 12 + 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last)) + dt.timedelta(days=days)


def anchor_for_due(due: dt.date, period: str) -> dt.date | None:
    """The anchor day whose date under ``period`` is ``due`` (None when no day gives exactly that date)."""
    m = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?", period)
    assert m, period
    years, months, days = (int(g or 0) for g in m.groups())
    day = due - dt.timedelta(days=days)
    month0 = day.month - 1 - months
    year = day.year - years + month0 // 12
    month = month0 % 12 + 1
    for d in (day.day, 28, 29, 30, 31):
        try:
            guess = dt.date(year, month, d)
        except ValueError:
            continue
        if add_period(guess, period) == due:
            return guess
    return None


@dataclass
class Rule:
    key: str
    trigger: str
    period: str
    action: str
    archive_period: str | None = None
    archive_then: str | None = None


def rules_from(policy_data: dict[str, Any]) -> dict[str, Rule]:
    """purpose -> its retention rule, straight from the YAML."""
    out = {}
    for key, purpose in policy_data["purposes"].items():
        raw = policy_data["retention"][purpose["retention"]]
        archive = raw.get("archive") or {}
        out[key] = Rule(
            purpose["retention"],
            raw["trigger"],
            raw["period"],
            raw["action"],
            archive.get("period"),
            archive.get("then"),
        )
    return out


@dataclass
class Item:
    pk: int
    purpose: str
    controller: str
    kind: str
    collected: dt.date
    holds: set[int] = field(default_factory=set)
    unsure: bool = False  # a hold moved onto its person by a merge: whether it covers this item is open
    gone: bool = False  # the machine saw it leave
    erased_on_request: bool = False  # an erasure request took it (the person asked; nothing needed it)


@dataclass
class Person:
    pk: int
    kind: str
    controller: str
    started: dt.date | None = None
    ended: dt.date | None = None
    interest: dt.date | None = None
    items: list[Item] = field(default_factory=list)
    merged_into: int | None = None


class LifecycleMachine(RuleBasedStateMachine):
    policy_rules: dict[str, Rule]
    collected_for: dict[str, list[str]]
    tmp: Path

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._travel = time_machine.travel(START, tick=False)
        self.traveller = self._travel.start()
        self.people: dict[int, Person] = {}
        self.holds: dict[int, set[int]] = {}  # hold id -> item pks it covers
        self.counter = 0
        self.swept = False  # the register is as the last sweep left it (no change since)

    def teardown(self) -> None:
        try:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)
        finally:
            self._travel.stop()

    # -------------------------------------------------------------------------------- the model's rules

    def today(self) -> dt.date:
        return clock.today()

    def anchor(self, item: Item, person: Person) -> dt.date | None:
        trigger = self.policy_rules[item.purpose].trigger
        if trigger == "contract_end":
            return person.ended
        if trigger == "last_interest":
            return person.interest
        if trigger in ("collected", "recorded"):
            return item.collected
        raise AssertionError(f"the machine makes no item whose rule starts at {trigger!r}")

    def phase(self, item: Item, person: Person, day: dt.date) -> str:
        """What should be of ``item`` on ``day`` by policy §8: active, archived or gone."""
        rule = self.policy_rules[item.purpose]
        anchor = self.anchor(item, person)
        if anchor is None:
            return "active"
        due = add_period(anchor, rule.period)
        if day < due:
            return "active"
        if rule.action == "erase":
            return "gone"
        assert rule.action == "archive", rule
        if rule.archive_period is None:
            return "gone"  # every lifecycle ends (issue 16 §5): an archive phase without an end is a defect
        if day < add_period(due, rule.archive_period):
            return "archived"
        return "gone"

    def owner(self, item: Item) -> Person:
        person = next(p for p in self.people.values() if item in p.items)
        return person

    def held(self, item: Item) -> bool:
        return bool(item.holds) or item.unsure

    # ------------------------------------------------------------------------------------------ helpers

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def live(self, kinds: tuple[str, ...] | None = None) -> list[Person]:
        return [
            p
            for p in self.people.values()
            if p.merged_into is None
            and (kinds is None or p.kind in kinds)
            and any(not i.gone for i in p.items)
        ]

    def make(
        self,
        kind: str,
        controller: str,
        *,
        started: dt.date | None,
        ended: dt.date | None,
        interest: dt.date | None,
        collected: dt.date,
        with_archive: bool,
    ) -> None:
        from tutela.accounts.principal import SYSTEM
        from tutela.subjects.services import NewItem, subject_create

        purposes = list(KINDS[kind]["purposes"])
        if with_archive and KINDS[kind].get("archive_purpose"):
            purposes.append(KINDS[kind]["archive_purpose"])
        by_source: dict[str, list[str]] = {}
        for purpose in purposes:
            by_source.setdefault(SOURCE.get(purpose, "direct"), []).append(purpose)
        collected_at = dt.datetime.combine(collected, dt.time(12), tzinfo=clock.BRUSSELS)
        person: Person | None = None
        for source, group in by_source.items():
            items = [NewItem(CATEGORY[p], self.fresh(f"{p} value "), [p]) for p in group]
            with TestCase.captureOnCommitCallbacks(execute=True):
                if person is None:
                    made = subject_create(
                        controller=controller,
                        subject_type=kind,
                        source=source,
                        items=items,
                        collected_at=collected_at,
                        started_on=started,
                        ended_on=ended,
                        last_interest_on=interest,
                        principal=SYSTEM,
                    )
                    person = Person(made.pk, kind, controller, started, ended, interest)
                    self.people[made.pk] = person
                else:
                    from tutela.subjects.services import item_add

                    for new in items:
                        item_add(
                            subject=person.pk,
                            controller=controller,
                            category=new.category,
                            value=new.value,
                            source=source,
                            subject_type=kind,
                            purposes=list(new.purposes or []),
                            collected_at=collected_at,
                            principal=SYSTEM,
                        )
        assert person is not None
        from tutela.subjects.models import DataItem

        for row in DataItem.objects.filter(subject_id=person.pk).order_by("pk"):
            assert len(row.purposes) == 1, f"item {row.pk} got purposes {row.purposes}, asked for one"
            person.items.append(Item(row.pk, row.purposes[0], controller, kind, collected))
        TALLY[f"person:{kind}"] += 1
        self.swept = False

    # -------------------------------------------------------------------------------------------- rules

    @initialize()
    def a_recipient(self) -> None:
        from tutela.accounts.principal import SYSTEM
        from tutela.recipients.services import recipient_create

        recipient_create(
            key="inv-it",
            name="IT provider in the EEA",
            recipient_type="it-providers",
            country="BE",
            purposes=["member-management", "customer-supplier-management"],
            categories=["user.name"],
            principal=SYSTEM,
        )

    @rule(
        kind=st.sampled_from(CONTRACT_KINDS),
        controller=st.sampled_from(["crm-asbl", "ac-cs"]),
        started_years_ago=st.integers(0, 25),
        length_days=st.none() | st.integers(0, 6000),
        with_archive=st.booleans(),
        day=st.integers(1, 28),
    )
    def contract(
        self,
        kind: str,
        controller: str,
        started_years_ago: int,
        length_days: int | None,
        with_archive: bool,
        day: int,
    ) -> None:
        """A member or customer: a contract that started up to 25 years ago, running or ended (at most today;
        an old contract, imported today, keeps its real end date)."""
        today = self.today()
        started = min(dt.date(today.year - started_years_ago, today.month, day), today)
        ended = None
        if length_days is not None:
            ended = min(started + dt.timedelta(days=length_days), today)
        self.make(
            kind,
            controller,
            started=started,
            ended=ended,
            interest=None,
            collected=started,
            with_archive=with_archive,
        )

    @rule(controller=st.sampled_from(["crm-asbl", "ac-cs"]), days_ago=st.integers(0, 900))
    def prospect(self, controller: str, days_ago: int) -> None:
        interest = self.today() - dt.timedelta(days=days_ago)
        self.make(
            "prospect",
            controller,
            started=None,
            ended=None,
            interest=interest,
            collected=interest - dt.timedelta(days=10),
            with_archive=False,
        )

    @rule(kind=st.sampled_from(["visitor", "event-participant"]), days_ago=st.integers(0, 1500))
    def visit_or_event(self, kind: str, days_ago: int) -> None:
        self.make(
            kind,
            "crm-asbl",
            started=None,
            ended=None,
            interest=None,
            collected=self.today() - dt.timedelta(days=days_ago),
            with_archive=False,
        )

    @rule(
        kind=st.sampled_from(["member", "customer", "prospect", "visitor", "event-participant"]),
        offset=st.sampled_from([-1, 0, 1, 2, 30]),
    )
    def on_the_edge(self, kind: str, offset: int) -> None:
        """Someone whose data fall due ``offset`` days from today (yesterday, today, tomorrow …), by the
        first purpose's rule: the days around a date are where off-by-one mistakes live."""
        purpose = KINDS[kind]["purposes"][0]
        rule = self.policy_rules[purpose]
        anchor = anchor_for_due(self.today() + dt.timedelta(days=offset), rule.period)
        if anchor is None or anchor > self.today():
            return
        facts: dict[str, Any] = {"started": None, "ended": None, "interest": None, "collected": anchor}
        if rule.trigger == "contract_end":
            facts.update(started=anchor - dt.timedelta(days=400), ended=anchor, collected=anchor)
        elif rule.trigger == "last_interest":
            facts.update(interest=anchor, collected=anchor)
        self.make(kind, "crm-asbl", with_archive=False, **facts)
        TALLY[f"edge {offset:+d}"] += 1

    @rule(days_ago=st.lists(st.integers(0, 1200), min_size=1, max_size=3), partial=st.booleans())
    def import_prospects(self, days_ago: list[int], partial: bool) -> None:
        """Prospects imported from a CSV with their last interest: the clock runs from that date, not from
        the import (issue 16 §3); a row already past its retention may be refused, never kept longer."""
        from tutela.accounts.principal import SYSTEM
        from tutela.subjects.importing.service import import_file
        from tutela.subjects.models import DataItem

        lines = ["email;first_name;last_name;last_interest_at"]
        rows = []
        for n in days_ago:
            address = self.fresh("prospect") + "@example.org"
            interest = self.today() - dt.timedelta(days=n)
            rows.append((address, interest))
            lines.append(f"{address};First;{self.fresh('Last')};{interest.isoformat()}")
        path = self.tmp / f"{self.fresh('prospects')}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with TestCase.captureOnCommitCallbacks(execute=True):
            report = import_file(
                path=path,
                controller="ac-cs",
                subject_type="prospect",
                source="direct",
                partial=partial,
                principal=SYSTEM,
            )
        allowed = set(self.collected_for["prospect"])
        for address, interest in rows:
            pk = (
                DataItem.objects.filter(category="user.contact.email", value=address)
                .values_list("subject_id", flat=True)
                .first()
            )
            if pk is None:
                assert report.refused or report.rejected, f"{address} neither imported nor refused"
                assert add_period(interest, self.policy_rules["prospecting"].period) <= self.today() or (
                    report.refused and report.rejected
                ), f"{address} (interest {interest}, still within its year) was refused: {report.as_dict()}"
                continue
            person = Person(pk, "prospect", "ac-cs", None, None, interest)
            self.people[pk] = person
            for row in DataItem.objects.filter(subject_id=pk).order_by("pk"):
                assert set(row.purposes) <= allowed and row.purposes, (
                    f"imported prospect item {row.pk} ({row.category}) got purposes {row.purposes}, "
                    f"the policy's prospects are collected for {sorted(allowed)}"
                )
                person.items.append(Item(row.pk, row.purposes[0], "ac-cs", "prospect", interest))
        TALLY["import"] += 1
        self.swept = False

    @precondition(lambda self: bool(self.live()))
    @rule(data=st.data())
    def erasure_request(self, data: Any) -> None:
        """The person asks for erasure; what a running contract or a hold still needs stays as it was
        (issue 16 §6), the rest may go."""
        from tutela.accounts.principal import SYSTEM
        from tutela.core.errors import Refused
        from tutela.rights.fulfil import request_fulfil
        from tutela.rights.services import request_open
        from tutela.subjects.models import DataItem

        person = data.draw(st.sampled_from(self.live()))
        with TestCase.captureOnCommitCallbacks(execute=True):
            opened = request_open(
                type="erasure",
                identifier=f"subject:{person.pk}",
                channel="post",
                controller=person.controller,
                verified=True,
                principal=SYSTEM,
            )
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):
                request_fulfil(request_id=opened.request.pk, principal=SYSTEM)
        except Refused:
            TALLY["erasure refused"] += 1
        status = dict(DataItem.objects.filter(subject_id=person.pk).values_list("pk", "status"))
        today = self.today()
        for item in person.items:
            if item.gone:
                continue
            now = status.get(item.pk, "erased")
            running = self.policy_rules[item.purpose].trigger == "contract_end" and (
                person.ended is None or person.ended > today
            )
            if running or item.holds:
                assert now == ("active" if self.phase(item, person, today) == "active" else now), (
                    f"erasure request for person {person.pk}: item {item.pk} ({item.purpose}), still needed "
                    f"(contract {person.started}..{person.ended}, holds {sorted(item.holds)}), is now {now}"
                )
            elif now in GONE:
                item.gone = item.erased_on_request = True
        TALLY["erasure"] += 1
        self.swept = False

    @precondition(lambda self: bool(self.live(CONTRACT_KINDS)))
    @rule(data=st.data())
    def contract_ends(self, data: Any) -> None:
        from tutela.accounts.principal import SYSTEM
        from tutela.subjects.services import relationship_set

        running = [p for p in self.live(CONTRACT_KINDS) if p.ended is None]
        if not running:
            return
        person = data.draw(st.sampled_from(running))
        relationship_set(
            subject=person.pk,
            controller=person.controller,
            kind=person.kind,
            ended_on=self.today(),
            principal=SYSTEM,
        )
        person.ended = self.today()
        TALLY["contract ends"] += 1
        self.swept = False

    @precondition(lambda self: bool(self.live(("prospect",))))
    @rule(data=st.data())
    def interest_renewed(self, data: Any) -> None:
        from tutela.accounts.principal import SYSTEM
        from tutela.subjects.services import relationship_set

        person = data.draw(st.sampled_from(self.live(("prospect",))))
        relationship_set(
            subject=person.pk,
            controller=person.controller,
            kind="prospect",
            last_interest_on=self.today(),
            principal=SYSTEM,
        )
        person.interest = self.today()
        TALLY["interest renewed"] += 1
        self.swept = False

    @precondition(lambda self: bool(self.live(("member", "customer", "prospect"))))
    @rule(data=st.data())
    def consent(self, data: Any) -> None:
        from tutela.accounts.principal import SYSTEM
        from tutela.consent.services import consent_give

        person = data.draw(st.sampled_from(self.live(("member", "customer", "prospect"))))
        with TestCase.captureOnCommitCallbacks(execute=True):
            consent_give(
                subject_id=person.pk,
                purpose="partner-promotion",
                controller=person.controller,
                evidence="time travel",
                principal=SYSTEM,
            )
        TALLY["consent"] += 1
        self.swept = False

    @precondition(lambda self: bool(self.live(CONTRACT_KINDS)))
    @rule(data=st.data())
    def disclose(self, data: Any) -> None:
        """A disclosure-log row for a contract person (the row that once made the sweep die)."""
        from tutela.accounts.principal import SYSTEM
        from tutela.core.errors import Refused
        from tutela.recipients.disclosures import disclosure_create

        person = data.draw(st.sampled_from(self.live(CONTRACT_KINDS)))
        purpose = KINDS[person.kind]["purposes"][0]
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):
                disclosure_create(
                    principal=SYSTEM,
                    recipient_key="inv-it",
                    purpose=purpose,
                    controller=person.controller,
                    subject_ids=[person.pk],
                )
            TALLY["disclosure"] += 1
            self.swept = False
        except Refused:
            # a contract that ended may no longer be disclosed for the contract's purpose (issue 16 §4)
            assert person.ended is not None and person.ended <= self.today(), (
                f"disclosure of running-contract person {person.pk} for {purpose} refused"
            )
            TALLY["disclosure refused"] += 1

    @precondition(lambda self: bool(self.live()))
    @rule(data=st.data())
    def hold(self, data: Any) -> None:
        from tutela.accounts.principal import SYSTEM
        from tutela.retention.services import legal_hold_place

        person = data.draw(st.sampled_from(self.live()))
        hold = legal_hold_place(
            subject_id=person.pk, case_ref=self.fresh("CASE-"), reason="time travel", principal=SYSTEM
        )
        covered = {i.pk for i in person.items if not i.gone}
        self.holds[hold.pk] = covered
        for item in person.items:
            if item.pk in covered:
                item.holds.add(hold.pk)
        TALLY["hold"] += 1
        self.swept = False

    @precondition(lambda self: bool(self.holds))
    @rule(data=st.data())
    def release(self, data: Any) -> None:
        from tutela.accounts.principal import SYSTEM
        from tutela.retention.services import legal_hold_release

        hold_id = data.draw(st.sampled_from(sorted(self.holds)))
        legal_hold_release(hold_id=hold_id, reason="case closed", principal=SYSTEM)
        del self.holds[hold_id]
        for person in self.people.values():
            for item in person.items:
                item.holds.discard(hold_id)
                if item.unsure and not any(i.holds for i in person.items):
                    item.unsure = False
        TALLY["release"] += 1
        self.swept = False

    @precondition(lambda self: len(self.live()) >= 2)
    @rule(data=st.data())
    def merge(self, data: Any) -> None:
        """Two records of one person (same kind, same entity) are merged; holds follow the merge."""
        from tutela.accounts.principal import SYSTEM
        from tutela.subjects.services import subject_merge

        pairs = [
            (a, b)
            for a in self.live()
            for b in self.live()
            if a.pk < b.pk and a.kind == b.kind and a.controller == b.controller
        ]
        if not pairs:
            return
        keep, dup = data.draw(st.sampled_from(pairs))
        if data.draw(st.booleans()):
            keep, dup = dup, keep
        subject_merge(keep=keep.pk, duplicate=dup.pk, principal=SYSTEM)
        # the dates of one relationship: the earliest start, a contract running on either side still runs
        starts = [d for d in (keep.started, dup.started) if d]
        keep.started = min(starts) if starts else None
        running = (keep.ended is None and keep.started is not None) or (dup.ended is None and dup.started)
        ends = [d for d in (keep.ended, dup.ended) if d]
        keep.ended = None if running or not ends else max(ends)
        interests = [d for d in (keep.interest, dup.interest) if d]
        keep.interest = max(interests) if interests else None
        moved_hold = any(i.holds for i in dup.items) or any(i.holds for i in keep.items)
        keep.items.extend(dup.items)
        dup.items = []
        dup.merged_into = keep.pk
        if moved_hold:
            for item in keep.items:
                if not item.holds:
                    item.unsure = True
        TALLY["merge"] += 1
        self.swept = False

    @rule(days=st.sampled_from([1, 1, 2, 31, 92, 183, 366, 365 * 3 + 1, 365 * 10 + 3]))
    def time_passes(self, days: int) -> None:
        """The clock moves on; the daily sweep runs on the new day."""
        self.traveller.move_to(clock.now() + dt.timedelta(days=days))
        self.sweep()
        TALLY[f"jump {days}d"] += 1

    @rule()
    def sweep_again(self) -> None:
        """Another sweep the same day (a rerun, as the worker may do): nothing more goes."""
        self.sweep()

    def sweep(self) -> None:
        from tutela.core.models import AuditEntry
        from tutela.retention.models import SweepRun
        from tutela.retention.sweep import SWEEP, retention_sweep
        from tutela.subjects.models import DataItem

        today = self.today()
        expected: Counter[str] = Counter()
        for person in self.people.values():
            for item in person.items:
                if item.gone or self.held(item):
                    continue
                phase = self.phase(item, person, today)
                row = DataItem.objects.filter(pk=item.pk).values_list("status", flat=True).first()
                if phase == "gone":
                    expected["gone"] += 1
                elif phase == "archived" and row == "active":
                    expected["archived"] += 1
        before = AuditEntry.objects.count()
        with TestCase.captureOnCommitCallbacks(execute=True):
            report = retention_sweep(principal=SWEEP)
        run = SweepRun.objects.order_by("-pk").first()
        assert run is not None
        assert run.status == SweepRun.Status.DONE, (
            f"the sweep of {today} ended {run.status}: {run.error or ''} {getattr(run, 'problems', '')}"
        )
        assert AuditEntry.objects.count() > before, "the sweep left no audit entry"
        gone_now = 0
        for person in self.people.values():
            for item in person.items:
                if item.gone:
                    continue
                row = DataItem.objects.filter(pk=item.pk).values_list("status", flat=True).first()
                if row is None or row in GONE:
                    item.gone = True
                    gone_now += 1
        erased = report.erased + report.anonymised
        assert erased == expected["gone"] and gone_now == expected["gone"], (
            f"sweep of {today}: it reports {erased} erased, {gone_now} items left, the model expected "
            f"{expected['gone']} ({report.as_dict()})"
        )
        assert report.archived >= expected["archived"], (
            f"sweep of {today}: {report.archived} archived, the model expected {expected['archived']}"
        )
        TALLY["sweep"] += 1
        self.swept = True
        TALLY["items gone"] += gone_now

    # ------------------------------------------------------------------------------------ invariants

    @invariant()
    def every_item_where_its_rule_puts_it(self) -> None:
        """After each sweep: nothing past its date, nothing before it; holds keep what they cover."""
        from tutela.subjects.models import DataItem

        if not self.swept:
            return  # changes since the last sweep are the next sweep's work
        status = dict(
            DataItem.objects.filter(pk__in=[i.pk for p in self.people.values() for i in p.items]).values_list(
                "pk", "status"
            )
        )
        for person in self.people.values():
            for item in person.items:
                if item.erased_on_request:
                    continue
                phase = self.phase(item, person, self.today())
                now = status.get(item.pk, "erased")
                where = (
                    f"item {item.pk} ({item.purpose}, {item.kind} of {item.controller}, collected "
                    f"{item.collected}, contract {person.started}..{person.ended}, interest {person.interest}) "
                    f"on {self.today()}"
                )
                if self.held(item):
                    if item.holds:
                        assert now not in GONE, f"{where}: held by {sorted(item.holds)} but gone"
                    continue
                if phase == "active":
                    assert now == "active", f"{where}: still needed, but {now}"
                elif phase == "archived":
                    assert now == "archived", f"{where}: should be in the archive, is {now}"
                else:
                    assert now in GONE, (
                        f"{where}: past its rule's date ({self.policy_rules[item.purpose].key}), {now}"
                    )

    @invariant()
    def the_chain_verifies(self) -> None:
        from tutela.core.audit import audit_verify

        report = audit_verify()
        assert report.intact, report.as_dict()


def test_years_of_a_register_under_the_daily_sweep(
    policy: Any, policy_data: dict[str, Any], settings: Any, tutela_home: Path, tmp_path: Path
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    rules = rules_from(policy_data)
    # what policy §8 says in words, held against the file the expectations are computed from
    assert (rules["member-management"].trigger, rules["member-management"].period) == ("contract_end", "P10Y")
    assert (rules["prospecting"].trigger, rules["prospecting"].period) == ("last_interest", "P1Y")
    assert (rules["site-security"].period, rules["site-security"].action) == ("P1M", "erase")

    class Machine(LifecycleMachine):
        pass

    Machine.policy_rules = rules
    Machine.collected_for = {k: v.get("collected_for", []) for k, v in policy_data["subject_types"].items()}
    Machine.tmp = tmp_path
    started = dt.datetime.now(tz=dt.UTC)
    try:
        run_state_machine_as_test(Machine, settings=machine_settings(examples=30, steps=25))
    finally:
        seconds = (dt.datetime.now(tz=dt.UTC) - started).total_seconds()
        print(f"\nlifecycle machine: {seconds:.1f}s; {dict(sorted(TALLY.items()))}")


def test_add_period_against_hand_computed_dates() -> None:
    assert add_period(dt.date(2014, 3, 31), "P10Y") == dt.date(2024, 3, 31)
    assert add_period(dt.date(2026, 1, 31), "P1M") == dt.date(2026, 2, 28)
    assert add_period(dt.date(2026, 8, 31), "P6M") == dt.date(2027, 2, 28)
    assert add_period(dt.date(2026, 12, 15), "P1M") == dt.date(2027, 1, 15)
    assert add_period(dt.date(2026, 12, 15), "P0D") == dt.date(2026, 12, 15)
    assert anchor_for_due(dt.date(2036, 11, 25), "P10Y") == dt.date(2026, 11, 25)
    assert anchor_for_due(dt.date(2027, 2, 28), "P1M") == dt.date(2027, 1, 28)
    assert anchor_for_due(dt.date(2027, 3, 1), "P1M") == dt.date(2027, 2, 1)
