"""Authorization in the domain: staff of one entity act only for their own entity and their own people.

Regression tests for issue 15 §1 (register, consent, objections, disclosures). Two entities of the group,
``crm-asbl`` (A) and ``ac-cs`` (B). Each test builds who holds whom through the register's services, then
acts as A's staff through a service or the API, and checks what A may do and see against the fixture's
facts (not against what the code under test computes).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.factories.consent import person
from tutela.accounts.principal import PUBLIC, SYSTEM, Principal
from tutela.consent.models import ConsentEvent, Objection
from tutela.core.audit import set_actor
from tutela.core.errors import NotFound, PermissionDenied
from tutela.core.models import AuditEntry
from tutela.subjects.models import DataItem, Relationship
from tutela.subjects.scoping import visible_subjects

pytestmark = pytest.mark.django_db

A, B = "crm-asbl", "ac-cs"
STAFF_A = Principal(actor="user:anna", role="staff", controller=A)
STAFF_B = Principal(actor="user:bert", role="staff", controller=B)


def _b_only(email: str = "only.b@example.com", kind: str = "prospect") -> Any:
    """Someone only entity B holds (an item and a relationship of B, nothing of A)."""
    from tutela.core import clock

    return person(email, subject_type=kind, controller=B, last_interest_on=clock.today())


def _shared(email: str = "both@example.com") -> Any:
    """Someone both entities hold as a prospect, each with their own e-mail item and relationship."""
    from tutela.core import clock
    from tutela.subjects.services import item_add, relationship_set

    someone = person(email, subject_type="prospect", controller=A, last_interest_on=clock.today())
    relationship_set(
        subject=someone.pk, controller=B, kind="prospect", last_interest_on=clock.today(), principal=SYSTEM
    )
    item_add(
        subject=someone.pk,
        controller=B,
        category="user.contact.email",
        value=f"b.{email}",
        source="direct",
        subject_type="prospect",
        principal=SYSTEM,
    )
    return someone


def _token_client(role: str, controller: str = "") -> Client:
    from tutela.accounts.principal import CLI
    from tutela.accounts.services import staff_create, token_create

    user, _ = staff_create(
        principal=CLI,
        username=f"{role}-{controller or 'all'}",
        email="x@crmgroup.be",
        role=role,
        controller=controller,
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(principal=CLI, user=user, name='test')}")


# ---------------------------------------------------------------- consent for the other entity's people


def test_staff_cannot_give_consent_for_someone_only_the_other_entity_holds(policy: Any) -> None:
    from tutela.consent.services import consent_give

    theirs = _b_only()
    assert theirs.pk not in set(visible_subjects(STAFF_A).values_list("pk", flat=True))
    with pytest.raises(NotFound):
        consent_give(subject_id=theirs.pk, purpose="newsletter", principal=STAFF_A)
    with pytest.raises(PermissionDenied):
        consent_give(subject_id=theirs.pk, purpose="newsletter", controller=B, principal=STAFF_A)
    # nothing recorded, and the person was not pulled into A's view by a subscription relationship
    assert not ConsentEvent.objects.filter(subject=theirs).exists()
    assert not Relationship.objects.filter(subject=theirs, controller=A).exists()
    assert theirs.pk not in set(visible_subjects(STAFF_A).values_list("pk", flat=True))


def test_consent_api_answers_404_for_the_other_entitys_people(policy: Any) -> None:
    theirs = _b_only()
    staff_a = _token_client("staff", A)
    r = staff_a.post(
        "/api/v1/consent/give",
        {"subject_id": theirs.pk, "purpose": "newsletter"},
        content_type="application/json",
    )
    assert r.status_code == 404, r.content
    r = staff_a.post(
        "/api/v1/consent/give",
        {"identifier": "only.b@example.com", "purpose": "newsletter"},
        content_type="application/json",
    )
    assert r.status_code == 404, r.content
    assert not ConsentEvent.objects.filter(subject=theirs).exists()


def test_staff_consent_on_a_shared_person_is_their_own_entitys(policy: Any) -> None:
    from tutela.consent.services import consent_give

    both = _shared()
    event = consent_give(subject_id=both.pk, purpose="newsletter", principal=STAFF_A)
    assert event.controller == A  # never "" (every entity) for one entity's staff
    assert event.recorded_by == "user:anna"


# ---------------------------------------------------------------- objections


def _prospecting_allowed(identifier: str, controller: str) -> bool:
    from tutela.consent.checks import purpose_check

    return purpose_check(identifier=identifier, purpose="prospecting", controller=controller).allowed


def test_staff_cannot_object_for_the_other_entitys_people_nor_stop_its_processing(policy: Any) -> None:
    from tutela.consent.objections import objection_register

    theirs = _b_only()
    assert _prospecting_allowed("only.b@example.com", B)
    with pytest.raises(NotFound):
        objection_register(subject_id=theirs.pk, purpose="prospecting", principal=STAFF_A)
    with pytest.raises(PermissionDenied):
        objection_register(subject_id=theirs.pk, purpose="prospecting", controller=B, principal=STAFF_A)
    assert not Objection.objects.filter(subject=theirs).exists()
    assert _prospecting_allowed("only.b@example.com", B)


def test_an_objection_by_one_entitys_staff_stops_that_entitys_processing_only(policy: Any) -> None:
    from tutela.consent.objections import objection_register

    both = _shared()
    assert _prospecting_allowed("both@example.com", A) and _prospecting_allowed("both@example.com", B)
    obj = objection_register(subject_id=both.pk, purpose="prospecting", principal=STAFF_A)
    assert obj.controller == A and obj.status == "upheld"
    assert not _prospecting_allowed("both@example.com", A)
    assert _prospecting_allowed("both@example.com", B)
    assert _prospecting_allowed("b.both@example.com", B)


def test_objection_api_answers_404_for_the_other_entitys_people(policy: Any) -> None:
    theirs = _b_only()
    r = _token_client("staff", A).post(
        "/api/v1/consent/objections",
        {"subject_id": theirs.pk, "purpose": "prospecting"},
        content_type="application/json",
    )
    assert r.status_code == 404, r.content
    assert not Objection.objects.filter(subject=theirs).exists()
    assert _prospecting_allowed("only.b@example.com", B)


# ---------------------------------------------------------------- consent evidence on a shared person


def _evidence_of(body: dict[str, Any]) -> set[str]:
    return {c.get("evidence", "") for c in body["consents"]}


def test_the_other_entitys_consent_evidence_is_invisible_on_a_shared_person(policy: Any) -> None:
    from tutela.consent.services import consent_give

    both = _shared()
    consent_give(
        subject_id=both.pk, purpose="newsletter", controller=A, evidence="form A-17", principal=SYSTEM
    )
    consent_give(
        subject_id=both.pk, purpose="partner-promotion", controller=B, evidence="form B-99", principal=SYSTEM
    )
    staff_a, staff_b, dpo = _token_client("staff", A), _token_client("staff", B), _token_client("dpo")
    for path in (f"/api/v1/subjects/{both.pk}", f"/api/v1/subjects/{both.public_id}"):
        mine = staff_a.get(path)
        assert mine.status_code == 200, mine.content
        assert _evidence_of(mine.json()) == {"form A-17"}
        assert "form B-99" not in mine.content.decode() and "partner-promotion" not in mine.content.decode()
        assert _evidence_of(staff_b.get(path).json()) == {"form B-99"}
        assert _evidence_of(dpo.get(path).json()) == {"form A-17", "form B-99"}


def test_subject_read_scopes_consents_and_objections_through_the_service(policy: Any) -> None:
    from tutela.consent.objections import objection_register
    from tutela.subjects.reading import subject_read

    both = _shared()
    objection_register(subject_id=both.pk, purpose="prospecting", principal=STAFF_B)
    seen_by_a = subject_read(STAFF_A, both.pk, channel="test")
    assert seen_by_a["consents"] == []
    seen_by_b = subject_read(STAFF_B, both.pk, channel="test")
    assert [(c["type"], c["controller"]) for c in seen_by_b["consents"]] == [("objection", B)]
    assert {r["controller"] for r in seen_by_a["relationships"]} == {A}
    assert {i["controller"] for i in seen_by_a["items"]} == {A}


# ---------------------------------------------------------------- items and disclosures


def test_staff_cannot_add_data_about_someone_only_the_other_entity_holds(policy: Any) -> None:
    from tutela.subjects.services import interaction_record, item_add

    theirs = _b_only()
    with pytest.raises(NotFound):
        item_add(
            subject=theirs.pk,
            controller=A,
            category="user.contact.email",
            value="pulled.in@example.com",
            source="direct",
            subject_type="prospect",
            principal=STAFF_A,
        )
    with pytest.raises(NotFound):
        interaction_record(subject=theirs.pk, controller=A, kind="event", principal=STAFF_A)
    assert not DataItem.objects.filter(subject=theirs, controller=A).exists()


def test_the_auditor_and_the_public_change_nothing_in_the_register(policy: Any) -> None:
    from tutela.subjects.services import subject_create

    for who in (Principal(actor="user:audrey", role="auditor"), PUBLIC):
        with pytest.raises(PermissionDenied):
            subject_create(language="en", principal=who)


def test_a_disclosure_of_the_other_entitys_people_answers_not_found(policy: Any) -> None:
    from tutela.recipients.disclosures import disclosure_create
    from tutela.recipients.models import Disclosure

    theirs = _b_only()
    with pytest.raises(NotFound):
        disclosure_create(
            principal=STAFF_A,
            recipient_key="nobody-needed",
            purpose="prospecting",
            controller=A,
            subject_ids=[theirs.pk],
        )
    assert not Disclosure.objects.exists()


# ---------------------------------------------------------------- the audit actor is the principal's


def test_audit_entries_name_the_principal_not_whoever_acted_before(policy: Any) -> None:
    from tutela.consent.services import consent_give

    both = _shared()
    set_actor("user:dpo")  # what a previous request left behind
    consent_give(subject_id=both.pk, purpose="newsletter", principal=STAFF_A)
    entry = AuditEntry.objects.filter(action="consent.give").latest("seq")
    assert entry.actor == "user:anna"
    rel = AuditEntry.objects.filter(action="relationship.set").latest("seq")
    assert rel.actor == "user:anna"


def test_a_public_subscription_is_logged_as_anonymous_whatever_the_context(
    policy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from tutela.consent.newsletter import newsletter_subscribe

    set_actor("user:dpo")
    with django_capture_on_commit_callbacks(execute=True):
        newsletter_subscribe(email="fresh@example.com", principal=PUBLIC)
    entry = AuditEntry.objects.filter(action="newsletter.subscribe").latest("seq")
    assert entry.actor == "anonymous"
    json.dumps(entry.payload)  # nothing but plain data in the payload


# ---------------------------------------------------------------- the CLI: the operator, named


def test_the_cli_records_and_reads_as_the_operator(
    cli: Any, register_policy_file: Any, tmp_path: Any
) -> None:
    env = {"TUTELA_POLICY_FILE": str(register_policy_file)}
    assert cli("init", env=env).returncode == 0
    source = tmp_path / "members.csv"
    source.write_text("email,last_name\ncli.person@example.be,Peeters\n", encoding="utf-8")
    imported = cli(
        "import", str(source), "--controller", "crm-asbl", "--subject-type", "member", "--source", "direct"
    )
    assert imported.returncode == 0, imported.stderr
    given = cli(
        "consent",
        "give",
        "cli.person@example.be",
        "--purpose",
        "newsletter",
        "--controller",
        "ac-cs",
        "--json",
    )
    assert given.returncode == 0, given.stderr
    history = cli("consent", "history", "cli.person@example.be", "--json").json()["consents"]
    assert [(e["controller"], e["recorded_by"][:4]) for e in history] == [("ac-cs", "cli:")]
    shown = cli("subject", "show", "cli.person@example.be", "--json").json()
    assert [c["controller"] for c in shown["consents"]] == ["ac-cs"]  # the operator sees the whole group


def test_an_identifier_of_the_other_entitys_person_finds_nobody(policy: Any) -> None:
    """No answer tells one entity's staff that the other entity holds someone (not even the person's id)."""
    theirs = _b_only()
    staff_a = _token_client("staff", A)
    for path, body in (
        ("/api/v1/consent/give", {"identifier": "only.b@example.com", "purpose": "newsletter"}),
        ("/api/v1/consent/objections", {"identifier": "only.b@example.com", "purpose": "prospecting"}),
    ):
        r = staff_a.post(path, body, content_type="application/json")
        assert r.status_code == 404, r.content
        assert f"id {theirs.pk}" not in r.content.decode()
        assert (
            r.json()
            == staff_a.post(
                path, {**body, "identifier": "nobody.at.all@example.com"}, content_type="application/json"
            ).json()
        )
    from tutela.core.errors import InvalidInput
    from tutela.recipients.subjects_input import resolve_all

    with pytest.raises(InvalidInput) as refused:
        resolve_all([("only.b@example.com", None)], principal=STAFF_A)
    assert "finds nobody" in str(refused.value.errors[0])
    assert resolve_all([("only.b@example.com", None)], principal=STAFF_B) == [theirs.pk]
