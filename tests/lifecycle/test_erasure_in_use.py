"""Issue 16 §6: a refused or partial erasure changes nothing still in use.

Before: every item kept (for a running contract, a legal obligation or a hold) was narrowed and archived, so
a current customer whose erasure was refused became unfindable, and a hold made the person vanish too. Now an
item a running contract needs stays active (only purposes that no longer hold are dropped), an item under a
hold stays exactly as it was, and only what a legal obligation alone keeps leaves normal use.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.factories.rights import member, open_request, prospect
from tutela.accounts.principal import SYSTEM
from tutela.retention.services import legal_hold_place
from tutela.rights import register
from tutela.rights.erasure import erase_subject
from tutela.rights.models import Tombstone
from tutela.subjects.models import DataItem, Subject
from tutela.subjects.selectors import resolve_identifier

pytestmark = pytest.mark.django_db

MARIE = "marie.dupont@example.be"
JAN = "jan.peeters@example.be"


def snapshot(subject: Subject) -> list[tuple[int, str, list[str], str]]:
    return [
        (i.pk, i.category, list(i.purposes), i.status)
        for i in DataItem.objects.filter(subject=subject).order_by("pk")
    ]


def findable(identifier: str, subject: Subject) -> bool:
    found = resolve_identifier(identifier)
    return found is not None and found.pk == subject.pk and register.resolve(identifier) == subject


def test_a_running_member_stays_active_and_findable(policy: Any, policy_data: dict[str, Any]) -> None:
    person = member()
    before = snapshot(person)
    assert findable(MARIE, person)
    req = open_request("erasure", MARIE, principal=SYSTEM)

    result = erase_subject(req, principal=SYSTEM)

    assert not result.erased and not result.complete
    after = snapshot(person)
    assert [(pk, cat, status) for pk, cat, _, status in after] == [
        (pk, cat, "active") for pk, cat, _, _ in before
    ]
    # each item keeps exactly the purposes that still hold: contract and legal-obligation ones (plain YAML)
    bases = {k: v["legal_basis"] for k, v in policy_data["purposes"].items()}
    for (_, _, purposes_before, _), (_, _, purposes_after, _) in zip(before, after, strict=True):
        assert purposes_after == [p for p in purposes_before if bases[p] in ("contract", "legal_obligation")]
    assert findable(MARIE, person)
    assert all(k["in_use"] for k in result.kept)
    assert Subject.objects.get(pk=person.pk).erased_at is None


def test_a_hold_leaves_the_person_exactly_as_they_were(policy: Any) -> None:
    person = prospect()
    legal_hold_place(
        subject_id=person.pk, case_ref="2025/123", reason="claim before the court", principal=SYSTEM
    )
    before = snapshot(person)
    req = open_request("erasure", JAN, principal=SYSTEM)

    result = erase_subject(req, principal=SYSTEM)

    assert not result.erased and len(result.kept) == len(before)
    assert all(k["ground"] == "legal_claims" and k["in_use"] for k in result.kept)
    assert snapshot(person) == before
    assert findable(JAN, person)


def test_an_item_hold_keeps_that_item_as_it_was_and_the_rest_goes(policy: Any) -> None:
    person = prospect()
    phone = DataItem.objects.get(subject=person, category="user.contact.phone_number")
    legal_hold_place(item_ids=[phone.pk], case_ref="2025/9", reason="harassing calls", principal=SYSTEM)
    before = [row for row in snapshot(person) if row[0] == phone.pk]

    result = erase_subject(open_request("erasure", JAN, principal=SYSTEM), principal=SYSTEM)

    assert sorted(result.erased) == ["user.contact.email", "user.name"]
    assert snapshot(person) == before
    assert findable("+32 475 98 76 54", person)


def test_what_only_a_legal_obligation_keeps_is_archived_for_that_purpose_alone(policy: Any) -> None:
    person = member(ended_on=dt.date(2024, 6, 30))
    iban = DataItem.objects.get(subject=person, category="user.financial.bank_account")

    result = erase_subject(open_request("erasure", MARIE, principal=SYSTEM), principal=SYSTEM)

    assert snapshot(person) == [(iban.pk, iban.category, ["accounting"], "archived")]
    (kept,) = result.kept
    assert (kept["ground"], kept["in_use"]) == ("legal_obligation", False)
    assert Tombstone.objects.get(subject_ref=person.pk).kept[0]["in_use"] is False
