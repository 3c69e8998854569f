"""The archive opens only on a stated ground, for users with archive access, and every opening is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tests.factories.retention import person_with
from tests.factories.subjects import sealed_item
from tutela.accounts.principal import CLI, SYSTEM
from tutela.accounts.services import staff_create, token_create
from tutela.core.audit import audit_verify
from tutela.core.errors import InvalidInput, NotFound, Refused
from tutela.core.models import AuditEntry
from tutela.retention.selectors import (
    held_item_ids,
    holds_for_subject,
    is_held,
    retention_summary_for_subject,
)
from tutela.retention.services import legal_hold_place, legal_hold_release
from tutela.retention.sweep import retention_sweep

D = dt.date


@pytest.fixture
def archived(policy: Any, frozen: Any) -> Any:
    subject, items = person_with(
        kind="member",
        purposes=["member-management", "accounting"],
        collected_on=D(2010, 1, 1),
        # member rule over on 30 June 2026; the books of 2016 stay in the archive until 1 January 2027
        ended_on=D(2016, 6, 30),
        items=1,
    )
    iban = sealed_item(
        subject,
        "user.financial.bank_account",
        "iban",
        "BE71 0961 2345 6769",
        purposes=["accounting"],
        collected_at=items[0].collected_at,
    )
    assert retention_sweep(principal=SYSTEM).as_dict()["archived"] == 2
    return subject, [*items, iban]


def _token(role: str, archive: bool) -> str:
    user, _ = staff_create(
        principal=CLI,
        username=f"{role}-{archive}",
        email=f"{role}@example.org",
        role=role,
        archive_access=archive,
    )
    return token_create(principal=CLI, user=user, name="test")


@pytest.mark.django_db
def test_archive_opens_with_a_ground_for_archive_users_only(archived: Any) -> None:
    subject, items = archived
    client = Client()
    allowed = {"HTTP_AUTHORIZATION": "Bearer " + _token("privacy_officer", True)}
    refused = {"HTTP_AUTHORIZATION": "Bearer " + _token("auditor", False)}
    body = {"subject_id": subject.pk, "ground": "court", "reference": "RG 2026/1234"}

    no = client.post("/api/v1/retention/archive/open", body, content_type="application/json", **refused)
    assert no.status_code == 403
    assert not AuditEntry.objects.filter(action="retention.archive.open").exists()

    no_ground = client.post(
        "/api/v1/retention/archive/open",
        {**body, "ground": "curiosity"},
        content_type="application/json",
        **allowed,
    )
    assert no_ground.status_code == 400
    assert any(e["field"] == "ground" for e in no_ground.json()["errors"])

    ok = client.post("/api/v1/retention/archive/open", body, content_type="application/json", **allowed)
    assert ok.status_code == 200, ok.content
    data = ok.json()
    assert {i["id"] for i in data["items"]} == {i.pk for i in items}
    assert "BE71096123456769" in {i["value"] for i in data["items"]}  # the sealed value, opened
    entry = AuditEntry.objects.get(action="retention.archive.open")
    assert entry.subject_id == subject.pk
    assert entry.payload["ground"] == "court" and entry.payload["reference"] == "RG 2026/1234"
    assert "BE71096123456769" not in str(entry.payload)
    assert audit_verify().intact


@pytest.mark.django_db
def test_cli_archive_open_needs_a_user_with_access(archived: Any) -> None:
    from django.core.management import call_command

    subject, items = archived
    staff_create(
        principal=CLI, username="archivist", email="a@example.org", role="archive", controller="crm-asbl"
    )
    with pytest.raises(SystemExit) as refused:
        call_command(
            "archive", "open", f"item:{items[0].pk}", "--ground", "authority", "--reference", "APD 7"
        )
    assert refused.value.code == 2
    call_command(
        "archive",
        "open",
        f"subject:{subject.pk}",
        "--ground",
        "production",
        "--reference",
        "ORD-9",
        "--user",
        "archivist",
    )
    entry = AuditEntry.objects.get(action="retention.archive.open")
    assert entry.actor == "user:archivist" and entry.payload["ground"] == "production"


@pytest.mark.django_db
def test_holds_validate_and_are_found(policy: Any, frozen: Any) -> None:
    subject, items = person_with(kind="member", purposes=["member-management"], collected_on=D(2020, 1, 1))
    with pytest.raises(InvalidInput) as exc:
        legal_hold_place(
            principal=SYSTEM, case_ref="", reason="", window_start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        )
    fields = {e.field for e in exc.value.errors}
    assert {"case_ref", "reason", "subject_id", "camera"} <= fields
    with pytest.raises(InvalidInput):
        legal_hold_place(principal=SYSTEM, item_ids=[999999], case_ref="X", reason="Y")
    hold = legal_hold_place(principal=SYSTEM, item_ids=[items[0].pk], case_ref="C-1", reason="evidence")
    assert is_held(item_id=items[0].pk)
    assert not is_held(item_id=items[1].pk)
    assert is_held(subject_id=subject.pk)
    assert [h.pk for h in holds_for_subject(subject.pk, principal=SYSTEM)] == [hold.pk]
    assert items[0].pk in set(held_item_ids().values_list("item_id", flat=True))
    legal_hold_release(principal=SYSTEM, hold_id=hold.pk, reason="done")
    assert not is_held(subject_id=subject.pk)
    with pytest.raises(Refused):
        legal_hold_release(principal=SYSTEM, hold_id=hold.pk, reason="again")
    with pytest.raises(NotFound):
        legal_hold_release(principal=SYSTEM, hold_id=123456, reason="x")
    with pytest.raises(InvalidInput):
        legal_hold_release(principal=SYSTEM, hold_id=hold.pk, reason=" ")
    actions = list(
        AuditEntry.objects.filter(action__startswith="retention.hold").values_list("action", flat=True)
    )
    assert actions == ["retention.hold.place", "retention.hold.release"]


@pytest.mark.django_db
def test_holds_through_the_api_need_a_decider(policy: Any, frozen: Any) -> None:
    subject, _ = person_with(kind="member", purposes=["member-management"], collected_on=D(2020, 1, 1))
    client = Client()
    dpo = {"HTTP_AUTHORIZATION": "Bearer " + _token("privacy_officer", False)}
    auditor = {"HTTP_AUTHORIZATION": "Bearer " + _token("auditor", False)}
    body = {"subject_id": subject.pk, "case_ref": "C-2", "reason": "dispute"}
    assert (
        client.post("/api/v1/retention/holds", body, content_type="application/json", **auditor).status_code
        == 403
    )
    made = client.post("/api/v1/retention/holds", body, content_type="application/json", **dpo)
    assert made.status_code == 201
    listed = client.get("/api/v1/retention/holds", **auditor).json()["holds"]
    assert [h["subject_id"] for h in listed] == [subject.pk]
    bad = client.post(
        "/api/v1/retention/holds", {"case_ref": "C-3", "reason": "r"}, content_type="application/json", **dpo
    )
    assert bad.status_code == 400
    released = client.post(
        f"/api/v1/retention/holds/{made.json()['id']}/release",
        {"reason": "settled"},
        content_type="application/json",
        **dpo,
    )
    assert released.status_code == 200 and released.json()["active"] is False


@pytest.mark.django_db
def test_retention_summary_states_periods_in_words_and_due_dates(policy: Any, frozen: Any) -> None:
    subject, _ = person_with(
        kind="member",
        purposes=["member-management", "accounting"],
        collected_on=D(2010, 1, 1),
        ended_on=D(2020, 6, 30),
        items=1,
    )
    summary = retention_summary_for_subject(subject.pk, principal=SYSTEM, lang="en")
    assert len(summary) == 1
    entry = summary[0]
    # member: 30 June 2020 + 10 years; accounting: archived from 1 January 2021 (books of 2020 closed),
    # erased ten years later
    assert {p["purpose"]: p["due_on"] for p in entry["purposes"]} == {
        "member-management": "2030-06-30",
        "accounting": "2021-01-01",
    }
    assert entry["due_on"] == "2030-06-30" and entry["action"] == "archive"
    assert entry["end_on"] == "2031-01-01"
    words = {p["purpose"]: p["in_words"] for p in entry["purposes"]}
    # the policy's wording when it has one (tutela.policy.wording), else retention's own: either way the
    # ten years of the policy and what they count from
    assert words["member-management"] in (
        "ten years after the end of the contract",
        "10 years after the end of the contract",
    )
    fr = retention_summary_for_subject(subject.pk, principal=SYSTEM, lang="fr")[0]["purposes"][0]["in_words"]
    nl = retention_summary_for_subject(subject.pk, principal=SYSTEM, lang="nl")[0]["purposes"][0]["in_words"]
    assert fr in ("dix ans après la fin du contrat", "10 ans après la fin du contrat")
    assert nl in ("tien jaar na het einde van het contract", "10 jaar na het einde van het contract")


def test_own_wording_of_periods() -> None:
    from tutela.retention.wording import duration_in_words

    assert duration_in_words("P10Y") == "10 years"
    assert duration_in_words("P1Y6M", "fr") == "1 an et 6 mois"
    assert duration_in_words("P1M", "nl") == "1 maand"
    assert duration_in_words("P0D") == "no time"


@pytest.mark.django_db
def test_archived_items_leave_normal_use(archived: Any) -> None:
    from tutela.accounts.principal import Principal
    from tutela.subjects.scoping import visible_items

    subject, items = archived
    dpo = Principal(actor="t", role="dpo")
    assert not visible_items(dpo).filter(subject=subject).exists()
    controller = items[0].controller
    archivist = Principal(actor="a", role="archive", controller=controller, archive_access=True)
    assert visible_items(archivist, include_archived=True).filter(subject=subject).count() == len(items)
    other = next(c for c in ("crm-asbl", "ac-cs") if c != controller)
    stranger = Principal(actor="b", role="archive", controller=other, archive_access=True)
    assert not visible_items(stranger, include_archived=True).filter(subject=subject).exists()


@pytest.mark.django_db
def test_status_preview_and_summary_endpoints(policy: Any, frozen: Any) -> None:
    subject, _ = person_with(
        kind="prospect", purposes=["prospecting"], collected_on=D(2024, 1, 1), last_interest_on=D(2024, 2, 1)
    )
    client = Client()
    dpo = {"HTTP_AUTHORIZATION": "Bearer " + _token("privacy_officer", False)}
    status = client.get("/api/v1/retention/status", **dpo)
    assert status.status_code == 200 and status.json()["last"] is None
    assert status.json()["next"].startswith("2026-11-26T02:30")
    preview = client.get("/api/v1/retention/preview?limit=5", **dpo).json()["items"]
    assert [(p["subject_id"], p["due_on"]) for p in preview] == [(subject.pk, "2025-02-01")] * 2
    summary = client.get(f"/api/v1/retention/subjects/{subject.pk}/summary?lang=fr", **dpo).json()
    assert {p["rule"] for item in summary["retention"] for p in item["purposes"]} == {"prospect-interest"}
    assert client.get("/api/v1/retention/status").status_code == 401
