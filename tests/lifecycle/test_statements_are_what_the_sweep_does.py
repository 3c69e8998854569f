"""Each register that references a person states what erasure does to it; the sweep does exactly that.

One expired prospect is named in every register that can point at a person — the consent ledger, a rights
request, a (released) legal hold, the disclosure log, the breach register, a policy-change notice, the audit
trail — and the daily sweep (or an erasure request) removes them. Each register's rows must then be as its
statement says (read from the registry), checked row by row on both databases.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.factories.breaches import report
from tests.factories.retention import person_with
from tutela.accounts.principal import SYSTEM
from tutela.breaches.models import BreachSubject
from tutela.breaches.services import breach_record_investigation
from tutela.consent.models import ConsentEvent
from tutela.consent.services import consent_give
from tutela.core import clock, lifecycle
from tutela.core.audit import audit_verify
from tutela.core.lifecycle import Erase
from tutela.core.models import AuditEntry
from tutela.portal.models import PolicyChangeNotice
from tutela.recipients.disclosures import disclosure_create
from tutela.recipients.models import DisclosedItem
from tutela.recipients.services import recipient_create
from tutela.retention.models import LegalHold
from tutela.retention.services import legal_hold_place, legal_hold_release
from tutela.retention.sweep import retention_sweep
from tutela.rights.models import RightsRequest
from tutela.rights.services import request_open
from tutela.subjects.models import DataItem, Relationship, Subject

D = dt.date
EMAIL = "old.prospect@example.org"


@pytest.fixture
def frozen() -> Any:
    import time_machine

    with time_machine.travel(dt.datetime(2026, 11, 25, 12, 0, tzinfo=clock.BRUSSELS), tick=False) as t:
        yield t


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["sweep", "erasure request"])
def test_every_register_ends_as_its_statement_says(policy: Any, frozen: Any, how: str) -> None:
    person, items = person_with(
        kind="prospect", purposes=["prospecting"], collected_on=D(2023, 1, 1), last_interest_on=D(2026, 11, 1),
        email=EMAIL,
    )  # fmt: skip
    other, _ = person_with(
        kind="prospect", purposes=["prospecting"], collected_on=D(2026, 1, 1), last_interest_on=D(2026, 11, 1)
    )
    recipient_create(
        principal=SYSTEM, key="printer", name="Printer SA", recipient_type="group-entities",
        role="joint_controller", country="BE", purposes=["prospecting"], categories=["user.name"],
    )  # fmt: skip
    disclosure_create(
        principal=SYSTEM, recipient_key="printer", purpose="prospecting", controller="crm-asbl",
        subject_ids=[person.pk, other.pk],
    )  # fmt: skip
    consent_give(subject_id=person.pk, purpose="newsletter", controller="crm-asbl", principal=SYSTEM)
    request = request_open(
        type="access", identifier=EMAIL, channel="staff", verified=True, principal=SYSTEM
    ).request
    assert request.subject_id == person.pk
    hold = legal_hold_place(subject_id=person.pk, case_ref="RG 9", reason="closed case", principal=SYSTEM)
    legal_hold_release(hold_id=hold.pk, reason="settled", principal=SYSTEM)
    breach = report()
    breach_record_investigation(principal=SYSTEM, breach_id=breach.pk, identifiers=[EMAIL])
    # a delivery state of the policy-change mail (the portal keeps no address)
    PolicyChangeNotice.objects.create(version_number=1, subject=person, created_at=clock.now())
    # then silent for almost three years, as far as the register knows
    Relationship.objects.filter(subject=person).update(
        last_interest_on=D(2024, 1, 10), started_on=D(2023, 1, 1)
    )

    rows_before = {
        "consent.ConsentEvent.subject": ConsentEvent.objects.filter(subject_id=person.pk).count(),
        "recipients.DisclosedItem.subject": DisclosedItem.objects.filter(subject_id=person.pk).count(),
        "breaches.BreachSubject.subject": BreachSubject.objects.filter(subject_id=person.pk).count(),
        "portal.PolicyChangeNotice.subject": 1,
        "retention.LegalHold.subject_id": 1,
        "rights.RightsRequest.subject": 1,
    }
    assert all(rows_before.values()), rows_before

    if how == "sweep":
        result = retention_sweep(principal=SYSTEM).as_dict()
        assert (result["status"], result["erased"]) == ("done", len(items))
    else:
        from tutela.rights.erasure import erase_subject

        erasure = request_open(
            type="erasure", identifier=EMAIL, channel="staff", verified=True, principal=SYSTEM
        ).request
        assert erase_subject(erasure, principal=SYSTEM).complete

    statements = {r.label: r.on_erase for r in lifecycle.registers()}
    # deleted: no row left
    assert statements["consent.ConsentEvent.subject"] is Erase.DELETE
    assert not ConsentEvent.objects.filter(subject_id=person.pk).exists()
    assert statements["portal.PolicyChangeNotice.subject"] is Erase.DELETE
    assert not PolicyChangeNotice.objects.filter(subject_id=person.pk).exists()
    assert statements["subjects.Relationship.subject"] is Erase.DELETE
    assert not Relationship.objects.filter(subject_id=person.pk).exists()
    # kept pseudonymised as proof: the same rows, pointing at the bare person row (no item, no fact)
    assert statements["recipients.DisclosedItem.subject"] is Erase.KEEP
    assert (
        DisclosedItem.objects.filter(subject_id=person.pk).count()
        == rows_before["recipients.DisclosedItem.subject"]
    )
    assert statements["recipients.DisclosedItem.item"] is Erase.DETACH
    assert not DisclosedItem.objects.filter(subject_id=person.pk, item__isnull=False).exists()
    assert statements["breaches.BreachSubject.subject"] is Erase.KEEP
    assert BreachSubject.objects.filter(subject_id=person.pk, breach=breach).count() == 1
    assert statements["retention.LegalHold.subject_id"] is Erase.KEEP
    assert LegalHold.objects.get(pk=hold.pk).subject_id == person.pk
    bare = Subject.objects.get(pk=person.pk)
    assert bare.erased_at is not None and not DataItem.objects.filter(subject=bare).exists()
    # redacted: the request stays as a record, without what identifies the person or the link to them
    assert statements["rights.RightsRequest.subject"] is Erase.REDACT
    kept = RightsRequest.objects.get(pk=request.pk)
    assert (kept.subject_id, kept.identifier_sealed, kept.reply_to_sealed, kept.details) == (None, "", "", {})
    assert kept.type == "access" and kept.received_at == request.received_at
    assert statements["core.AuditEntry.subject_id"] is Erase.REDACT
    assert not AuditEntry.objects.filter(subject_id=person.pk, redacted_at__isnull=True).exists()
    # the other person, still interested, keeps everything
    assert DataItem.objects.filter(subject=other).count() == 2
    assert DisclosedItem.objects.filter(subject=other, item__isnull=False).exists()
    assert audit_verify().intact
