"""Merge, as the lifecycle contract wires it (issue 16, the merge findings).

Before: a legal hold on the duplicate stayed on the duplicate's id, so erasing the kept record deleted the
held data; only consents followed a merge (through a signal); ``subject show`` and ``GET /subjects/{ref}``
always listed ``"requests": []`` (a look-up by name of a selector that did not exist). Now every app's merge
handler moves its rows (holds, requests, disclosures, consents), erasure respects the moved hold, and the
person's requests are listed, scoped to the caller.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories.rights import member, open_request, prospect
from tutela.accounts.principal import CLI, SYSTEM, Principal
from tutela.accounts.services import staff_create, token_create
from tutela.consent.models import ConsentEvent
from tutela.consent.services import consent_give
from tutela.core.audit import audit_verify
from tutela.core.models import AuditEntry
from tutela.recipients.disclosures import disclosure_create
from tutela.recipients.models import DisclosedItem
from tutela.recipients.services import recipient_create
from tutela.retention.models import LegalHold
from tutela.retention.services import legal_hold_place, legal_hold_release
from tutela.rights.erasure import erase_subject
from tutela.rights.models import RightsRequest
from tutela.subjects.models import DataItem, Subject
from tutela.subjects.reading import subject_read
from tutela.subjects.services import item_add, subject_merge

pytestmark = pytest.mark.django_db

MARIE = "marie.dupont@example.be"
JAN = "jan.peeters@example.be"


@pytest.fixture
def pair(policy: Any) -> dict[str, Any]:
    """Marie, a member, and a duplicate record of her as a prospect (another address) with a hold, a
    disclosure, a consent and an access request of its own."""
    kept = member()
    dup = prospect(JAN)
    hold = legal_hold_place(subject_id=dup.pk, case_ref="RG 2026/77", reason="dispute", principal=SYSTEM)
    recipient_create(
        principal=SYSTEM,
        key="printer",
        name="Printer SA",
        recipient_type="group-entities",
        role="joint_controller",
        country="BE",
        purposes=["prospecting"],
        categories=["user.name", "user.contact.email"],
    )
    disclosure_create(
        principal=SYSTEM,
        recipient_key="printer",
        purpose="prospecting",
        controller="crm-asbl",
        subject_ids=[dup.pk],
    )
    consent_give(subject_id=dup.pk, purpose="newsletter", controller="crm-asbl", principal=SYSTEM)
    request = open_request("access", JAN, principal=SYSTEM)
    assert request.subject_id == dup.pk
    return {"kept": kept, "dup": dup, "hold": hold, "request": request}


def test_holds_requests_disclosures_and_consents_follow_the_merge(pair: dict[str, Any]) -> None:
    kept, dup = pair["kept"], pair["dup"]
    logged = DisclosedItem.objects.filter(subject=dup).count()
    assert logged

    subject_merge(keep=kept, duplicate=dup, principal=SYSTEM)

    assert LegalHold.objects.get(pk=pair["hold"].pk).subject_id == kept.pk
    assert RightsRequest.objects.get(pk=pair["request"].pk).subject_id == kept.pk
    assert DisclosedItem.objects.filter(subject=kept).count() == logged
    assert not DisclosedItem.objects.filter(subject=dup).exists()
    assert ConsentEvent.objects.filter(subject=kept, purpose="newsletter").count() == 1
    entry = AuditEntry.objects.get(action="subject.merge")
    moved = entry.payload["moved_elsewhere"]
    assert moved["retention"]["holds"] == 1 and moved["rights"]["requests"] == 1
    assert moved["recipients"]["disclosed_items"] == logged and moved["consent"]["consent_events"] == 1
    assert audit_verify().intact


def test_erasing_the_kept_record_respects_the_duplicates_hold(pair: dict[str, Any]) -> None:
    kept, dup = pair["kept"], pair["dup"]
    dup_items = sorted(DataItem.objects.filter(subject=dup).values_list("pk", flat=True))
    subject_merge(keep=kept, duplicate=dup, principal=SYSTEM)

    result = erase_subject(open_request("erasure", MARIE, principal=SYSTEM), principal=SYSTEM)

    # the hold covers the whole (merged) person: nothing of theirs goes while it is active
    assert not result.erased and not result.complete
    assert (
        sorted(DataItem.objects.filter(subject=kept, pk__in=dup_items).values_list("pk", flat=True))
        == dup_items
    )
    assert all(k["ground"] == "legal_claims" for k in result.kept)

    legal_hold_release(hold_id=pair["hold"].pk, reason="settled", principal=SYSTEM)
    done = erase_subject(open_request("erasure", JAN, principal=SYSTEM), principal=SYSTEM)
    assert done.erased
    assert not DataItem.objects.filter(subject=kept, pk__in=dup_items).exists()


def test_a_complete_erasure_covers_the_records_merged_into_the_person(policy: Any) -> None:
    kept = prospect(JAN)
    dup = prospect("jan.other@example.be")
    subject_merge(keep=kept, duplicate=dup, principal=SYSTEM)
    assert AuditEntry.objects.filter(subject_id=dup.pk, redacted_at__isnull=True).exists()

    result = erase_subject(open_request("erasure", JAN, principal=SYSTEM), principal=SYSTEM)

    assert result.complete
    assert not AuditEntry.objects.filter(subject_id__in=[kept.pk, dup.pk], redacted_at__isnull=True).exists()
    assert Subject.objects.get(pk=dup.pk).erased_at is not None
    assert audit_verify().intact


def _bearer(role: str, controller: str, name: str) -> dict[str, str]:
    user, _ = staff_create(
        principal=CLI, username=name, email=f"{name}@crmgroup.be", role=role, controller=controller
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(principal=CLI, user=user, name='t')}"}


def test_subject_show_and_the_api_list_the_persons_requests_scoped_to_the_caller(policy: Any) -> None:
    person = member()
    # the other entity holds her too (a shared person): each entity's staff see their own requests
    item_add(principal=SYSTEM, subject=person, controller="ac-cs", category="user.contact.email", value=MARIE,
             source="direct", purposes=["customer-supplier-management"], subject_type="customer")  # fmt: skip
    mine = open_request("access", MARIE, controller="crm-asbl", principal=SYSTEM)
    theirs = open_request("access", MARIE, controller="ac-cs", principal=SYSTEM)
    both = open_request("rectification", MARIE, principal=SYSTEM)
    assert {mine.subject_id, theirs.subject_id, both.subject_id} == {person.pk}

    dpo = Principal(actor="user:dpo", role="dpo")
    listed = subject_read(dpo, person.pk, channel="cli")["requests"]
    assert [(r["id"], r["type"], r["controller"]) for r in listed] == [
        (mine.pk, "access", "crm-asbl"),
        (theirs.pk, "access", "ac-cs"),
        (both.pk, "rectification", ""),
    ]
    staff = Principal(actor="user:crm", role="staff", controller="crm-asbl")
    assert [r["id"] for r in subject_read(staff, person.pk, channel="cli")["requests"]] == [mine.pk, both.pk]

    client = Client()
    body = client.get(f"/api/v1/subjects/{person.pk}", **_bearer("staff", "crm-asbl", "crm")).json()
    assert [r["id"] for r in body["requests"]] == [mine.pk, both.pk]
    body = client.get(f"/api/v1/subjects/{person.pk}", **_bearer("dpo", "", "dpo")).json()
    assert [r["id"] for r in body["requests"]] == [mine.pk, theirs.pk, both.pk]


def test_holds_left_on_duplicates_merged_before_follow_them_when_migrating(policy: Any) -> None:
    import importlib

    from django.apps import apps

    first, second, third = prospect(JAN), prospect("jan.b@example.be"), prospect("jan.c@example.be")
    hold = legal_hold_place(subject_id=first.pk, case_ref="RG 1", reason="dispute", principal=SYSTEM)
    # merged the old way: the records point on, the hold stayed on the first id
    Subject.objects.filter(pk=first.pk).update(merged_into=second)
    Subject.objects.filter(pk=second.pk).update(merged_into=third)
    migration = importlib.import_module("tutela.retention.migrations.0003_holds_follow_merges")
    migration.follow_merges(apps, None)
    assert LegalHold.objects.get(pk=hold.pk).subject_id == third.pk


def test_breach_and_policy_notices_follow_once_per_breach_and_version(policy: Any) -> None:
    from tests.factories.breaches import report
    from tutela.breaches.models import BreachSubject
    from tutela.breaches.services import breach_record_investigation
    from tutela.core import clock
    from tutela.portal.models import PolicyChangeNotice

    kept, dup = prospect(JAN), prospect("jan.other@example.be")
    both, only_dup = report(), report()
    breach_record_investigation(
        principal=SYSTEM, breach_id=both.pk, identifiers=[JAN, "jan.other@example.be"]
    )
    breach_record_investigation(principal=SYSTEM, breach_id=only_dup.pk, identifiers=["jan.other@example.be"])
    for person in (kept, dup):  # the same version's notice for both records
        PolicyChangeNotice.objects.create(version_number=3, subject=person, created_at=clock.now())
    PolicyChangeNotice.objects.create(version_number=4, subject=dup, created_at=clock.now())

    subject_merge(keep=kept, duplicate=dup, principal=SYSTEM)

    assert sorted(BreachSubject.objects.filter(subject=kept).values_list("breach_id", flat=True)) == sorted(
        [both.pk, only_dup.pk]
    )
    assert not BreachSubject.objects.filter(subject=dup).exists()
    assert sorted(
        PolicyChangeNotice.objects.filter(subject=kept).values_list("version_number", flat=True)
    ) == [3, 4]
    assert not PolicyChangeNotice.objects.filter(subject=dup).exists()
    moved = AuditEntry.objects.get(action="subject.merge").payload["moved_elsewhere"]
    assert moved["breaches"]["breach_subjects"] == 1 and moved["breaches"]["breach_subjects_merged"] == 1
    assert moved["portal"]["policy_notices"] == 1 and moved["portal"]["policy_notices_merged"] == 1
