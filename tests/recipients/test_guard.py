"""The transfer guard (pure rule): EEA, adequacy with scheme, safeguards by signature date, derogations."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.recipients.reference import expected, reference_data
from tutela.core.errors import InvalidInput
from tutela.recipients.guard import SafeguardFacts, guard_decision
from tutela.recipients.rules import parse_rules, shipped_rules_text

RULES = parse_rules(shipped_rules_text())
ON = dt.date(2026, 3, 1)
SCC = SafeguardFacts(1, "scc", dt.date(2026, 2, 1), "c2p", "SCC-1")


def decide(country: str, *, on: dt.date = ON, scheme: str | None = None, safeguards=(), **kw):
    return guard_decision(
        country=country, on=on, scheme=scheme, safeguards=list(safeguards), rules=RULES, **kw
    )


def test_eea_needs_nothing() -> None:
    d = decide("BE")
    assert d.allowed and d.basis == "eea" and d.mechanism == "none"


def test_adequacy_with_scheme() -> None:
    d = decide("US", scheme="dpf")
    assert d.allowed and d.mechanism == "adequacy"
    assert d.basis == f"adequacy:{expected('US', ON, 'dpf')['decision']}"


def test_us_without_dpf_and_without_scc_is_refused_with_reasons() -> None:
    d = decide("US")
    assert not d.allowed
    text = " ".join(d.reasons)
    assert "dpf" in text and "Standard Contractual Clauses" in text and "derogation" in text


def test_scc_signed_before_the_transfer_allows_it() -> None:
    d = decide("US", safeguards=[SCC])
    assert d.allowed and d.mechanism == "safeguard" and d.basis.startswith("scc:c2p") and d.safeguard_id == 1


def test_scc_signed_after_the_transfer_does_not() -> None:
    d = decide("US", on=dt.date(2026, 1, 31), safeguards=[SCC])
    assert not d.allowed and "after the transfer date" in " ".join(d.reasons)
    assert decide("US", on=dt.date(2026, 2, 1), safeguards=[SCC]).allowed  # signed that very day


def test_expired_or_revoked_safeguard_does_not() -> None:
    expired = SafeguardFacts(
        2, "bcr", dt.date(2020, 1, 1), reference="BCR-9", expires_on=dt.date(2025, 12, 31)
    )
    revoked = SafeguardFacts(3, "scc", dt.date(2020, 1, 1), "c2c", revoked_on=dt.date(2026, 3, 1))
    assert not decide("IN", safeguards=[expired, revoked]).allowed
    assert decide("IN", on=dt.date(2025, 12, 31), safeguards=[expired]).allowed


def test_derogation_needs_a_known_kind_and_a_reason() -> None:
    kind = reference_data()["without_adequacy"]["derogations"][0]
    d = decide("IN", derogation=kind, reason="the person asked for it after being told the risks")
    assert d.allowed and d.mechanism == "derogation" and d.basis == f"derogation:{kind}"
    with pytest.raises(InvalidInput):
        decide("IN", derogation=kind, reason="  ")
    with pytest.raises(InvalidInput):
        decide("IN", derogation="because", reason="x")


def test_derogation_is_not_used_when_adequacy_applies() -> None:
    d = decide("CH", derogation="legal_claims", reason="a claim")
    assert d.mechanism == "adequacy"


def test_uk_after_its_decision_ends_needs_a_safeguard() -> None:
    after = dt.date(2031, 12, 28)
    assert not decide("GB", on=after).allowed
    assert decide("GB", on=after, safeguards=[SCC]).allowed
