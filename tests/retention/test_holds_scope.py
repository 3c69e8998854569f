"""Legal holds are the DPO's register: entity staff neither list them nor learn their case references.

Regression tests for issue 15 §1 (holds): staff of one entity listed the other entity's legal holds with
their case references. Holds carry no entity of their own (a hold on a person shared by both entities
protects both), so they are placed, released and seen by group-wide roles only (docs/decisions/0011).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories.consent import person
from tutela.accounts.principal import SYSTEM, Principal
from tutela.core.errors import PermissionDenied
from tutela.core.models import AuditEntry
from tutela.retention.models import LegalHold

pytestmark = pytest.mark.django_db

STAFF_A = Principal(actor="user:anna", role="staff", controller="crm-asbl")
DPO = Principal(actor="user:dora", role="dpo")
CASE = "Court of Liège 2026/881 (ac-cs)"


def _client(role: str, controller: str = "") -> Client:
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


def _held_shared_person() -> tuple[Any, LegalHold]:
    from tutela.retention.services import legal_hold_place

    someone = person("held@example.com", subject_type="member", controller="crm-asbl")
    hold = legal_hold_place(subject_id=someone.pk, case_ref=CASE, reason="litigation", principal=DPO)
    return someone, hold


def test_entity_staff_cannot_list_holds_through_the_api(policy: Any) -> None:
    _held_shared_person()
    for role, controller in (("staff", "crm-asbl"), ("staff", "ac-cs"), ("integration", "crm-asbl")):
        r = _client(role, controller).get("/api/v1/retention/holds?all=true")
        assert r.status_code == 403, (role, r.content)
        assert CASE not in r.content.decode()
    for role in ("dpo", "privacy_officer", "auditor"):
        r = _client(role).get("/api/v1/retention/holds")
        assert r.status_code == 200, (role, r.content)
        assert [h["case_ref"] for h in r.json()["holds"]] == [CASE]


def test_the_selectors_give_entity_staff_no_hold(policy: Any) -> None:
    from tutela.retention.selectors import holds_for_subject, holds_list, is_held

    someone, hold = _held_shared_person()
    with pytest.raises(PermissionDenied):
        holds_list(principal=STAFF_A)
    assert holds_for_subject(someone.pk, principal=STAFF_A) == []
    assert [h.pk for h in holds_for_subject(someone.pk, principal=DPO)] == [hold.pk]
    assert [h["case_ref"] for h in holds_list(principal=DPO)] == [CASE]
    assert is_held(subject_id=someone.pk)  # the sweep still sees the hold, whoever asks nothing


def test_only_the_dpo_or_a_privacy_officer_places_and_releases_holds(policy: Any) -> None:
    from tutela.retention.services import legal_hold_place, legal_hold_release

    someone, hold = _held_shared_person()
    for who in (STAFF_A, Principal(actor="user:audrey", role="auditor")):
        with pytest.raises(PermissionDenied):
            legal_hold_place(subject_id=someone.pk, case_ref="X", reason="Y", principal=who)
        with pytest.raises(PermissionDenied):
            legal_hold_release(hold_id=hold.pk, reason="done", principal=who)
    assert LegalHold.objects.count() == 1 and LegalHold.objects.get().released_at is None
    officer = Principal(actor="user:piet", role="privacy_officer")
    released = legal_hold_release(hold_id=hold.pk, reason="case closed", principal=officer)
    assert (hold.placed_by, released.released_by) == ("user:dora", "user:piet")
    actors = list(
        AuditEntry.objects.filter(action__startswith="retention.hold")
        .order_by("seq")
        .values_list("actor", flat=True)
    )
    assert actors == ["user:dora", "user:piet"]


def test_the_cli_lists_holds_as_the_operator(cli: Any) -> None:
    assert cli("init").returncode == 0
    placed = cli("hold", "place", "--camera", "entrance", "--case", CASE, "--reason", "incident", "--json")
    assert placed.returncode == 0, placed.stderr
    listed = cli("hold", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [h["case_ref"] for h in listed.json()["holds"]] == [CASE]
    assert listed.json()["holds"][0]["placed_by"].startswith("cli")


def test_the_sweep_still_respects_every_hold(policy: Any) -> None:
    """Scoping the reads did not scope the protection: the sweep sees holds whoever placed them."""
    from tutela.retention.selectors import held_subject_ids

    someone, _ = _held_shared_person()
    assert someone.pk in set(held_subject_ids().values_list("subject_id", flat=True))
    assert SYSTEM.is_group_wide
