"""The pure purpose rule, exhaustively: every purpose of the shipped policy, every subject type, every state
of consent, objection, restriction, retention and suppression. Expected answers come from the policy YAML
(``policy_data``) and from the law's plain statements, never from the code under test."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutela.consent.rules import (
    REASON_ORDER,
    ConsentFact,
    ItemFact,
    ObjectionFact,
    PurposeFacts,
    RelationshipFact,
    decide_purpose,
)
from tutela.policy.schema import Policy

TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def at(days_ago: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days_ago)


@pytest.fixture
def shipped(policy_data: dict[str, Any]) -> Policy:
    return Policy.model_validate(policy_data)


def _first_category(purpose: dict[str, Any]) -> str:
    return purpose["categories"][0]


def _special(policy_data: dict[str, Any], category: str) -> bool:
    keys = policy_data["special_categories"]
    declared = policy_data["categories"].get(category, {})
    return declared.get("special", False) or any(category == k or category.startswith(k + ".") for k in keys)


def _person(purpose: dict[str, Any], kind: str, controller: str, **extra: Any) -> PurposeFacts:
    """A person of one subject type with one active item of the purpose, collected today."""
    return PurposeFacts(
        purpose=extra.pop("purpose_key"),
        controller=controller,
        today=TODAY,
        relationships=(
            RelationshipFact(
                controller,
                kind,
                started_on=TODAY - dt.timedelta(days=30),
                last_interest_on=TODAY - dt.timedelta(days=30),
            ),
        ),
        items=(ItemFact(controller, _first_category(purpose), "active", TODAY),),
        **extra,
    )


def test_every_purpose_and_subject_type_of_the_policy(shipped: Policy, policy_data: dict[str, Any]) -> None:
    checked = 0
    for key, purpose in policy_data["purposes"].items():
        special = [c for c in purpose["categories"] if _special(policy_data, c)]
        special_ok = purpose["legal_basis"] == "legal_obligation" and bool(purpose.get("legal_requirement"))
        for controller in policy_data["controllers"]:
            for kind in policy_data["subject_types"]:
                facts = _person(purpose, kind, controller, purpose_key=key)
                decision = decide_purpose(facts, shipped)
                expected: set[str] = set()
                if controller not in purpose["controllers"]:
                    expected.add("controller")
                if kind not in purpose["subject_types"]:
                    expected.add("subject-type")
                if purpose["legal_basis"] == "consent":
                    expected.add("no-consent")
                if special and not special_ok:
                    expected.add("special-category")
                assert set(decision.codes) == expected, (key, controller, kind, decision.reasons)
                assert decision.allowed == (not expected)
                assert decision.legal_basis == (purpose["legal_basis"] if not expected else None)
                checked += 1
    assert checked == len(policy_data["purposes"]) * len(policy_data["controllers"]) * len(
        policy_data["subject_types"]
    )


def _consent_purpose(policy_data: dict[str, Any]) -> str:
    return (
        "newsletter"
        if "newsletter" in policy_data["purposes"]
        else next(k for k, p in policy_data["purposes"].items() if p["legal_basis"] == "consent")
    )


def _a_subject_type(purpose: dict[str, Any]) -> str:
    return purpose["subject_types"][0]


# (events as (kind, days ago, seq), expected code or None for allowed)
CONSENT_TABLE = [
    ([], "no-consent"),
    ([("given", 5, 1)], None),
    ([("given", 5, 1), ("withdrawn", 2, 2)], "withdrawn"),
    ([("given", 5, 1), ("withdrawn", 2, 2), ("given", 1, 3)], None),
    ([("given", 5, 1), ("expired", 1, 2)], "expired"),
    ([("withdrawn", 2, 2), ("given", 5, 1)], "withdrawn"),  # order of the list does not matter
    ([("given", 0, 1), ("withdrawn", 0, 2)], "withdrawn"),  # same instant: the ledger order decides
    ([("withdrawn", 0, 1), ("given", 0, 2)], None),
]


@pytest.mark.parametrize(("events", "expected"), CONSENT_TABLE)
def test_consent_states(
    shipped: Policy, policy_data: dict[str, Any], events: list[Any], expected: str | None
) -> None:
    key = _consent_purpose(policy_data)
    purpose = policy_data["purposes"][key]
    ctrl = purpose["controllers"][0]
    facts = _person(
        purpose,
        _a_subject_type(purpose),
        ctrl,
        purpose_key=key,
        consents=tuple(ConsentFact("", kind, at(days), seq, 1) for kind, days, seq in events),
    )
    # a running subscription, as giving consent records one
    decision = decide_purpose(facts, shipped)
    if expected is None:
        assert decision.allowed and decision.legal_basis == "consent" and decision.codes == []
        assert "consent given on" in decision.reasons[0]
    else:
        assert not decision.allowed and decision.codes[0] == expected
    if expected == "withdrawn":
        withdrawn_on = max((e for e in events if e[0] == "withdrawn"), key=lambda e: e[1])
        day = (NOW - dt.timedelta(days=withdrawn_on[1])).date().isoformat()
        assert any("withdrew" in r and day in r for r in decision.reasons)


def test_consent_for_one_controller_does_not_cover_the_other(
    shipped: Policy, policy_data: dict[str, Any]
) -> None:
    key = _consent_purpose(policy_data)
    purpose = policy_data["purposes"][key]
    first, second = purpose["controllers"][:2]
    base = dict(purpose_key=key, consents=(ConsentFact(first, "given", at(1), 1, 1),))
    rels = (
        RelationshipFact(first, _a_subject_type(purpose), TODAY),
        RelationshipFact(second, _a_subject_type(purpose), TODAY),
    )
    items = (
        ItemFact(first, _first_category(purpose), "active", TODAY),
        ItemFact(second, _first_category(purpose), "active", TODAY),
    )
    for ctrl, allowed in ((first, True), (second, False)):
        facts = PurposeFacts(
            purpose=key,
            controller=ctrl,
            today=TODAY,
            relationships=rels,
            items=items,
            consents=base["consents"],
        )
        assert decide_purpose(facts, shipped).allowed is allowed


def _marketing_purpose(policy_data: dict[str, Any]) -> str:
    return next(
        k
        for k, p in policy_data["purposes"].items()
        if p["legal_basis"] == "legitimate_interest" and p.get("direct_marketing")
    )


def _reasons_purpose(policy_data: dict[str, Any]) -> str:
    return next(
        k
        for k, p in policy_data["purposes"].items()
        if p["legal_basis"] == "legitimate_interest"
        and not p.get("direct_marketing")
        and p.get("objection") != "none"
    )


@pytest.mark.parametrize(
    ("which", "status", "expected"),
    [
        ("marketing", "upheld", "objection"),
        ("marketing", "pending", "objection-pending"),
        ("reasons", "pending", "objection-pending"),
        ("reasons", "upheld", "objection"),
        ("reasons", "rejected", None),
    ],
)
def test_objections(
    shipped: Policy, policy_data: dict[str, Any], which: str, status: str, expected: str | None
) -> None:
    key = _marketing_purpose(policy_data) if which == "marketing" else _reasons_purpose(policy_data)
    purpose = policy_data["purposes"][key]
    ctrl = purpose["controllers"][0]
    facts = _person(
        purpose,
        _a_subject_type(purpose),
        ctrl,
        purpose_key=key,
        objections=(ObjectionFact("", status, at(3), which == "marketing"),),
    )
    decision = decide_purpose(facts, shipped)
    if expected is None:
        assert decision.allowed
    else:
        assert decision.codes == [expected]
        assert at(3).date().isoformat() in decision.reasons[0]


def test_objection_is_not_a_reason_against_contract_or_legal_obligation(
    shipped: Policy, policy_data: dict[str, Any]
) -> None:
    for key, purpose in policy_data["purposes"].items():
        if purpose["legal_basis"] not in ("contract", "legal_obligation"):
            continue
        ctrl = purpose["controllers"][0]
        facts = _person(
            purpose,
            _a_subject_type(purpose),
            ctrl,
            purpose_key=key,
            objections=(ObjectionFact("", "upheld", at(3)),),
        )
        assert "objection" not in decide_purpose(facts, shipped).codes, key


def test_suppression_blocks_marketing_until_a_later_consent(
    shipped: Policy, policy_data: dict[str, Any]
) -> None:
    key = _marketing_purpose(policy_data)
    purpose = policy_data["purposes"][key]
    ctrl = purpose["controllers"][0]
    facts = _person(purpose, _a_subject_type(purpose), ctrl, purpose_key=key, suppressed_at=at(400))
    assert decide_purpose(facts, shipped).codes == ["suppressed"]
    news = _consent_purpose(policy_data)
    npur = policy_data["purposes"][news]
    before = _person(
        npur,
        _a_subject_type(npur),
        ctrl,
        purpose_key=news,
        suppressed_at=at(10),
        consents=(ConsentFact("", "given", at(20), 1, 1),),
    )
    after = _person(
        npur,
        _a_subject_type(npur),
        ctrl,
        purpose_key=news,
        suppressed_at=at(10),
        consents=(ConsentFact("", "given", at(2), 1, 1),),
    )
    assert decide_purpose(before, shipped).codes == ["suppressed"]
    assert decide_purpose(after, shipped).allowed


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["active"], None),
        (["restricted"], "restricted"),
        (["active", "restricted"], "restricted"),
        (["archived"], "archived"),
        (["archived", "erased"], "archived"),
        (["erased"], "erased"),
        (["active", "archived"], None),
    ],
)
def test_item_status(
    shipped: Policy, policy_data: dict[str, Any], statuses: list[str], expected: str | None
) -> None:
    key = next(k for k, p in policy_data["purposes"].items() if p["legal_basis"] == "contract")
    purpose = policy_data["purposes"][key]
    ctrl = purpose["controllers"][0]
    facts = PurposeFacts(
        purpose=key,
        controller=ctrl,
        today=TODAY,
        relationships=(RelationshipFact(ctrl, _a_subject_type(purpose), TODAY - dt.timedelta(days=30)),),
        items=tuple(ItemFact(ctrl, _first_category(purpose), s, TODAY) for s in statuses),
    )
    decision = decide_purpose(facts, shipped)
    assert decision.codes == ([] if expected is None else [expected])


def _years(period: str) -> int:
    match = re.fullmatch(r"P(\d+)Y", period)
    assert match, period
    return int(match.group(1))


def test_prospect_retention_from_the_policy(shipped: Policy, policy_data: dict[str, Any]) -> None:
    key = _marketing_purpose(policy_data)
    purpose = policy_data["purposes"][key]
    rule = policy_data["retention"][purpose["retention"]]
    assert rule["trigger"] == "last_interest"
    years = _years(rule["period"])
    ctrl = purpose["controllers"][0]
    interest = dt.date(TODAY.year - years, TODAY.month, TODAY.day) - dt.timedelta(
        days=1
    )  # period ended yesterday
    for last_interest, expected in ((interest, ["retention"]), (interest + dt.timedelta(days=2), [])):
        facts = PurposeFacts(
            purpose=key,
            controller=ctrl,
            today=TODAY,
            relationships=(
                RelationshipFact(ctrl, "prospect", started_on=last_interest, last_interest_on=last_interest),
            ),
            items=(ItemFact(ctrl, _first_category(purpose), "active", last_interest),),
        )
        assert decide_purpose(facts, shipped).codes == expected, last_interest


def test_special_category_needs_a_legal_requirement(policy_data: dict[str, Any]) -> None:
    data = dict(policy_data)
    special = policy_data["special_categories"][0]
    data["categories"] = {**policy_data["categories"], special: {"name": "Special", "special": True}}
    base = next(p for p in policy_data["purposes"].values() if p["legal_basis"] == "contract")
    data["purposes"] = {
        **policy_data["purposes"],
        "x-special": {**base, "categories": [special]},
        "x-special-law": {
            **base,
            "categories": [special],
            "legal_basis": "legal_obligation",
            "legal_requirement": "A law",
        },
    }
    changed = Policy.model_validate(data)
    ctrl = base["controllers"][0]
    kind = base["subject_types"][0]
    for key, expected in (("x-special", ["special-category"]), ("x-special-law", [])):
        facts = PurposeFacts(
            purpose=key,
            controller=ctrl,
            today=TODAY,
            relationships=(RelationshipFact(ctrl, kind, TODAY),),
            items=(ItemFact(ctrl, special, "active", TODAY),),
        )
        assert decide_purpose(facts, changed).codes == expected


def test_unknown_purpose_controller_and_person(shipped: Policy, policy_data: dict[str, Any]) -> None:
    d = decide_purpose(PurposeFacts(purpose="no-such-purpose", today=TODAY), shipped)
    assert not d.allowed and d.codes == ["purpose-unknown"] and "not in the policy" in d.reasons[0]
    key = next(iter(policy_data["purposes"]))
    d = decide_purpose(PurposeFacts(purpose=key, controller="nobody", today=TODAY), shipped)
    assert "controller" in d.codes
    d = decide_purpose(PurposeFacts(purpose=key, known=False, today=TODAY), shipped)
    assert not d.allowed and "unknown-person" in d.codes
    d = decide_purpose(PurposeFacts(purpose=key, erased_at=at(3), today=TODAY), shipped)
    assert d.codes[0] == "erased"


facts_strategy = st.builds(
    lambda purpose, ctrl, kinds, statuses, consents, objections, suppressed: (
        purpose,
        ctrl,
        kinds,
        statuses,
        consents,
        objections,
        suppressed,
    ),
    st.sampled_from(["newsletter", "prospecting", "member-management", "accounting", "site-security"]),
    st.sampled_from([None, "crm-asbl", "ac-cs"]),
    st.lists(
        st.sampled_from(["member", "prospect", "customer", "newsletter-subscriber", "visitor"]), max_size=3
    ),
    st.lists(st.sampled_from(["active", "restricted", "archived", "erased"]), max_size=3),
    st.lists(
        st.tuples(
            st.sampled_from(["", "crm-asbl", "ac-cs"]),
            st.sampled_from(["given", "withdrawn", "expired"]),
            st.integers(0, 30),
        ),
        max_size=4,
    ),
    st.lists(
        st.tuples(
            st.sampled_from(["", "crm-asbl", "ac-cs"]),
            st.sampled_from(["upheld", "pending", "rejected"]),
            st.integers(0, 30),
        ),
        max_size=2,
    ),
    st.one_of(st.none(), st.integers(0, 30)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=facts_strategy)
def test_invariants(shipped: Policy, policy_data: dict[str, Any], case: Any) -> None:
    purpose_key, ctrl, kinds, statuses, consents, objections, suppressed = case
    if purpose_key not in policy_data["purposes"]:
        return
    purpose = policy_data["purposes"][purpose_key]
    ctrls = [ctrl] if ctrl else purpose["controllers"]
    facts = PurposeFacts(
        purpose=purpose_key,
        controller=ctrl,
        today=TODAY,
        relationships=tuple(RelationshipFact(c, k, TODAY) for c in ctrls for k in kinds),
        items=tuple(ItemFact(c, purpose["categories"][0], s, TODAY) for c in ctrls for s in statuses),
        consents=tuple(ConsentFact(c, k, at(d), i, 1) for i, (c, k, d) in enumerate(consents)),
        objections=tuple(ObjectionFact(c, s, at(d)) for c, s, d in objections),
        suppressed_at=None if suppressed is None else at(suppressed),
    )
    decision = decide_purpose(facts, shipped)
    # allowed exactly when no reason refuses; the legal basis is named only then, and is the policy's
    assert decision.allowed == (decision.codes == [])
    assert decision.legal_basis == (purpose["legal_basis"] if decision.allowed else None)
    assert len(decision.reasons) == (len(decision.codes) if not decision.allowed else 1)
    order = [REASON_ORDER.index(c) for c in decision.codes]
    assert order == sorted(order)
    # no relationship of the purpose's subject types: never allowed
    if not set(kinds) & set(purpose["subject_types"]):
        assert not decision.allowed
    # consent basis: the latest relevant event must be a "given"
    if purpose["legal_basis"] == "consent" and decision.allowed:
        relevant = [
            (at(d), i, k)
            for i, (c, k, d) in enumerate(consents)
            if c in ("", *ctrls) and (ctrl is None or c in ("", ctrl))
        ]
        assert relevant and max(relevant)[2] == "given"
    # restricted items always refuse
    if "restricted" in statuses and set(kinds) & set(purpose["subject_types"]):
        assert "restricted" in decision.codes
