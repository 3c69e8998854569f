"""A disclosure sends only people whose data may be used for the purpose now: a person who withdrew consent,
objected, is on the suppression list or whose processing is restricted is skipped and counted by reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.factories.consent import person as consent_person
from tests.factories.subjects import DataItemFactory
from tutela.accounts.principal import SYSTEM
from tutela.consent import objections, services
from tutela.core.models import AuditEntry
from tutela.recipients.disclosures import disclosure_create
from tutela.recipients.models import DisclosedItem
from tutela.recipients.services import recipient_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def printer(policy: Any) -> Any:
    return recipient_create(
        principal=SYSTEM,
        key="printer",
        name="Printer",
        recipient_type="it-providers",
        country="BE",
        purposes=["newsletter", "prospecting"],
        categories=["user.name", "user.contact.email"],
    )


def _disclose(purpose: str, ids: list[int]) -> Any:
    return disclosure_create(
        principal=SYSTEM,
        recipient_key="printer",
        purpose=purpose,
        controller="crm-asbl",
        subject_ids=ids,
    )


def _with_items_for(subject: Any, purpose: str) -> Any:
    """The person's own name and address, collected for the purpose."""
    from tutela.subjects.models import DataItem

    DataItem.objects.filter(subject=subject).update(purposes=[purpose])
    return subject


def test_withdrawn_consent_and_suppression_are_not_sent(printer: Any) -> None:
    kept = _with_items_for(consent_person("kept@example.com", subject_type="member"), "newsletter")
    gone = _with_items_for(consent_person("gone@example.com", subject_type="member"), "newsletter")
    hushed = _with_items_for(consent_person("hushed@example.com", subject_type="member"), "newsletter")
    never = _with_items_for(consent_person("never@example.com", subject_type="member"), "newsletter")
    for p in (kept, gone, hushed):
        services.consent_give(subject_id=p.pk, purpose="newsletter", controller="crm-asbl", principal=SYSTEM)
    services.consent_withdraw(
        subject_id=gone.pk, purpose="newsletter", controller="crm-asbl", principal=SYSTEM
    )
    services.suppression_add(
        principal=SYSTEM,
        identifiers_raw=[("email", "hushed@example.com")],
        purpose="newsletter",
        reason="objection",
    )

    export = _disclose("newsletter", [kept.pk, gone.pk, hushed.pk, never.pk])

    sent = {row["subject"] for row in export.rows}
    assert sent == {str(kept.public_id)}
    assert set(DisclosedItem.objects.values_list("subject_id", flat=True)) == {kept.pk}
    summary = export.summary()
    assert summary["subjects"] == 1 and summary["skipped"] == 3
    # a person is counted under every reason that refuses them: the withdrawal also suppressed "gone"
    assert summary["refused"] == {"no-consent": 1, "suppressed": 2, "withdrawn": 1}
    logged = AuditEntry.objects.get(action="disclosure.create").payload
    assert logged["refused"] == summary["refused"]
    assert not AuditEntry.objects.filter(
        action="disclosure.subject", subject_id__in=[gone.pk, hushed.pk]
    ).exists()


def test_objection_and_restriction_are_not_sent(printer: Any) -> None:
    fine = _with_items_for(consent_person("fine@example.com", subject_type="prospect"), "prospecting")
    objecting = _with_items_for(consent_person("no@example.com", subject_type="prospect"), "prospecting")
    limited = _with_items_for(consent_person("wait@example.com", subject_type="prospect"), "prospecting")
    objections.objection_register(
        subject_id=objecting.pk, purpose="prospecting", controller="crm-asbl", principal=SYSTEM
    )
    # one item under restriction of processing (Art. 18): the person's data may not be used at all
    DataItemFactory(
        subject=limited,
        category="user.job_title",
        value="Buyer",
        status="restricted",
        purposes=["prospecting"],
    )

    export = _disclose("prospecting", [fine.pk, objecting.pk, limited.pk])

    assert [row["subject"] for row in export.rows] == [str(fine.public_id)]
    out = json.loads(json.dumps(export.summary()))
    assert out["skipped"] == 2
    assert out["refused"]["objection"] == 1 and out["refused"]["restricted"] == 1
