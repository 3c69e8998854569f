"""What the invariant machines found, each reduced to its smallest reproduction (kept as regression tests).

1. An erasure request for a person disclosed to a recipient with neither a contact address nor a webhook:
   the Art. 19 notice is recorded with status ``unreachable`` (11 characters) in a 10-character column, so on
   PostgreSQL the fulfilment dies with ``value too long for type character varying(10)`` (SQLite does not
   check lengths and passes). Found by the lifecycle machine (disclose, then erasure request); fixed in the
   rights app since (the notice's status fits its column).
2. ``GET /api/v1/consent/subjects/{id}`` returns a person's consent events and their evidence (personal
   data) and writes nothing to the audit trail, unlike ``GET /api/v1/subjects/{id}``: policy §9 promises an
   audit entry for every read of personal data. Found by the scope machine's audited-read check.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.factories.rights import member
from tutela.accounts.principal import SYSTEM

pytestmark = pytest.mark.django_db


def test_erasure_of_a_person_disclosed_to_a_recipient_without_contact_details(
    policy: Any, settings: Any, tutela_home: Any
) -> None:
    from django.test import TestCase

    from tutela.recipients.disclosures import disclosure_create
    from tutela.recipients.services import recipient_create
    from tutela.rights.fulfil import request_fulfil
    from tutela.rights.models import Notice
    from tutela.rights.services import request_open

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    recipient_create(
        key="no-contact",
        name="A processor with no contact address or webhook on file",
        recipient_type="it-providers",
        country="BE",
        purposes=["member-management"],
        categories=["user.name"],
        principal=SYSTEM,
    )
    person = member(iban=None)
    disclosure_create(
        principal=SYSTEM,
        recipient_key="no-contact",
        purpose="member-management",
        controller="crm-asbl",
        subject_ids=[person.pk],
    )
    opened = request_open(
        type="erasure",
        identifier=f"subject:{person.pk}",
        channel="post",
        controller="crm-asbl",
        verified=True,
        principal=SYSTEM,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        request_fulfil(request_id=opened.request.pk, principal=SYSTEM)
    notice = Notice.objects.get(request=opened.request, recipient="no-contact")
    # nobody to tell: the notice records it, and the fulfilment went through
    assert notice.target == "" and notice.status == "unreachable"


def test_reading_a_persons_consents_is_audited_under_the_callers_name(policy: Any) -> None:
    from tutela.accounts.services import staff_create, token_create
    from tutela.core.models import AuditEntry

    user, _ = staff_create(
        **_by_operator(),
        username="inv-reader",
        email="inv-reader@crmgroup.be",
        role="staff",
        controller="crm-asbl",
    )
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {token_create(**_by_operator(token_create), user=user, name='inv')}"
    )
    person = member(iban=None)

    def post(path: str, body: dict[str, Any]) -> Any:
        return client.post(path, json.dumps(body), content_type="application/json")

    given = {
        "subject_id": person.pk,
        "purpose": "newsletter",
        "controller": "crm-asbl",
        "evidence": "paper form",
    }
    assert post("/api/v1/consent/give", given).status_code == 200
    before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    response = client.get(f"/api/v1/consent/subjects/{person.pk}")
    assert response.status_code == 200 and response.json()["consents"], response.content
    reads = AuditEntry.objects.filter(seq__gt=before, subject_id=person.pk)
    assert [e.actor for e in reads] and all(e.actor.startswith("user:inv-reader") for e in reads), (
        f"the read of person {person.pk}'s consents left {list(reads.values_list('action', 'actor'))}"
    )


def test_reading_a_persons_retention_summary_is_audited_under_the_callers_name(policy: Any) -> None:
    from tutela.accounts.services import staff_create, token_create
    from tutela.core.models import AuditEntry

    user, _ = staff_create(
        **_by_operator(),
        username="inv-dpo",
        email="inv-dpo@crmgroup.be",
        role="privacy_officer",
        controller="",
    )
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {token_create(**_by_operator(token_create), user=user, name='inv')}"
    )
    person = member(iban=None)
    before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    response = client.get(f"/api/v1/retention/subjects/{person.pk}/summary")
    assert response.status_code == 200 and response.json()["retention"], response.content
    reads = AuditEntry.objects.filter(seq__gt=before, subject_id=person.pk)
    assert [e.actor for e in reads] and all(e.actor.startswith("user:inv-dpo") for e in reads), (
        f"the read of person {person.pk}'s retention left {list(reads.values_list('action', 'actor'))}"
    )


def _by_operator(service: Any = None) -> dict[str, Any]:
    """``principal=CLI`` where an accounts service takes one (the accounts services are gaining it)."""
    import inspect

    from tutela.accounts.principal import CLI
    from tutela.accounts.services import staff_create

    service = service or staff_create
    return {"principal": CLI} if "principal" in inspect.signature(service).parameters else {}
