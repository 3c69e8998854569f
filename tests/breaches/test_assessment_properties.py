"""Properties of the assessment over many generated facts: it always answers, in the contract, consistently."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.breaches.test_assessment import OUTPUT
from tutela.breaches.assessment import assess, band, validate_facts
from tutela.breaches.taxonomy import known_keys

KEYS = sorted(k for k in known_keys() if k.startswith("user"))
maybe = st.none() | st.booleans()


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


facts_strategy = st.builds(
    lambda cats, n, mal, vuln, ident, ctx, conf, integ, avail, prot, misuse: _drop_none(
        {
            "data_categories": cats,
            "subjects_affected": n,
            "malicious": mal,
            "vulnerable_subjects": vuln,
            "identifiability": ident,
            "context": ctx,
            "confidentiality": conf,
            "integrity": integ,
            "availability": avail,
            "protection": prot,
            "known_misuse": misuse,
        }
    ),
    st.lists(st.sampled_from(KEYS), min_size=1, max_size=5),
    st.integers(min_value=0, max_value=2_000_000),
    st.booleans(),
    maybe,
    st.none() | st.sampled_from(["negligible", "limited", "significant", "maximum"]),
    st.none()
    | st.lists(
        st.sampled_from(
            [
                "publicly_available",
                "inaccurate",
                "limited_insight",
                "detailed_profile",
                "large_volume_per_person",
                "sensitive_context",
            ]
        ),
        max_size=3,
    ),
    st.none()
    | st.fixed_dictionaries(
        {},
        optional={
            "lost": st.booleans(),
            "recipient": st.sampled_from(["none", "trusted", "known", "unknown", "public"]),
            "exfiltrated": st.booleans(),
        },
    ),
    st.none() | st.fixed_dictionaries({}, optional={"lost": st.booleans(), "recoverable": st.booleans()}),
    st.none()
    | st.fixed_dictionaries(
        {},
        optional={
            "lost": st.booleans(),
            "backup": st.booleans(),
            "restored_within_hours": st.none() | st.floats(min_value=0, max_value=1000),
            "impact": st.sampled_from(["none", "minor", "significant"]),
        },
    ),
    st.none()
    | st.fixed_dictionaries(
        {},
        optional={
            k: st.booleans() for k in ("encrypted", "state_of_the_art", "key_compromised", "hashed_salted")
        },
    ),
    st.none()
    | st.lists(st.sampled_from(["identity_theft", "fraud", "phishing", "loss_of_control"]), max_size=2),
)


@settings(max_examples=400, deadline=None)
@given(facts_strategy)
def test_any_valid_facts_get_a_consistent_answer(facts: dict[str, Any]) -> None:
    assert validate_facts(facts) == []
    result = assess(facts)
    data = result.as_json()
    assert not list(OUTPUT.iter_errors(data))
    assert data["severity"] == band(data["score"])
    assert 1 <= data["dpc"] <= 4 and data["ei"] in (0.25, 0.5, 0.75, 1.0) and 0 <= data["cb"] <= 2
    # telling the people implies notifying the authority; neither without a reason to
    assert not data["notify_subjects"] or data["notify_authority"]
    if data["notify_subjects"]:
        assert data["severity"] in ("high", "very_high")
    if not data["notify_authority"]:
        assert data["severity"] == "low"


@settings(max_examples=200, deadline=None)
@given(facts_strategy)
def test_malice_never_lowers_the_duties(facts: dict[str, Any]) -> None:
    calm = assess({**facts, "malicious": False})
    hostile = assess({**facts, "malicious": True})
    assert (hostile.notify_authority, hostile.notify_subjects) >= (
        calm.notify_authority,
        calm.notify_subjects,
    )


@settings(max_examples=200, deadline=None)
@given(facts_strategy, st.integers(min_value=1, max_value=1000))
def test_vulnerable_people_and_more_people_never_lower_the_duties(facts: dict[str, Any], factor: int) -> None:
    def duties(f: dict[str, Any]) -> tuple[bool, bool]:
        r = assess(f)
        return r.notify_authority, r.notify_subjects

    assert duties({**facts, "vulnerable_subjects": True}) >= duties({**facts, "vulnerable_subjects": False})
    assert duties({**facts, "subjects_affected": facts["subjects_affected"] * factor + 1}) >= duties(facts)
