"""The purpose check's one-statement facts on PostgreSQL, for one person by id and for an identifier: equal
to the selectors' facts, and prepared once per connection (planning every check cost more than running it)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tests.consent.test_scrub_pg import _lookup, _population
from tutela.consent.checks import purpose_check
from tutela.consent.facts_pg import gather_one_statement
from tutela.consent.rules import PurposeFacts
from tutela.consent.selectors import gather_facts, suppressed_lookups
from tutela.core import clock
from tutela.policy.selectors import active_policy
from tutela.subjects.models import DataItem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path exists on PostgreSQL only; SQLite uses the selectors")


def _same(a: PurposeFacts, b: PurposeFacts) -> None:
    assert sorted(a.relationships, key=repr) == sorted(b.relationships, key=repr)
    assert sorted(a.items, key=repr) == sorted(b.items, key=repr)
    assert sorted(a.consents, key=repr) == sorted(b.consents, key=repr)
    assert sorted(a.objections, key=repr) == sorted(b.objections, key=repr)
    assert (a.suppressed_at, a.erased_at, a.known) == (b.suppressed_at, b.erased_at, b.known)


def test_one_person_and_one_identifier_match_the_selectors(policy: Any) -> None:
    identifiers = _population()
    people = sorted(set(DataItem.objects.values_list("subject_id", flat=True)))
    today = clock.today()
    checked = 0
    policy_now = active_policy()
    for purpose in policy_now.purposes:
        for controller in (None, *policy_now.purposes[purpose].controllers):
            orm = gather_facts(people, purpose, controller, today=today)
            for sid in people:
                one, merged, _ = gather_one_statement(
                    purpose=purpose, controller=controller, today=today, ids=[sid]
                )
                assert list(one) == [sid] and merged == {sid: None}
                _same(orm[sid], one[sid])
                checked += 1
            for raw in identifiers:
                lookup = _lookup(raw)
                carriers, _, own = gather_one_statement(
                    purpose=purpose, controller=controller, today=today, lookup=lookup
                )
                expected = set(
                    DataItem.objects.filter(lookup=lookup)
                    .exclude(status="erased")
                    .values_list("subject_id", flat=True)
                )
                assert set(carriers) == expected, raw
                for sid, facts in carriers.items():
                    _same(orm[sid], facts)
                assert own == suppressed_lookups([lookup], purpose, controller).get(lookup), raw
                checked += 1
    assert checked > 200


def test_the_check_statement_is_prepared_once(policy: Any) -> None:
    identifiers = _population()
    for raw in identifiers[:5]:
        for _ in range(3):
            purpose_check(identifier=raw, purpose="newsletter")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%tutela_suppression x%"]
        )
        (count,) = cur.fetchone()
    assert count == 1
