"""The breach register (§12.3): every breach, its lessons and changes, exported safely as CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from tests.factories.breaches import facts, report
from tutela.accounts.principal import CLI
from tutela.breaches.selectors import csv_safe, register_export
from tutela.breaches.services import (
    breach_add_change,
    breach_add_event,
    breach_assess,
    breach_change_update,
    breach_dpo_review,
    breach_notify_authority,
    breach_update_register,
)
from tutela.core.errors import InvalidInput, Refused


@pytest.mark.django_db
def test_register_holds_every_breach_with_its_lessons(policy: Any) -> None:
    notified = report(summary='=HYPERLINK("http://evil")')
    breach_assess(
        principal=CLI,
        breach_id=notified.pk,
        facts=facts(
            malicious=True, confidentiality={"lost": True, "recipient": "unknown", "exfiltrated": True}
        ),
    )
    breach_notify_authority(principal=CLI, breach_id=notified.pk)
    breach_update_register(
        principal=CLI,
        breach_id=notified.pk,
        main_cause="Phishing mail opened by an employee",
        contributing_factors="+no MFA on the mailbox",
        responses="Password reset; mailbox rules removed",
        recommendations="MFA for all staff",
        lessons_learned="-Train staff on phishing",
    )
    breach_add_event(principal=CLI, breach_id=notified.pk, text="@SUM(1+1) forensic firm engaged")
    change = breach_add_change(principal=CLI, breach_id=notified.pk, description="Enable MFA", owner="IT")
    breach_change_update(principal=CLI, change_id=change.pk, state="implemented")
    breach_dpo_review(principal=CLI, breach_id=notified.pk, text="Follow-up adequate.", close=True)

    quiet = report(summary="Letter to a trusted notary")
    breach_assess(
        principal=CLI,
        breach_id=quiet.pk,
        facts=facts(confidentiality={"lost": True, "recipient": "trusted", "exfiltrated": False}),
    )

    data = json.loads(register_export("json", principal=CLI))
    assert data["count"] == 2
    by_id = {b["id"]: b for b in data["breaches"]}
    n = by_id[notified.pk]
    assert n["main_cause"].startswith("Phishing") and n["status"] == "closed"
    assert n["recommended_changes"][0]["state"] == "implemented"
    assert n["dpo_review"] == "Follow-up adequate."
    assert [e["kind"] for e in n["chronology"]][:2] == ["detected", "reported"]
    q = by_id[quiet.pk]
    assert q["notify_authority"] is False and q["not_notified_reason"]

    rows = list(csv.DictReader(io.StringIO(register_export("csv", principal=CLI))))
    assert len(rows) == 2
    row = next(r for r in rows if r["id"] == str(notified.pk))
    assert row["summary"].startswith("'=")
    assert row["contributing_factors"].startswith("'+")
    assert row["lessons_learned"].startswith("'-")
    for r in rows:
        for value in r.values():
            assert not value.startswith(("=", "+", "-", "@")), value


def test_csv_safe() -> None:
    assert csv_safe("=1+1") == "'=1+1"
    assert csv_safe("@cmd") == "'@cmd"
    assert csv_safe("\tx") == "'\tx"
    assert csv_safe("plain") == "plain"
    assert csv_safe(None) == "" and csv_safe(True) == "yes"


@pytest.mark.django_db
def test_closing_needs_a_decision_and_its_follow_through(policy: Any) -> None:
    breach = report()
    with pytest.raises(Refused):
        breach_dpo_review(principal=CLI, breach_id=breach.pk, text="done", close=True)  # not assessed
    breach_assess(
        principal=CLI,
        breach_id=breach.pk,
        facts=facts(
            malicious=True, confidentiality={"lost": True, "recipient": "unknown", "exfiltrated": True}
        ),
    )
    with pytest.raises(Refused):
        breach_dpo_review(
            principal=CLI, breach_id=breach.pk, text="done", close=True
        )  # authority not yet notified
    with pytest.raises(InvalidInput):
        breach_update_register(principal=CLI, breach_id=breach.pk, colour="red")


@pytest.mark.django_db
def test_the_group_decides_with_a_reason(policy: Any) -> None:
    from tutela.breaches.selectors import breach_detail
    from tutela.breaches.services import breach_decide

    breach = report()
    breach_assess(
        principal=CLI,
        breach_id=breach.pk,
        facts=facts(
            malicious=True, confidentiality={"lost": True, "recipient": "unknown", "exfiltrated": True}
        ),
    )
    with pytest.raises(InvalidInput):
        breach_decide(
            principal=CLI, breach_id=breach.pk, notify_authority=False, notify_subjects=False, reason=" "
        )
    with pytest.raises(InvalidInput):
        breach_decide(
            principal=CLI, breach_id=breach.pk, notify_authority=False, notify_subjects=True, reason="x"
        )
    breach_decide(
        principal=CLI,
        breach_id=breach.pk,
        notify_authority=False,
        notify_subjects=False,
        reason="The file held only test records of staff volunteers.",
    )
    detail = breach_detail(breach.pk, principal=CLI)
    assert detail["notify_authority"] is False
    assert detail["register"]["not_notified_reason"].startswith("The file held only test records")
    assert any(e["kind"] == "decision" for e in detail["register"]["chronology"])
    breach_dpo_review(principal=CLI, breach_id=breach.pk, text="Decision documented.", close=True)
