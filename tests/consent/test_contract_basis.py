"""Issue 16: the legal basis follows the relationship. A contract purpose holds only while the contract
runs; afterwards the data serve only the purposes they are kept for (accounting, claims)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.factories.retention import person_with
from tutela.consent.rules import ItemFact, PurposeFacts, RelationshipFact, decide_purpose
from tutela.policy.schema import Policy

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def shipped(policy_data: dict[str, Any]) -> Policy:
    return Policy.model_validate(policy_data)


def _member(purpose: str, ended_on: dt.date | None, *, kind: str = "member") -> PurposeFacts:
    return PurposeFacts(
        purpose=purpose,
        controller="crm-asbl",
        today=TODAY,
        relationships=(RelationshipFact("crm-asbl", kind, dt.date(2005, 1, 1), ended_on),),
        items=(
            ItemFact("crm-asbl", "user.name", "active", dt.date(2005, 1, 1)),
            ItemFact("crm-asbl", "user.contact.address", "active", dt.date(2005, 1, 1)),
        ),
    )


def test_member_management_is_refused_once_the_membership_ended(shipped: Policy) -> None:
    # the case: membership ended nine years ago (the member rule still keeps the data a year)
    decision = decide_purpose(_member("member-management", dt.date(2017, 11, 1)), shipped)
    assert not decision.allowed
    assert decision.codes == ["contract-ended"]
    assert "2017-11-01" in decision.reasons[0]


def test_the_contract_basis_holds_while_the_contract_runs(shipped: Policy) -> None:
    assert decide_purpose(_member("member-management", None), shipped).allowed
    # an end in the future: still running
    assert decide_purpose(_member("member-management", TODAY + dt.timedelta(days=1)), shipped).allowed
    # the day it ends, it no longer runs (as for retention)
    assert decide_purpose(_member("member-management", TODAY), shipped).codes == ["contract-ended"]


def test_the_retention_purposes_still_hold_after_the_contract(shipped: Policy) -> None:
    # accounting is a legal obligation: it does not follow the contract
    decision = decide_purpose(_member("accounting", dt.date(2017, 11, 1)), shipped)
    assert decision.allowed and decision.legal_basis == "legal_obligation"


def test_a_relationship_that_is_no_contract_keeps_a_pre_contractual_basis(shipped: Policy) -> None:
    # service information (contract basis) for a prospect: pre-contractual measures at their request
    facts = PurposeFacts(
        purpose="service-information",
        controller="crm-asbl",
        today=TODAY,
        relationships=(
            RelationshipFact("crm-asbl", "member", dt.date(2005, 1, 1), dt.date(2017, 11, 1)),
            RelationshipFact("crm-asbl", "prospect", None, None, dt.date(2026, 10, 1)),
        ),
        items=(ItemFact("crm-asbl", "user.name", "active", dt.date(2026, 10, 1)),),
    )
    assert decide_purpose(facts, shipped).allowed


@pytest.mark.django_db
def test_the_facts_from_the_database_give_the_same_answer(policy: Any) -> None:
    """Both fact paths: the ORM (SQLite, batches) and the one statement of PostgreSQL."""
    from django.db import connection

    from tutela.consent.selectors import gather_facts

    ended, _ = person_with(
        kind="member",
        purposes=["member-management", "accounting"],
        collected_on=dt.date(2010, 1, 1),
        ended_on=dt.date(2017, 11, 1),
    )
    running, _ = person_with(
        kind="member", purposes=["member-management", "accounting"], collected_on=dt.date(2010, 1, 1)
    )
    for purpose, person, allowed in (
        ("member-management", ended, False),
        ("member-management", running, True),
        ("accounting", ended, True),
    ):
        facts = gather_facts([person.pk], purpose, "crm-asbl", today=TODAY)[person.pk]
        assert decide_purpose(facts, policy).allowed is allowed, (purpose, person.pk)
        if connection.vendor == "postgresql":
            from tutela.consent.facts_pg import gather_one_statement

            pg, _, _ = gather_one_statement(
                purpose=purpose, controller="crm-asbl", today=TODAY, ids=[person.pk]
            )
            assert pg[person.pk] == facts


def test_the_purpose_check_through_the_cli(cli: Any, tmp_path: Any) -> None:
    assert cli("init").returncode == 0
    members = tmp_path / "members.csv"
    members.write_text(
        "email,first_name,last_name,contract_start,contract_end\n"
        "former@example.org,Fien,Claes,2005-01-01,2017-11-01\n"
        "current@example.org,Cas,Peeters,2019-03-01,\n",
        encoding="utf-8",
    )
    r = cli(
        "import", str(members), "--controller", "crm-asbl", "--subject-type", "member", "--source", "direct",
        "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    r = cli("purpose", "check", "former@example.org", "--purpose", "member-management", "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "contract-ended" in r.json()["codes"]
    r = cli("purpose", "check", "current@example.org", "--purpose", "member-management", "--json")
    assert r.returncode == 0, r.stdout
    r = cli("purpose", "check", "former@example.org", "--purpose", "accounting", "--json")
    assert r.returncode == 0, r.stdout
