"""The risk assessment: EDPB reference cases, our own cases from EDPB Guidelines 01/2021, ENISA arithmetic.

Expected duties come from the EDPB's conclusions (the reference YAML, or our reading of the guidelines);
expected scores are worked out by hand from the ENISA method (enisa-severity.md), never from the code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.factories.breaches import facts
from tutela.breaches.assessment import assess, band, validate_facts

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"


def _shared_file(*parts: str) -> Path:
    """A file of the shared tree beside the repository (``../shared``). Expected values never come from
    Tutela's own copies: a missing reference fails loudly instead of testing the code against itself."""
    path = SHARED.joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: check out the shared tree beside the repository")
    return path


def _reference_file(name: str) -> Path:
    return _shared_file("reference", name)


def _schema(name: str) -> dict[str, Any]:
    return json.loads(_shared_file("spec", name).read_text())


REFERENCE = yaml.safe_load(_reference_file("edpb-breach-examples.yaml").read_text())["cases"]
OUTPUT = Draft202012Validator(_schema("breach-assessment.schema.json"))
INPUT = Draft202012Validator(_schema("breach-facts.schema.json"))


def check(result: Any) -> dict[str, Any]:
    data = result.as_json()
    errors = [e.message for e in OUTPUT.iter_errors(data)]
    assert not errors, errors
    assert set(data) <= set(_schema("breach-assessment.schema.json")["properties"])
    assert data["severity"] == band(data["score"])  # the band always matches the score reported
    assert data["document_internally"] is True
    assert all(isinstance(r, str) and r for r in data["reasons"])
    return data


@pytest.mark.parametrize("case", REFERENCE, ids=[c["id"] for c in REFERENCE])
def test_reference_cases_get_the_edpb_conclusions(case: dict[str, Any]) -> None:
    assert not list(INPUT.iter_errors(case["facts"]))
    assert validate_facts(case["facts"]) == []
    data = check(assess(case["facts"]))
    for key, want in case["expected"].items():
        assert data[key] is want, (case["id"], key, data["reasons"])


# Our own cases, derived from EDPB Guidelines 01/2021 (case numbers are the guidelines' where one fits).
OWN_CASES: list[tuple[str, dict[str, Any], bool, bool]] = [
    (
        "02 ransomware without backup: data back after 5 days from paper, minor delays",
        facts(
            data_categories=["user.name", "user.contact", "user.behavior.purchase_history"],
            subjects_affected=600,
            malicious=True,
            confidentiality={"lost": False, "exfiltrated": False},
            availability={"lost": True, "backup": False, "restored_within_hours": 120, "impact": "minor"},
            protection={"encrypted": True, "state_of_the_art": True, "key_compromised": False},
        ),
        True,
        False,
    ),
    (
        "03 hospital records unavailable for two days, operations cancelled",
        facts(
            data_categories=["user.name", "user.health_and_medical"],
            subjects_affected=4000,
            vulnerable_subjects=True,
            malicious=True,
            confidentiality={"lost": False, "exfiltrated": False},
            availability={"lost": True, "backup": True, "restored_within_hours": 48, "impact": "significant"},
        ),
        True,
        True,
    ),
    (
        "04 ransomware without backup and with exfiltration of identity and bank data",
        facts(
            data_categories=[
                "user.name",
                "user.contact.address",
                "user.government_id.national_identification_number",
                "user.financial.bank_account",
            ],
            subjects_affected=5000,
            malicious=True,
            confidentiality={"lost": True, "recipient": "unknown", "exfiltrated": True},
            availability={"lost": True, "backup": False, "restored_within_hours": None},
        ),
        True,
        True,
    ),
    (
        "05 job applications exfiltrated from a website: name, address, date of birth, CV",
        facts(
            data_categories=[
                "user.name",
                "user.contact",
                "user.demographic.date_of_birth",
                "user.workplace",
            ],
            subjects_affected=213,
            malicious=True,
            confidentiality={"lost": True, "recipient": "unknown", "exfiltrated": True},
        ),
        True,
        True,
    ),
    (
        "07 credential stuffing at a bank: accounts opened with stolen credentials",
        facts(
            data_categories=["user.authorization.credentials", "user.name", "user.financial.bank_account"],
            subjects_affected=2000,
            malicious=True,
            confidentiality={"lost": True, "recipient": "unknown", "exfiltrated": True},
            mitigations=["affected accounts blocked", "passwords reset"],
        ),
        True,
        True,
    ),
    (
        "09 insurance reports of two dozen clients sent to a trusted agent who confirmed deletion",
        facts(
            data_categories=["user.name", "user.contact.address", "user.financial"],
            subjects_affected=24,
            malicious=False,
            confidentiality={"lost": True, "recipient": "trusted", "exfiltrated": False},
            mitigations=["recipient confirmed deletion"],
        ),
        False,
        False,
    ),
    (
        "10 stolen laptops, state-of-the-art full-disk encryption, key safe, backup",
        facts(
            data_categories=["user.name", "user.contact.address", "user.demographic.date_of_birth"],
            subjects_affected=100_000,
            malicious=True,
            confidentiality={"lost": True, "recipient": "unknown", "exfiltrated": True},
            availability={"lost": True, "backup": True, "restored_within_hours": 2, "impact": "none"},
            protection={"encrypted": True, "state_of_the_art": True, "key_compromised": False},
        ),
        False,
        False,
    ),
    (
        "12 paper logbook of a rehabilitation centre stolen (vulnerable people)",
        facts(
            data_categories=["user.name", "user.health_and_medical"],
            subjects_affected=60,
            vulnerable_subjects=True,
            context=["sensitive_context"],
            malicious=True,
            confidentiality={"lost": True, "recipient": "unknown", "exfiltrated": True},
        ),
        True,
        True,
    ),
    (
        "paper files of people in care lost by accident (no malice, unknown finder)",
        facts(
            data_categories=["user.name", "user.contact.address"],
            subjects_affected=30,
            vulnerable_subjects=True,
            malicious=False,
            confidentiality={"lost": True, "recipient": "unknown", "exfiltrated": True},
        ),
        True,
        True,
    ),
    (
        "health data of one patient mailed to the wrong patient",
        facts(
            data_categories=["user.name", "user.contact.address", "user.health_and_medical"],
            subjects_affected=1,
            malicious=False,
            confidentiality={"lost": True, "recipient": "known", "exfiltrated": False},
        ),
        True,
        True,
    ),
    (
        "e-mail to 300 members with every address in cc instead of bcc",
        facts(
            data_categories=["user.name", "user.contact.email"],
            subjects_affected=300,
            malicious=False,
            confidentiality={"lost": True, "recipient": "known", "exfiltrated": False},
        ),
        True,
        False,
    ),
    (
        "13 one invoice (name, address) put in another customer's parcel",
        facts(
            data_categories=["user.name", "user.contact.address"],
            subjects_affected=1,
            malicious=False,
            confidentiality={"lost": True, "recipient": "known", "exfiltrated": False},
        ),
        False,
        False,
    ),
    (
        "06 variant: the same cooking website, but passwords stored in clear",
        facts(
            data_categories=["user.account.username", "user.authorization.password"],
            subjects_affected=1200,
            malicious=True,
            confidentiality={"lost": True, "recipient": "unknown", "exfiltrated": True},
            protection={"hashed_salted": False},
        ),
        True,
        True,
    ),
    (
        "17 social engineering: an impostor obtains a customer's data and uses it for identity theft",
        facts(
            data_categories=["user.name", "user.contact", "user.behavior.purchase_history"],
            subjects_affected=1,
            malicious=True,
            confidentiality={"lost": True, "recipient": "known", "exfiltrated": True},
            known_misuse=["identity_theft"],
        ),
        True,
        True,
    ),
    (
        "encrypted backup tape lost, but the key was on a note in the same box",
        facts(
            data_categories=["user.name", "user.financial.bank_account"],
            subjects_affected=800,
            malicious=False,
            confidentiality={"lost": True, "recipient": "unknown", "exfiltrated": True},
            protection={"encrypted": True, "state_of_the_art": True, "key_compromised": True},
        ),
        True,
        True,
    ),
    (
        "database altered by mistake, restored from backup the same day",
        facts(
            data_categories=["user.name", "user.contact.email"],
            subjects_affected=500,
            malicious=False,
            confidentiality={"lost": False},
            integrity={"lost": True, "recoverable": True},
            availability={"lost": True, "backup": True, "restored_within_hours": 3, "impact": "none"},
        ),
        False,
        False,
    ),
]


@pytest.mark.parametrize(
    ("title", "the_facts", "authority", "people"), OWN_CASES, ids=[c[0][:40] for c in OWN_CASES]
)
def test_own_cases_from_the_guidelines(
    title: str, the_facts: dict[str, Any], authority: bool, people: bool
) -> None:
    assert not list(INPUT.iter_errors(the_facts)), title
    assert validate_facts(the_facts) == []
    data = check(assess(the_facts))
    assert (data["notify_authority"], data["notify_subjects"]) == (authority, people), (
        title,
        data["reasons"],
    )
    if people:
        assert data["severity"] in ("high", "very_high")
    if not authority:
        assert data["severity"] == "low"


def test_enisa_arithmetic_by_hand() -> None:
    # financial (3) x maximum (1) + unknown recipients (0.5) + malicious (0.5) = 4 -> very high
    data = check(
        assess(
            facts(
                data_categories=["user.financial.credit_card", "user.contact.email"],
                malicious=True,
                confidentiality={"lost": True, "recipient": "unknown", "exfiltrated": True},
            )
        )
    )
    assert (data["dpc"], data["ei"], data["cb"], data["score"]) == (3, 1, 1.0, 4.0)
    assert data["severity"] == "very_high"


def test_context_moves_the_dpc_within_bounds() -> None:
    # behavioural (2) + a year of data (+1) = 3
    up = assess(
        facts(data_categories=["user.behavior.browsing_history"], context=["large_volume_per_person"])
    )
    assert up.dpc == 3
    # simple (1) - public (-1) stays at 1
    down = assess(facts(data_categories=["user.name"], context=["publicly_available"]))
    assert down.dpc == 1
    # sensitive (4) + profile (+1) stays at 4
    assert assess(facts(data_categories=["user.health_and_medical"], context=["detailed_profile"])).dpc == 4


def test_parent_key_covers_its_children() -> None:
    # user.demographic covers religious belief and the like: scored as sensitive
    assert assess(facts(data_categories=["user.demographic"])).dpc == 4
    # user.contact covers the address: with name and date of birth, identity fraud is possible
    combined = assess(facts(data_categories=["user.name", "user.contact", "user.demographic.date_of_birth"]))
    assert any("identity fraud" in r for r in combined.reasons)


def test_credentials_are_scored_by_what_they_open() -> None:
    # credentials alongside health data open sensitive data: DPC 4
    assert assess(facts(data_categories=["user.authorization.password", "user.health_and_medical"])).dpc == 4
    # hashed and salted with the salt safe: they open nothing
    hashed = assess(
        facts(
            data_categories=["user.authorization.password", "user.account.username"],
            protection={"hashed_salted": True, "state_of_the_art": True, "key_compromised": False},
        )
    )
    assert hashed.dpc == 1 and hashed.ei == 0.5


def test_identifiability_given_overrides_derivation() -> None:
    assert assess(facts(identifiability="negligible")).ei == 0.25
    assert assess(facts(data_categories=["user.account.username"])).ei == 0.5
    assert assess(facts(data_categories=["user.contact.phone_number"])).ei == 0.75
    assert assess(facts(data_categories=["user.government_id.passport_number"])).ei == 1


def test_protection_counts_only_when_the_key_is_known_safe() -> None:
    unknown_key = assess(
        facts(
            data_categories=["user.name", "user.health_and_medical"],
            malicious=True,
            confidentiality={"lost": True, "recipient": "unknown", "exfiltrated": True},
            protection={"encrypted": True, "state_of_the_art": True},
        )
    )
    assert unknown_key.notify_subjects is True
    assert any("not known that the key is safe" in r for r in unknown_key.reasons)


@pytest.mark.parametrize(
    ("score", "want"),
    [
        (0, "low"),
        (1.99, "low"),
        (2, "medium"),
        (2.99, "medium"),
        (3, "high"),
        (3.99, "high"),
        (4, "very_high"),
        (5.5, "very_high"),
    ],
)
def test_band_boundaries(score: float, want: str) -> None:
    assert band(score) == want


def test_every_step_is_explained() -> None:
    result = assess(REFERENCE[2]["facts"])  # case 08
    text = " ".join(result.reasons)
    for needle in ("documented", "DPC", "EI", "CB", "SE =", "authority"):
        assert needle in text


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"subjects_affected": 1, "malicious": True}, "data_categories"),
        ({"data_categories": ["user.name"], "malicious": True}, "subjects_affected"),
        (
            {"data_categories": ["user.name"], "subjects_affected": "many", "malicious": True},
            "subjects_affected",
        ),
        (
            {"data_categories": ["user.name", "user.nope"], "subjects_affected": 1, "malicious": True},
            "data_categories[1]",
        ),
        ({"data_categories": ["user.name"], "subjects_affected": 1, "malicious": "yes"}, "malicious"),
        (
            {
                "data_categories": ["user.name"],
                "subjects_affected": 1,
                "malicious": True,
                "confidentiality": {"recipient": "aliens"},
            },
            "confidentiality.recipient",
        ),
        ({"data_categories": ["user.name"], "subjects_affected": -1, "malicious": True}, "subjects_affected"),
        ({"data_categories": [], "subjects_affected": 1, "malicious": True}, "data_categories"),
        (
            {"data_categories": ["user.name"], "subjects_affected": 1, "malicious": True, "colour": "red"},
            "colour",
        ),
    ],
)
def test_bad_facts_name_the_field(bad: dict[str, Any], field: str) -> None:
    fields = [f for f, _ in validate_facts(bad)]
    assert field in fields, fields


def test_a_list_is_not_facts() -> None:
    assert validate_facts([1, 2]) == [("(facts)", "[1, 2] is not of type 'object'")]
