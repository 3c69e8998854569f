"""The transfer check answers as the reference facts say, for any date (pure function, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.recipients.reference import eea_states, entry, expected, reference_data
from tutela.core.errors import InvalidInput
from tutela.recipients.rules import parse_rules, shipped_rules_text
from tutela.recipients.transfers import transfer_check

RULES = parse_rules(shipped_rules_text(), filename="transfers.yaml")
D = dt.date

CASES = [
    ("CH", D(2026, 11, 25), None),  # Switzerland: full adequacy
    ("GB", D(2025, 6, 27), None),  # last day of the original four years
    ("GB", D(2025, 12, 20), None),  # extension, before the renewal applies
    ("GB", D(2026, 1, 10), None),  # after the renewal
    ("GB", D(2031, 12, 27), None),  # last day of the renewal
    ("GB", D(2031, 12, 28), None),  # after the renewal ends
    ("GB", D(2021, 6, 27), None),  # before the decision
    ("US", D(2026, 11, 25), None),  # no DPF: not adequate
    ("US", D(2026, 11, 25), "dpf"),  # DPF participant
    ("US", D(2023, 7, 9), "dpf"),  # before the DPF decision
    ("US", D(2026, 11, 25), "pipeda"),  # wrong scheme
    ("CA", D(2026, 11, 25), "pipeda"),
    ("CA", D(2026, 11, 25), None),
    ("BR", D(2026, 1, 25), None),  # Brazil before its decision
    ("BR", D(2026, 1, 26), None),  # Brazil from its decision
    ("KR", D(2021, 12, 16), None),  # Korea before its decision
    ("KR", D(2021, 12, 17), None),
    ("JP", D(2026, 11, 25), None),
    ("NO", D(2026, 11, 25), None),  # Norway: EEA (EFTA)
    ("BE", D(2026, 11, 25), None),  # Belgium: EEA (EU)
    ("IS", D(2026, 11, 25), None),
    ("IN", D(2026, 11, 25), None),  # India: no decision
    ("CN", D(2026, 11, 25), None),  # China: no decision
]


@pytest.mark.parametrize(("country", "on", "scheme"), CASES, ids=lambda v: str(v))
def test_answer_matches_the_reference(country: str, on: dt.date, scheme: str | None) -> None:
    want = expected(country, on, scheme)
    got = transfer_check(country, on, scheme, rules=RULES)
    assert got.country == country
    assert got.eea is want["eea"]
    assert got.adequate is want["adequate"]
    assert got.decision == want["decision"]
    assert got.allowed_without_safeguards is want["allowed_without_safeguards"]
    if "valid_until" in want:
        assert got.valid_until == want["valid_until"]
    assert got.reasons, "every answer explains itself"


def test_uk_answers_name_the_window_before_and_after_the_renewal() -> None:
    before = transfer_check("GB", D(2025, 12, 20), rules=RULES)
    after = transfer_check("GB", D(2026, 1, 10), rules=RULES)
    assert before.adequate and after.adequate
    assert before.valid_until == D(2025, 12, 27)
    assert after.valid_until == D(2031, 12, 27)
    assert not transfer_check("GB", D(2031, 12, 28), rules=RULES).adequate


def test_us_without_dpf_says_why() -> None:
    got = transfer_check("US", D(2026, 11, 25), rules=RULES)
    assert not got.adequate and "dpf" in " ".join(got.reasons)


def test_brazil_before_its_decision_says_when_it_applies() -> None:
    got = transfer_check("BR", D(2026, 1, 25), rules=RULES)
    assert not got.adequate and "2026-01-26" in " ".join(got.reasons)


def test_country_code_is_case_insensitive_and_validated() -> None:
    assert transfer_check("ch", D(2026, 1, 1), rules=RULES).country == "CH"
    for bad in ("XX", "UK", "", "CHE", "1"):
        with pytest.raises(InvalidInput):
            transfer_check(bad, D(2026, 1, 1), rules=RULES)


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(InvalidInput):
        transfer_check("US", D(2026, 1, 1), "privacy-shield", rules=RULES)


def test_shipped_rules_hold_the_reference_facts() -> None:
    ref = reference_data()
    assert RULES.eea.states == eea_states(ref)
    countries = [e["country"] for e in ref["adequacy"] if "country" in e]
    assert sorted(d.country for d in RULES.adequacy) == sorted(countries)
    for code in countries:
        want = entry(ref, code)
        assert want is not None
        got = RULES.decision_for(code)
        assert got is not None
        assert got.decision == want["decision"], code
        assert got.adopted == want["adopted"], code
        assert got.scheme == want.get("scheme"), code
        assert got.windows[0].start == want["adopted"], code
        assert got.windows[-1].until == want.get("valid_until"), code
    assert set(RULES.derogations) == set(ref["without_adequacy"]["derogations"])
    assert set(RULES.safeguards) == set(ref["without_adequacy"]["safeguards"])
    orgs = [e["organisation"] for e in ref["adequacy"] if "organisation" in e]
    assert [o.organisation for o in RULES.international_organisations] == orgs


def test_bad_rules_file_names_the_line() -> None:
    text = shipped_rules_text().replace('decision: "(EU) 2026/179"', "decision: [oops]", 1)
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "decision: [oops]" in ln)
    with pytest.raises(InvalidInput) as err:
        parse_rules(text, filename="new.yaml")
    assert any(e.line == line and e.file == "new.yaml" for e in err.value.errors), err.value.errors


def test_bare_no_is_explained() -> None:
    text = shipped_rules_text().replace('"NO"', "NO", 1)
    with pytest.raises(InvalidInput) as err:
        parse_rules(text)
    assert "NO" in err.value.errors[0].message and err.value.errors[0].line


def test_unknown_country_and_overlapping_windows_are_refused() -> None:
    text = shipped_rules_text().replace("country: UY", "country: ZZ", 1)
    text = text.replace("{from: 2025-06-28, until: 2025-12-27", "{from: 2025-06-01, until: 2025-12-27", 1)
    with pytest.raises(InvalidInput) as err:
        parse_rules(text)
    messages = " ".join(e.message for e in err.value.errors)
    assert "ZZ" in messages or "overlap" in messages
