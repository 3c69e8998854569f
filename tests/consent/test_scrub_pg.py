"""On PostgreSQL a scrub gathers each chunk's facts in two statements (``tutela.consent.scrub_pg``); the
decisions made from them must be those made from the portable selectors, for every purpose and controller."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from tests.factories.consent import person
from tutela.accounts.principal import SYSTEM
from tutela.consent import services
from tutela.consent.contacts import fast_blind_index, normalise_contact
from tutela.consent.objections import objection_register
from tutela.consent.scrub import _Decider
from tutela.consent.scrub_pg import chunk_facts
from tutela.core import clock
from tutela.policy.selectors import active_policy
from tutela.subjects.models import DataItem, Subject

pytestmark = pytest.mark.django_db


def _lookup(raw: str) -> str:
    found = normalise_contact(raw)
    assert found is not None
    return fast_blind_index(*found)


def _population() -> list[str]:
    """People in every state a decision tells apart; returns the identifiers of a list to scrub."""
    policy = active_policy()
    today = clock.today()
    emails: list[str] = []

    def someone(email: str, **kwargs: Any) -> Subject:
        emails.append(email)
        return person(email, **kwargs)

    someone("plain@example.com", phone="+32 470 10 10 10")
    given = someone("given@example.com", subject_type="member")
    services.consent_give(principal=SYSTEM, subject_id=given.pk, purpose="newsletter")
    withdrawn = someone("withdrawn@example.com", subject_type="customer")
    services.consent_give(principal=SYSTEM, subject_id=withdrawn.pk, purpose="newsletter")
    services.consent_withdraw(
        principal=SYSTEM, subject_id=withdrawn.pk, purpose="newsletter", controller="crm-asbl"
    )
    other = someone("other@example.com", subject_type="member", controller="ac-cs")
    services.consent_give(principal=SYSTEM, subject_id=other.pk, purpose="newsletter", controller="ac-cs")
    objector = someone("objector@example.com", source="public-web")
    objection_register(principal=SYSTEM, subject_id=objector.pk, purpose="prospecting")
    reasons = next(k for k, p in policy.purposes.items() if p.objection_rule() == "reasons")
    pending = someone("pending@example.com", subject_type="member")
    objection_register(principal=SYSTEM, subject_id=pending.pk, purpose=reasons, reasons="my situation")
    # one address, two people: one may be contacted, the other objected (for ac-cs only)
    someone("shared@example.com", source="public-web")
    twin = person("shared@example.com", source="data-provider", controller="ac-cs")
    objection_register(principal=SYSTEM, subject_id=twin.pk, purpose="prospecting", controller="ac-cs")
    erased = someone("erased@example.com", subject_type="member")
    Subject.objects.filter(pk=erased.pk).update(erased_at=clock.now() - dt.timedelta(days=3))
    for status in ("restricted", "archived", "erased"):
        who = someone(f"{status}@example.com", subject_type="member")
        DataItem.objects.filter(subject_id=who.pk).exclude(category="user.contact.email").update(
            status=status
        )
    # restricted items whose category only a prefix match (or no match) ties to a purpose's categories
    nested = someone("nested@example.com", subject_type="prospect", source="public-web")
    DataItem.objects.filter(subject_id=nested.pk, category="user.name").update(
        category="user.name.title", status="restricted"
    )
    unrelated = someone("unrelated@example.com", subject_type="member")
    DataItem.objects.filter(subject_id=unrelated.pk, category="user.name").update(
        category="user.namesake", status="restricted"
    )
    someone("supplier@example.com", subject_type="supplier")
    someone(
        "stale@example.com",
        source="public-web",
        started_on=today - dt.timedelta(days=900),
        last_interest_on=today - dt.timedelta(days=800),
    )
    suppressed = someone("suppressed@example.com", subject_type="member")
    services.consent_give(principal=SYSTEM, subject_id=suppressed.pk, purpose="newsletter")
    for purpose in ("newsletter", "prospecting"):
        services.suppression_add(
            principal=SYSTEM,
            purpose=purpose,
            reason="objection",
            identifiers_raw=[("email", "suppressed@example.com")],
        )
        services.suppression_add(
            principal=SYSTEM,
            purpose=purpose,
            reason="objection",
            controller="ac-cs",
            identifiers_raw=[("email", "gone@example.com"), ("phone", "+32 470 99 99 99")],
        )
    return [*emails, "gone@example.com", "+32 470 99 99 99", "+32 470 10 10 10", "nobody@example.net"]


def test_chunk_facts_decide_as_the_selectors_do(policy: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the two-statement path exists on PostgreSQL only; SQLite scrubs through the selectors")
    identifiers = _population()
    lookups = list(dict.fromkeys(_lookup(raw) for raw in identifiers))
    policy_now = active_policy()
    compared = 0
    for purpose in policy_now.purposes:
        for controller in (None, *policy_now.purposes[purpose].controllers):
            decider = _Decider(policy_now, purpose, controller)
            portable = decider.combine(lookups, decider.gather(lookups))
            fast = decider.combine(
                lookups, chunk_facts(lookups, purpose, controller, policy_now, decider.today)
            )
            assert {lk: d.as_dict() for lk, d in fast.items()} == {
                lk: d.as_dict() for lk, d in portable.items()
            }, (purpose, controller)
            compared += len(lookups)
    # the population is varied enough to matter: refusals of many kinds and some allowed uses
    decider = _Decider(policy_now, "newsletter", None)
    codes = {d.codes[0] if d.codes else "allowed" for d in decider.decide(lookups).values()}
    assert {"allowed", "withdrawn", "erased", "suppressed", "unknown-person", "no-consent"} <= codes
    assert compared > 100
