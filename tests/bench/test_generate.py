"""The benchmark generator writes a consistent population: counts, sealed values, blind indexes, a chain
that verifies. Runs on SQLite and PostgreSQL (where it loads with COPY)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.conf import settings

from tests.factories.subjects import SubjectFactory
from tutela.bench.bulk import NULL, bulk_load
from tutela.bench.generate import generate
from tutela.core.audit import audit_verify
from tutela.core.crypto import decrypt
from tutela.core.models import AuditEntry
from tutela.subjects.models import DataItem, Relationship, Subject


@pytest.mark.django_db(transaction=True)
def test_generate_writes_people_items_and_a_chain_that_verifies(policy) -> None:
    pop = generate(subjects=40, seed=3)
    assert pop.subjects == 40 and Subject.objects.count() == 40
    assert Relationship.objects.count() == 40
    assert pop.items == DataItem.objects.count() and pop.items >= 40 * 5
    assert AuditEntry.objects.filter(action="subject.read").count() == 40
    report = audit_verify()
    assert report.intact, report.as_dict()

    key = settings.TUTELA_INDEX_KEY.encode()
    emails = DataItem.objects.filter(category="user.contact.email")
    assert emails.exists()
    for item in emails:
        expected = hmac.new(key, f"email\x1f{item.value}".encode(), hashlib.sha256).hexdigest()
        assert item.lookup == expected

    sensitive = [k for k, c in policy.categories.items() if c.sensitive]
    sealed = DataItem.objects.filter(category__in=sensitive)
    assert sealed.exists()
    for item in sealed:
        assert item.value == "" and item.value_sealed
        assert decrypt(item.value_sealed, context=item.category)

    # one person in ten (by position) has their e-mail address disclosed, logged per item
    from tutela.recipients.models import DisclosedItem

    every_tenth = set(pop.subject_ids[::10])
    disclosed = DisclosedItem.objects.values_list("subject_id", "item_id", "category")
    expected_rows = set(
        DataItem.objects.filter(subject_id__in=every_tenth, category="user.contact.email").values_list(
            "subject_id", "id", "category"
        )
    )
    assert expected_rows and set(disclosed) == expected_rows
    assert pop.disclosed_items == len(expected_rows)

    # ids continue after the load (sequences reset): an ordinary insert still works
    SubjectFactory()
    assert Subject.objects.count() == 41


@pytest.mark.django_db(transaction=True)
def test_bulk_load_keeps_awkward_text_exactly() -> None:
    subject = SubjectFactory()
    awkward = 'tab\there, back\\slash, new\nline, "quotes", {braces}'
    columns = [
        "subject_id",
        "controller",
        "category",
        "source",
        "source_detail",
        "collected_at",
        "purposes",
        "status",
        "provided_by_subject",
        "created_at",
        "updated_at",
        "value",
        "value_sealed",
        "lookup",
    ]
    stamp = "2026-01-02T03:04:05+00:00"
    from tutela.bench.bulk import esc

    row = (
        subject.id,
        "crm-asbl",
        "user.contact.address",
        "direct",
        "test",
        stamp,
        '["member-management"]',
        "active",
        True,
        stamp,
        stamp,
        esc(awkward),
        "",
        NULL,
    )
    assert bulk_load(DataItem, columns, [row]) == 1
    item = DataItem.objects.get(subject=subject)
    assert item.value == awkward
    assert item.lookup is None
    assert item.purposes == ["member-management"]
    assert item.on_behalf_of == ""  # a column the load left out gets the field's default
