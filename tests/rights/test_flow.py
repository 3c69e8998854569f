"""Requests through the services: intake, state machine, pauses, signatures, decisions by the policy's rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from tests.factories.rights import member, open_request, prospect
from tutela.accounts.principal import CLI
from tutela.core.audit import AuditEntry
from tutela.core.errors import Conflict, InvalidInput
from tutela.rights.fulfil import Unmet, request_decide, request_fulfil
from tutela.rights.models import RightsRequest
from tutela.rights.services import (
    request_extend,
    request_open,
    request_pause,
    request_resume,
    request_sign,
    request_verify,
    request_withdraw,
)
from tutela.subjects.models import DataItem

pytestmark = pytest.mark.django_db
BXL = dt.timezone(dt.timedelta(hours=2))


def actions(request_id: int) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="request", object_id=str(request_id))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_open_resolves_the_person_and_sets_the_deadline(policy: Any) -> None:
    person = member()
    opened = request_open(
        type="access",
        identifier="MARIE.DUPONT@example.be",
        channel="email",
        received_at=dt.datetime(2025, 4, 1, 10, tzinfo=BXL),
        principal=CLI,
    )
    req = opened.request
    assert req.subject_id == person.pk
    assert req.due == dt.date(2025, 5, 2)
    assert req.extended_due == dt.date(2025, 7, 1)
    assert req.status == "identity_pending"
    assert req.language == "fr"  # the person's language
    assert opened.verification_code and len(opened.verification_code) == 6
    assert req.status_token_hash and opened.status_token not in req.status_token_hash
    assert actions(req.pk)[:2] == ["request.open", "request.identity_pending"]


def test_bad_input_is_explained(policy: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        request_open(
            type="teleport", identifier="", channel="fax", language="de", purpose="nope", principal=CLI
        )
    fields = {e.field for e in exc.value.errors}
    assert {"type", "channel", "language", "purpose", "identifier"} <= fields
    assert not RightsRequest.objects.exists()


def test_email_code_verifies_and_wrong_code_is_refused(policy: Any) -> None:
    member()
    opened = request_open(
        type="access", identifier="marie.dupont@example.be", channel="portal", principal=CLI
    )
    from tutela.core.errors import Refused

    with pytest.raises(Refused):
        request_verify(
            request_id=opened.request.pk,
            code="000000" if opened.verification_code != "000000" else "111111",
            principal=CLI,
        )
    req = request_verify(request_id=opened.request.pk, code=opened.verification_code, principal=CLI)
    assert req.status == "in_progress"
    assert req.identity_method == "email_code"


def test_pause_pushes_the_deadline(policy: Any) -> None:
    member()
    with time_machine.travel(dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC), tick=False):
        req = open_request("access", "marie.dupont@example.be", verified=False)
        assert req.due == dt.date(2025, 4, 3)
    with time_machine.travel(dt.datetime(2025, 3, 4, 9, tzinfo=dt.UTC), tick=False):
        req = request_pause(
            request_id=req.pk, reason="asked for a copy of an identity document", principal=CLI
        )
        assert req.status == "on_hold"
    with time_machine.travel(dt.datetime(2025, 3, 14, 9, tzinfo=dt.UTC), tick=False):
        req = request_resume(request_id=req.pk, principal=CLI)
    # ten days paused: 3 April + 10 = Sunday 13 April -> Monday 14 April
    assert req.due == dt.date(2025, 4, 14)
    assert req.status == "identity_pending"
    assert "request.pause" in actions(req.pk) and "request.resume" in actions(req.pk)


def test_extension_only_within_the_first_month(policy: Any) -> None:
    member()
    with time_machine.travel(dt.datetime(2025, 4, 1, 9, tzinfo=dt.UTC), tick=False):
        req = open_request("access", "marie.dupont@example.be")
    with time_machine.travel(dt.datetime(2025, 4, 20, 9, tzinfo=dt.UTC), tick=False):
        req = request_extend(
            request_id=req.pk, reason="three linked requests covering ten years of records", principal=CLI
        )
    assert req.extended and req.effective_due == dt.date(2025, 7, 1)
    with pytest.raises(Conflict):
        request_extend(request_id=req.pk, reason="again", principal=CLI)
    with time_machine.travel(dt.datetime(2025, 4, 1, 9, tzinfo=dt.UTC), tick=False):
        other = open_request("access", "marie.dupont@example.be")
    from tutela.core.errors import Refused

    with time_machine.travel(dt.datetime(2025, 5, 10, 9, tzinfo=dt.UTC), tick=False), pytest.raises(Refused):
        request_extend(request_id=other.pk, reason="too late", principal=CLI)


def test_closed_requests_do_not_move(policy: Any) -> None:
    member()
    req = open_request("access", "marie.dupont@example.be")
    request_withdraw(request_id=req.pk, principal=CLI)
    with pytest.raises(Conflict):
        request_pause(request_id=req.pk, reason="x", principal=CLI)
    with pytest.raises(Conflict):
        request_fulfil(request_id=req.pk, principal=CLI)


def test_stale_version_is_a_conflict(policy: Any) -> None:
    member()
    req = open_request("access", "marie.dupont@example.be")
    with pytest.raises(Conflict):
        request_fulfil(request_id=req.pk, expected_version=req.version - 1, principal=CLI)


def test_unverified_request_cannot_be_fulfilled(policy: Any) -> None:
    member()
    req = open_request("access", "marie.dupont@example.be", verified=False)
    with pytest.raises(Unmet) as exc:
        request_fulfil(request_id=req.pk, principal=CLI)
    assert any("identity" in e.message for e in exc.value.errors)


# ----------------------------------------------------------------------------------------------- objections


def test_objection_needs_date_and_signature(policy: Any) -> None:
    prospect()
    req = open_request("objection", "jan.peeters@example.be", purpose="prospecting")
    with pytest.raises(Unmet) as exc:
        request_fulfil(request_id=req.pk, principal=CLI)
    assert any("signed" in e.message for e in exc.value.errors)


def test_objection_to_prospecting_granted_at_once_without_reasons(policy: Any) -> None:
    person = prospect()
    req = open_request("objection", "jan.peeters@example.be", purpose="prospecting")
    request_sign(
        request_id=req.pk,
        signed_on=dt.date.today() - dt.timedelta(days=1),
        signature="scan-0001",
        principal=CLI,
    )
    result = request_fulfil(request_id=req.pk, principal=CLI)
    assert (result.status, result.outcome) == ("answered", "granted")
    from tutela.consent.models import Objection, Suppression

    assert Objection.objects.filter(subject=person, purpose="prospecting", status="upheld").exists()
    assert Suppression.objects.filter(purpose="prospecting").count() == 2  # e-mail and phone
    assert not any("prospecting" in (i.purposes or []) for i in DataItem.objects.filter(subject=person))


def test_objection_to_contract_processing_is_refused_with_the_explanation(policy: Any) -> None:
    member()
    req = open_request("objection", "marie.dupont@example.be", purpose="member-management")
    request_sign(request_id=req.pk, signed_on=dt.date.today(), signature="letter of 3 March", principal=CLI)
    result = request_fulfil(request_id=req.pk, principal=CLI)
    assert (result.status, result.outcome) == ("refused", "refused")
    assert "contract" in result.reasons[0]


def test_objection_to_legitimate_interest_needs_reasons_and_the_dpo(policy: Any) -> None:
    from tutela.accounts.principal import CLI

    member()
    req = open_request("objection", "marie.dupont@example.be", purpose="member-service-quality")
    request_sign(request_id=req.pk, signed_on=dt.date.today(), signature="scan", principal=CLI)
    with pytest.raises(Unmet) as exc:
        request_fulfil(request_id=req.pk, principal=CLI)
    assert any("reasons" in e.message for e in exc.value.errors)
    from tutela.rights.services import request_details_update

    request_details_update(
        request_id=req.pk, details={"reasons": "I am a public figure and calls are harassment"}, principal=CLI
    )
    with pytest.raises(Unmet) as exc:
        request_fulfil(request_id=req.pk, principal=CLI)
    assert any("DPO" in e.message for e in exc.value.errors)
    request_decide(
        request_id=req.pk, grant=False, balancing="quality surveys are anonymous after 2 years", principal=CLI
    )
    result = request_fulfil(request_id=req.pk, principal=CLI)
    assert result.outcome == "refused"
    assert "quality surveys are anonymous" in result.reasons[0]
    assert RightsRequest.objects.get(pk=req.pk).decision["dpo"]["balancing"]
    from tutela.consent.models import Objection

    ledger = Objection.objects.get(purpose="member-service-quality")
    assert ledger.status == "rejected" and "anonymous after 2 years" in ledger.balancing


# ------------------------------------------------------------------------------- restriction, rectification


def test_restriction_marks_items_restricted(policy: Any) -> None:
    person = member()
    req = open_request("restriction", "marie.dupont@example.be")
    request_sign(request_id=req.pk, signed_on=dt.date.today(), signature="sha256:abc", principal=CLI)
    result = request_fulfil(request_id=req.pk, principal=CLI)
    assert result.outcome == "granted"
    assert set(DataItem.objects.filter(subject=person).values_list("status", flat=True)) == {"restricted"}


def test_rectification_writes_new_values_with_provenance(policy: Any) -> None:
    person = member()
    req = open_request(
        "rectification",
        "marie.dupont@example.be",
        details={"changes": [{"category": "user.name", "value": "Marie Dupont-Lambert"}]},
    )
    result = request_fulfil(request_id=req.pk, principal=CLI)
    assert result.outcome == "granted"
    item = DataItem.objects.get(subject=person, category="user.name")
    assert item.value == "Marie Dupont-Lambert"
    assert f"R-{req.pk}" in item.source_detail


def test_withdrawal_goes_to_the_consent_ledger(policy: Any) -> None:
    from tutela.consent.services import consent_give

    person = member()
    consent_give(
        subject_id=person.pk, purpose="newsletter", channel="staff", evidence="form 12", principal=CLI
    )
    req = open_request("withdrawal", "marie.dupont@example.be", purpose="newsletter")
    result = request_fulfil(request_id=req.pk, principal=CLI)
    assert result.outcome == "granted"
    from tutela.consent.selectors import current_consent

    assert (current_consent(person.pk, "newsletter") or {}).get("state") == "withdrawn"


def test_lists_by_deadline_state(policy: Any) -> None:
    from tutela.rights.selectors import requests_list

    member()
    with time_machine.travel(dt.datetime(2025, 4, 1, 9, tzinfo=dt.UTC), tick=False):
        late = open_request("access", "marie.dupont@example.be")
    with time_machine.travel(dt.datetime(2025, 4, 28, 9, tzinfo=dt.UTC), tick=False):
        soon = open_request(
            "access", "marie.dupont@example.be", received_at=dt.datetime(2025, 4, 1, 9, tzinfo=dt.UTC)
        )
        fresh = open_request("access", "marie.dupont@example.be")
        assert {r.pk for r in requests_list(at_risk=True, principal=CLI)} == {late.pk, soon.pk}
        assert not requests_list(overdue=True, principal=CLI)
    with time_machine.travel(dt.datetime(2025, 5, 5, 9, tzinfo=dt.UTC), tick=False):
        assert {r.pk for r in requests_list(overdue=True, principal=CLI)} == {late.pk, soon.pk}
        assert fresh.pk not in {r.pk for r in requests_list(overdue=True, principal=CLI)}


def test_access_request_fulfilled_with_a_package(
    policy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    import zipfile
    from pathlib import Path

    member()
    req = open_request("access", "marie.dupont@example.be")
    with django_capture_on_commit_callbacks(execute=True):  # the package appears when the answer commits
        result = request_fulfil(request_id=req.pk, principal=CLI)
    assert (result.status, result.outcome) == ("answered", "granted")
    req.refresh_from_db()
    with zipfile.ZipFile(Path(req.details["package"])) as zf:
        assert "data.json" in zf.namelist()
    assert req.details["items"] == 4


def test_objection_upheld_by_the_dpo_stops_the_purpose(policy: Any) -> None:
    from tutela.accounts.principal import CLI
    from tutela.consent.models import Objection

    person = member()
    from tutela.subjects.services import item_add

    item_add(subject=person, controller="crm-asbl", category="user.content.survey_response", value="4/5",
             source="direct", purposes=["member-service-quality"], subject_type="member", principal=CLI)  # fmt: skip
    req = open_request("objection", "marie.dupont@example.be", purpose="member-service-quality",
                       details={"reasons": "surveys after my bereavement are distressing"})  # fmt: skip
    request_sign(request_id=req.pk, signed_on=dt.date.today(), signature="scan", principal=CLI)
    request_decide(
        request_id=req.pk, grant=True, balancing="her situation outweighs our survey", principal=CLI
    )
    result = request_fulfil(request_id=req.pk, principal=CLI)
    assert result.outcome == "granted"
    assert Objection.objects.get(subject=person, purpose="member-service-quality").status == "upheld"
    assert not any(
        "member-service-quality" in (i.purposes or []) for i in DataItem.objects.filter(subject=person)
    )
