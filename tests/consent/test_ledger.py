"""The consent ledger, objections and the suppression list through the services, checked against the
policy file and the audit trail. Includes the issue's "Must show" cases."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.factories.consent import person
from tutela.accounts.principal import SYSTEM
from tutela.consent import services
from tutela.consent.checks import purpose_check
from tutela.consent.selectors import consents_of_subject, current_consent, is_suppressed
from tutela.core.audit import audit_verify
from tutela.core.errors import InvalidInput, Refused
from tutela.core.models import AuditEntry
from tutela.subjects import identifiers
from tutela.subjects.models import Subject

pytestmark = pytest.mark.django_db


def _newsletter(policy_data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    assert policy_data["purposes"]["newsletter"]["legal_basis"] == "consent"
    return "newsletter", policy_data["purposes"]["newsletter"]


def _prospecting(policy_data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    purpose = policy_data["purposes"]["prospecting"]
    assert purpose["legal_basis"] == "legitimate_interest" and purpose.get("direct_marketing")
    return "prospecting", purpose


def test_newsletter_refused_without_consent_allowed_after_refused_after_withdrawal(
    policy: Any, policy_data: dict[str, Any], time_machine: Any
) -> None:
    key, purpose = _newsletter(policy_data)
    kind = next(
        k
        for k in purpose["subject_types"]
        if policy_data["subject_types"][k].get("relationship") == "contract"
    )
    time_machine.move_to("2026-11-25 10:00:00+00:00", tick=False)
    ann = person("ann@example.com", subject_type=kind)

    before = purpose_check(identifier="ann@example.com", purpose=key)
    assert not before.allowed and before.legal_basis is None
    assert any("consent" in r and "not given" in r for r in before.reasons)

    services.consent_give(
        principal=SYSTEM, subject_id=ann.pk, purpose=key, channel="paper", evidence="form 12"
    )
    after = purpose_check(identifier="ann@example.com", purpose=key)
    assert after.allowed and after.legal_basis == purpose["legal_basis"] == "consent"

    time_machine.move_to("2026-12-03 15:00:00+00:00", tick=False)
    services.consent_withdraw(principal=SYSTEM, subject_id=ann.pk, purpose=key, channel="email")
    withdrawn = purpose_check(identifier="ann@example.com", purpose=key)
    assert not withdrawn.allowed
    assert withdrawn.codes[0] == "withdrawn"
    assert "withdrew" in withdrawn.reasons[0] and "2026-12-03" in withdrawn.reasons[0]


def test_consent_proof(policy: Any, policy_data: dict[str, Any]) -> None:
    key, purpose = _newsletter(policy_data)
    bob = person("bob@example.com", subject_type="prospect")
    event = services.consent_give(
        principal=SYSTEM,
        subject_id=bob.pk,
        purpose=key,
        channel="portal",
        page="https://www.crmgroup.be/newsletter",
        ip="192.0.2.7",
        user_agent="Mozilla/5.0 Test",
        evidence="checkbox ticked",
    )
    wording = purpose["consent"]["wording"]
    assert event.wording == wording
    assert event.wording_sha256 == hashlib.sha256(wording.encode()).hexdigest()
    assert event.policy_version == 1
    assert event.page == "https://www.crmgroup.be/newsletter"
    assert len(event.request_hash) == 64 and "192.0.2.7" not in event.request_hash
    history = consents_of_subject(bob.pk, principal=SYSTEM)
    assert [h["event"] for h in history] == ["given"]
    assert history[0]["wording"] == wording and history[0]["channel"] == "portal"
    state = current_consent(bob.pk, key, "crm-asbl")
    assert state is not None and state["state"] == "given"
    entry = AuditEntry.objects.filter(action="consent.give").get()
    assert entry.subject_id == bob.pk and "192.0.2.7" not in str(entry.payload)
    assert audit_verify().intact


def test_ledger_is_append_only_and_withdrawal_needs_consent(policy: Any) -> None:
    cid = person("cid@example.com").pk
    with pytest.raises(Refused, match="no consent to withdraw"):
        services.consent_withdraw(principal=SYSTEM, subject_id=cid, purpose="newsletter")
    services.consent_give(principal=SYSTEM, subject_id=cid, purpose="newsletter")
    services.consent_withdraw(principal=SYSTEM, subject_id=cid, purpose="newsletter")
    services.consent_give(principal=SYSTEM, subject_id=cid, purpose="newsletter")
    assert [e["event"] for e in consents_of_subject(cid, principal=SYSTEM)] == ["given", "withdrawn", "given"]
    assert purpose_check(subject_id=cid, purpose="newsletter").allowed


def test_consent_refused_for_a_purpose_not_based_on_consent(policy: Any, policy_data: dict[str, Any]) -> None:
    pid = person("dan@example.com", subject_type="member").pk
    for key, purpose in policy_data["purposes"].items():
        if purpose["legal_basis"] != "consent":
            with pytest.raises(InvalidInput, match="not on consent"):
                services.consent_give(principal=SYSTEM, subject_id=pid, purpose=key)
    with pytest.raises(InvalidInput):
        services.consent_give(principal=SYSTEM, subject_id=pid, purpose="newsletter", channel="pigeon")
    with pytest.raises(InvalidInput):
        services.consent_give(principal=SYSTEM, subject_id=pid, purpose="no-such-purpose")


def test_objection_to_prospecting_is_honoured_without_reasons_and_survives_erasure(
    policy: Any, policy_data: dict[str, Any]
) -> None:
    key, purpose = _prospecting(policy_data)
    assert "data-provider" in (purpose.get("sources") or policy_data["sources"])
    eve = person("eve@example.com", phone="+32 470 12 34 56", subject_type="prospect", source="public-web")
    assert purpose_check(identifier="eve@example.com", purpose=key).allowed

    obj = services.objection_register(principal=SYSTEM, subject_id=eve.pk, purpose=key)  # no reasons asked
    assert obj.status == "upheld" and obj.absolute and obj.reasons == ""
    refused = purpose_check(identifier="eve@example.com", purpose=key)
    assert not refused.allowed and refused.codes[0] == "objection"
    assert [e["type"] for e in consents_of_subject(eve.pk, principal=SYSTEM)] == ["objection"]
    assert AuditEntry.objects.filter(action="objection.register", subject_id=eve.pk).exists()
    email_lookup = identifiers.lookup_for("email", "EVE@example.com")
    assert is_suppressed([email_lookup], key)

    # erasure: the person's records go, the suppression list (keyed hashes) stays
    services.subject_erase_records(subject_id=eve.pk)
    Subject.objects.filter(pk=eve.pk).delete()
    assert is_suppressed([email_lookup], key)

    # collected again, from a professional data provider, by phone only: still refused
    again = person(phone="0470/12.34.56", subject_type="prospect", source="data-provider")
    decision = purpose_check(subject_id=again.pk, purpose=key)
    assert not decision.allowed and decision.codes == ["suppressed"]
    assert "suppression list" in decision.reasons[0]
    unknown = purpose_check(identifier="eve@example.com", purpose=key)
    assert not unknown.allowed and "suppressed" in unknown.codes


def test_objection_other_legitimate_interest_is_pending_for_the_dpo(
    policy: Any, policy_data: dict[str, Any]
) -> None:
    key, _purpose = next(
        (k, p)
        for k, p in policy_data["purposes"].items()
        if p["legal_basis"] == "legitimate_interest"
        and not p.get("direct_marketing")
        and "member" in p["subject_types"]
        and p.get("objection") in (None, "reasons")
    )
    fay = person("fay@example.com", subject_type="member").pk
    with pytest.raises(InvalidInput, match="reasons"):
        services.objection_register(principal=SYSTEM, subject_id=fay, purpose=key)
    obj = services.objection_register(
        principal=SYSTEM, subject_id=fay, purpose=key, reasons="I am a public figure", request_ref="R-9"
    )
    assert obj.status == "pending" and obj.reasons == "I am a public figure"
    assert "objection-pending" in purpose_check(subject_id=fay, purpose=key).codes
    services.objection_decide(
        principal=SYSTEM, objection_id=obj.pk, uphold=False, balancing="Compelling grounds: security logs"
    )
    assert "objection-pending" not in purpose_check(subject_id=fay, purpose=key).codes
    history = consents_of_subject(fay, principal=SYSTEM)
    assert history[0]["event"] == "objection-rejected" and history[0]["balancing"].startswith("Compelling")


def test_objection_refused_against_contract_and_legal_obligation(
    policy: Any, policy_data: dict[str, Any]
) -> None:
    gus = person("gus@example.com", subject_type="member").pk
    for key, purpose in policy_data["purposes"].items():
        if purpose["legal_basis"] in ("contract", "legal_obligation") and not purpose.get("objection"):
            with pytest.raises(Refused, match="cannot be accepted"):
                services.objection_register(principal=SYSTEM, subject_id=gus, purpose=key, reasons="please")


def test_merge_moves_consents(policy: Any) -> None:
    from tutela.subjects.services import subject_merge

    a = person("hal@example.com").pk
    b = person("hal.other@example.com").pk
    services.consent_give(principal=SYSTEM, subject_id=b, purpose="newsletter")
    subject_merge(principal=SYSTEM, keep=a, duplicate=b)
    assert [e["event"] for e in consents_of_subject(a, principal=SYSTEM)] == ["given"]
    from tutela.core.models import AuditEntry

    moved = AuditEntry.objects.get(action="consent.merge")
    assert moved.subject_id == a
    assert moved.payload == {"duplicate": b, "consent_events": 1, "objections": 0}
