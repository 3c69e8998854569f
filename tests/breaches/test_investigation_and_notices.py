"""Investigation (§12.2), the stored assessment, the authority notification (Art. 33) and the people (Art. 34)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.breaches import facts, report
from tests.factories.subjects import SubjectFactory, email_item
from tutela.accounts.principal import CLI
from tutela.breaches.models import AuthorityNotification, SubjectNotice
from tutela.breaches.notifications import breach_notify_subjects
from tutela.breaches.selectors import breach_detail
from tutela.breaches.services import (
    breach_assess,
    breach_notify_authority,
    breach_record_investigation,
    breach_update_register,
)
from tutela.core.errors import InvalidInput, Refused

HIGH_RISK = facts(
    data_categories=["user.name", "user.contact.address", "user.demographic.date_of_birth"],
    subjects_affected=3,
    malicious=True,
    confidentiality={"lost": True, "recipient": "unknown", "exfiltrated": True},
)


def people() -> list[Any]:
    out = []
    for n, lang in enumerate(["en", "fr", "nl"]):
        s = SubjectFactory(language=lang)
        email_item(s, f"person{n}@example.org")
        out.append(s)
    return out


@pytest.mark.django_db
def test_investigation_links_people_found_in_the_register(policy: Any) -> None:
    subjects = people()
    breach = report()
    out = breach_record_investigation(
        principal=CLI,
        breach_id=breach.pk,
        nature="A spreadsheet was sent to an outside address",
        data_types=["user.name", "user.contact.email"],
        personal_data_affected=True,
        is_personal_data_breach=True,
        people_concerned=4,
        records_concerned=4,
        identifiers=[
            "person0@example.org",
            "PERSON1@example.org",
            "nobody@example.org",
            str(subjects[2].public_id),
        ],
    )
    assert (out["linked"], out["not_found"], out["subjects_found"]) == (3, 1, 3)
    detail = breach_detail(breach.pk, principal=CLI)
    assert detail["investigation"]["is_personal_data_breach"] is True
    assert detail["investigation"]["subjects_found"] == 3
    assert detail["status"] == "investigating"
    with pytest.raises(InvalidInput) as exc:
        breach_record_investigation(
            principal=CLI, breach_id=breach.pk, data_types=["user.name", "user.bogus"]
        )
    assert exc.value.errors[0].field == "data_types[1]"


@pytest.mark.django_db
def test_assessment_is_stored_with_facts_and_rules_version(policy: Any) -> None:
    breach = report()
    row = breach_assess(principal=CLI, breach_id=breach.pk, facts=HIGH_RISK)
    assert row.facts == HIGH_RISK and row.rules_version
    detail = breach_detail(breach.pk, principal=CLI)
    assert detail["notify_authority"] is True and detail["notify_subjects"] is True
    assert detail["assessments"][0]["facts"] == HIGH_RISK
    with pytest.raises(InvalidInput) as exc:
        breach_assess(
            principal=CLI,
            breach_id=breach.pk,
            facts={"data_categories": ["user.x"], "subjects_affected": 1, "malicious": False},
        )
    assert exc.value.errors[0].field == "data_categories[0]"


@pytest.mark.django_db
def test_not_notified_breach_keeps_its_reason(policy: Any) -> None:
    breach = report()
    breach_assess(
        principal=CLI,
        breach_id=breach.pk,
        facts=facts(confidentiality={"lost": True, "recipient": "trusted", "exfiltrated": False}),
    )
    detail = breach_detail(breach.pk, principal=CLI)
    assert detail["notify_authority"] is False
    assert "unlikely to result in a risk" in detail["register"]["not_notified_reason"]
    assert detail["clocks"]["authority"]["state"] == "not_required"


@pytest.mark.django_db
def test_authority_notification_has_the_art_33_3_content_in_phases(
    policy: Any, policy_data: dict[str, Any]
) -> None:
    breach = report(people_concerned=3)
    breach_assess(principal=CLI, breach_id=breach.pk, facts=HIGH_RISK)
    first = breach_notify_authority(principal=CLI, breach_id=breach.pk)
    content = first.content
    assert content["dpo"]["email"] == policy_data["dpo"]["email"]
    assert content["dpo"]["name"] == policy_data["dpo"]["name"]
    assert content["approximate_people"] == 3
    assert content["categories_of_data"]
    assert "measures taken" in content["to_follow"]
    for part in (
        "(a) Nature",
        "(b) Data protection officer",
        "(c) Likely consequences",
        "(d) Measures taken",
    ):
        assert part in first.text
    with pytest.raises(Refused):
        breach_notify_authority(principal=CLI, breach_id=breach.pk)  # the initial one exists
    breach_update_register(
        principal=CLI, breach_id=breach.pk, measures_taken="Laptop wiped remotely; police informed."
    )
    second = breach_notify_authority(
        principal=CLI, breach_id=breach.pk, phase="follow_up", additional="Forensic report attached."
    )
    assert second.number == 2 and "Laptop wiped remotely" in second.text
    assert "measures taken" not in second.content["to_follow"]
    assert AuthorityNotification.objects.filter(breach=breach).count() == 2


@pytest.mark.django_db(transaction=True)
def test_people_are_told_by_email_in_their_language(policy: Any, smtp_server: Any) -> None:
    subjects = people()
    no_email = SubjectFactory(language="fr")
    breach = report()
    breach_record_investigation(
        principal=CLI,
        breach_id=breach.pk,
        identifiers=["person0@example.org", "person1@example.org", "person2@example.org"],
    )
    from tutela.breaches.models import BreachSubject

    BreachSubject.objects.create(breach=breach, subject=no_email)  # found by name, but no e-mail address
    breach_assess(principal=CLI, breach_id=breach.pk, facts=HIGH_RISK)
    smtp_server.messages.clear()
    comm = breach_notify_subjects(principal=CLI, breach_id=breach.pk)
    assert comm.channel == "email" and comm.total == 4
    mails = smtp_server.wait_for(3)
    by_to = {m["To"]: m for m in mails}
    assert set(by_to) == {"person0@example.org", "person1@example.org", "person2@example.org"}
    assert "security incident" in by_to["person0@example.org"]["Subject"]
    assert "incident de sécurité" in by_to["person1@example.org"]["Subject"]
    assert "beveiligingsincident" in by_to["person2@example.org"]["Subject"]
    body = by_to["person0@example.org"].get_body(("plain",)).get_content()
    assert policy.dpo.email in body
    states = dict(SubjectNotice.objects.values_list("subject_id", "state"))
    assert states[no_email.pk] == "no_address"
    assert [states[s.pk] for s in subjects] == ["sent"] * 3


@pytest.mark.django_db
def test_public_notice_when_nobody_can_be_reached(policy: Any) -> None:
    breach = report()
    with pytest.raises(Refused):
        breach_notify_subjects(principal=CLI, breach_id=breach.pk)  # not assessed yet
    breach_assess(principal=CLI, breach_id=breach.pk, facts=HIGH_RISK)
    comm = breach_notify_subjects(principal=CLI, breach_id=breach.pk)
    assert comm.channel == "public_notice"
    assert set(comm.texts) == {"en", "fr", "nl"}


@pytest.mark.django_db
def test_policy_special_categories_count_as_sensitive(policy: Any, policy_data: dict[str, Any]) -> None:
    # a key the policy adds under a fideslang parent and marks special (Art. 9), e.g. trade-union membership
    custom = [
        k for k, v in policy_data["categories"].items() if v.get("special") and v.get("fideslang_parent")
    ]
    assert custom
    breach = report()
    row = breach_assess(
        principal=CLI,
        breach_id=breach.pk,
        facts=facts(
            data_categories=["user.name", custom[0]],
            subjects_affected=2,
            confidentiality={"lost": True, "recipient": "known", "exfiltrated": False},
        ),
    )
    assert row.result["dpc"] == 4 and row.result["notify_subjects"] is True


@pytest.mark.django_db
def test_an_incident_without_personal_data_stays_in_the_register_with_the_reason(policy: Any) -> None:
    breach = report(description="A server room door was left open overnight; no data accessed.")
    breach_record_investigation(
        principal=CLI, breach_id=breach.pk, personal_data_affected=False, is_personal_data_breach=False
    )
    detail = breach_detail(breach.pk, principal=CLI)
    assert detail["notify_authority"] is False and detail["notify_subjects"] is False
    assert "not a personal-data breach" in detail["register"]["not_notified_reason"]
    assert detail["clocks"]["authority"]["state"] == "not_required"


@pytest.mark.django_db(transaction=True)
def test_failed_notices_are_sent_again(policy: Any, smtp_server: Any, settings: Any) -> None:
    from tutela.breaches.notifications import breach_notices_retry

    people()
    breach = report()
    breach_record_investigation(
        principal=CLI, breach_id=breach.pk, identifiers=["person0@example.org", "person1@example.org"]
    )
    breach_assess(principal=CLI, breach_id=breach.pk, facts=HIGH_RISK)
    smtp_server.messages.clear()
    real_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there: every send fails
    breach_notify_subjects(principal=CLI, breach_id=breach.pk)
    assert set(SubjectNotice.objects.values_list("state", flat=True)) == {"failed"}
    settings.EMAIL_PORT = real_port
    breach_notices_retry(principal=CLI, breach_id=breach.pk)
    assert len(smtp_server.wait_for(2)) == 2
    assert set(SubjectNotice.objects.values_list("state", flat=True)) == {"sent"}
