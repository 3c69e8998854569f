"""The shipped CRM Group policy: valid, and it states the group's facts (checked against the YAML and the text)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy.helpers import shipped_text
from tutela.policy.loader import check_policy_text

REQUIRED_SUBJECTS = {
    "member", "customer", "supplier", "prospect", "newsletter-subscriber", "event-participant", "visitor",
}  # fmt: skip
REQUIRED_SOURCES = {
    "direct", "official-publication", "client-company", "public-web", "public-database", "data-provider",
    "site-registration", "cctv",
}  # fmt: skip
#: the purposes of §6 (one line each in the published policy) and the keys that carry them
SECTION_6 = {
    "providing you with information about our products and services": "service-information",
    "assisting you and responding to your requests": "request-handling",
    "enabling the proper execution of the agreements concluded": "member-management",
    "ensuring the financial and accounting management": "accounting",
    "obtaining subsidies and instruments to protect intellectual property": "subsidies-ip",
    "ensuring good management of customers, equipment and suppliers": "customer-supplier-management",
    "establishing user profiles": "user-profiles",
    "information and/or promotion operations": "partner-promotion",
    "improving existing (or under development) services": "service-improvement",
    "responding to legal obligations": "legal-obligations",
    "detecting and preventing abuse and fraud": "fraud-prevention",
    "ensuring the provision of services by using subcontractors": "subcontracting",
    "monitoring our research and development activities": "research-monitoring",
    "improving the quality of the individual service to our members": "member-service-quality",
    "prospecting for CRM Group services": "prospecting",
    "ensuring the security of our premises and infrastructure": "site-security",
}


def test_the_shipped_policy_is_valid() -> None:
    checked = check_policy_text(shipped_text(), filename="crm-group.yaml")
    assert checked.issues == []
    assert checked.valid


def test_check_of_the_active_policy_passes(cli: Any) -> None:
    assert cli("init", "--json").returncode == 0
    r = cli("policy", "check", "--json")
    assert r.returncode == 0, r.stderr
    assert r.json() == {"valid": True, "errors": []}


def test_controllers_dpo_and_authority(policy_data: dict[str, Any]) -> None:
    c = policy_data["controllers"]
    assert c["crm-asbl"]["name"] == "CRM asbl"
    assert "Ravenstein 4" in c["crm-asbl"]["address"]["street"]
    assert c["crm-asbl"]["address"]["postal_code"] == "1000"
    assert c["ac-cs"]["name"] == "AC & CS scrl"
    assert "Innovation 1" in c["ac-cs"]["address"]["street"]
    assert c["ac-cs"]["address"]["postal_code"] == "4000"
    assert "asbl" in c["crm-asbl"]["legal_form"] and "scrl" in c["ac-cs"]["legal_form"]
    assert policy_data["dpo"]["email"] == "dpo@crmgroup.be"
    authority = policy_data["authority"]
    assert authority["address"]["street"] == "Rue de la Presse 35"
    assert "APD/GBA" in authority["name"]


def test_required_keys(policy_data: dict[str, Any]) -> None:
    assert set(policy_data["subject_types"]) >= REQUIRED_SUBJECTS
    assert set(policy_data["sources"]) >= REQUIRED_SOURCES
    assert "Moniteur belge" in policy_data["sources"]["official-publication"]["description"]
    purposes = policy_data["purposes"]
    assert purposes["member-management"]["legal_basis"] == "contract"
    assert purposes["accounting"]["legal_basis"] == "legal_obligation"
    assert purposes["prospecting"]["legal_basis"] == "legitimate_interest"
    assert purposes["prospecting"]["direct_marketing"] is True
    assert purposes["prospecting"]["objection"] == "absolute"
    assert purposes["newsletter"]["legal_basis"] == "consent"
    assert purposes["site-security"]["legal_basis"] == "legitimate_interest"
    assert purposes["site-security"]["categories"] == ["user.sensor.cctv_image"]
    assert purposes["user-profiles"]["profiling"] is True


@pytest.mark.parametrize(("phrase", "key"), sorted(SECTION_6.items()))
def test_every_purpose_of_section_6_is_encoded(phrase: str, key: str, policy_data: dict[str, Any]) -> None:
    assert key in policy_data["purposes"]
    assert phrase.lower() in policy_data["purposes"][key]["policy_section"].lower()


def test_legal_basis_records(policy_data: dict[str, Any]) -> None:
    for key, p in policy_data["purposes"].items():
        if p["legal_basis"] == "legitimate_interest":
            assert {"interest", "necessity", "balance"} <= set(p["balancing_test"]), key
        if p["legal_basis"] == "consent":
            assert p["consent"]["wording"] and p["consent"]["withdrawal"], key
        if p["legal_basis"] == "legal_obligation":
            assert p["legal_requirement"], key
        assert p["retention"] in policy_data["retention"], key


def test_categories_are_fideslang_keys_or_custom_children(policy_data: dict[str, Any]) -> None:
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    fides = {c.fides_key for c in DEFAULT_TAXONOMY.data_category}
    for key, cat in policy_data["categories"].items():
        if key in fides:
            assert "fideslang_parent" not in cat, key
        else:
            assert cat["fideslang_parent"] in fides, key
            assert key.startswith(cat["fideslang_parent"] + "."), key
    cats = policy_data["categories"]
    assert cats["user.government_id.national_identification_number"]["sensitive"] is True
    assert cats["user.financial.bank_account"]["sensitive"] is True
    kinds = {c.get("identifier") for c in cats.values()}
    assert {"email", "phone", "national_number", "iban", "vat"} <= kinds
    for custom in (
        "user.behavior.event_participation",
        "user.sensor.cctv_image",
        "user.behavior.site_registration",
    ):
        assert custom in cats


def test_special_categories_of_section_3(policy_data: dict[str, Any]) -> None:
    specials = set(policy_data["special_categories"])
    for key in (
        "user.demographic.race_ethnicity",
        "user.demographic.political_opinion",
        "user.demographic.religious_belief",
        "user.demographic.philosophical_belief",
        "user.workplace.trade_union_membership",
        "user.health_and_medical.genetic",
        "user.demographic.sexual_orientation",
    ):
        assert key in specials
    for p in policy_data["purposes"].values():
        assert not specials & set(p["categories"]) or p.get("legal_requirement")


def test_retention_rules_of_section_8(policy_data: dict[str, Any]) -> None:
    r = policy_data["retention"]
    p = policy_data["purposes"]
    member = r[p["member-management"]["retention"]]
    assert (member["trigger"], member["period"]) == ("contract_end", "P10Y")
    prospect = r[p["prospecting"]["retention"]]
    assert (prospect["trigger"], prospect["period"]) == ("last_interest", "P1Y")
    cctv = r[p["site-security"]["retention"]]
    assert (cctv["trigger"], cctv["period"]) == ("recorded", "P1M")
    assert "Camera Act" in cctv["basis"]
    accounting = r[p["accounting"]["retention"]]
    # "ten years from 1 January of the year after the books are closed, then erased": archived when the
    # books close, ten years in the archive, then erased
    assert (accounting["trigger"], accounting["period"], accounting["from_next_january"]) == (
        "books_closed",
        "P0D",
        True,
    )
    assert (accounting["action"], accounting["archive"]["period"], accounting["archive"]["then"]) == (
        "archive",
        "P10Y",
        "erase",
    )
    assert any("tax" in g for g in accounting["archive"]["grounds"])
    for rule in r.values():
        assert rule["basis"]
        # issue 16: every lifecycle ends in erasure or anonymisation
        if rule["action"] == "archive":
            assert rule["archive"]["then"] in ("erase", "anonymise"), rule


def test_rights_transfers_and_breach(policy_data: dict[str, Any]) -> None:
    rights = policy_data["rights"]
    assert set(rights) == {
        "access",
        "rectification",
        "erasure",
        "objection",
        "withdrawal",
        "restriction",
        "portability",
    }
    assert rights["objection"]["dated_and_signed"] and rights["restriction"]["dated_and_signed"]
    assert set(rights["objection"]["not_against"]) == {"contract", "legal_obligation"}
    assert "legal_claims" in rights["erasure"]["refusal_grounds"]
    assert set(policy_data["transfers"]["mechanisms"]) == {"adequacy", "scc", "derogation"}
    assert policy_data["transfers"]["copy_on_request"]
    breach = policy_data["breach"]
    assert (breach["investigation_hours"], breach["authority_notification_hours"]) == (24, 72)
    assert "URGENCY" in breach["urgency_marker"].upper()
    assert len(breach["report_must_include"]) >= 4
    assert "lessons learned" in breach["register_fields"]
    assert policy_data["changes"]["substantial"]
