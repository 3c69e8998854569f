"""Who sees what: group-wide roles everything, one controller's staff their own, joint and disclosed items."""

from __future__ import annotations

import pytest

from tests.subjects.conftest import EMAIL
from tutela.accounts.principal import SYSTEM, Principal
from tutela.subjects import services
from tutela.subjects.scoping import visible_items, visible_subjects
from tutela.subjects.services import NewItem

pytestmark = pytest.mark.django_db

DPO = Principal(actor="user:dpo", role="dpo")
AUDITOR = Principal(actor="user:aud", role="auditor")
CRM = Principal(actor="user:a", role="staff", controller="crm-asbl")
ACCS = Principal(actor="user:b", role="staff", controller="ac-cs")


def person(controller: str, subject_type: str = "member", email: str = "a@example.be"):
    return services.subject_create(
        principal=SYSTEM,
        controller=controller,
        subject_type=subject_type,
        source="direct",
        items=[NewItem(EMAIL, email)],
    )


def test_each_controller_sees_its_own_and_group_roles_see_all(register_policy) -> None:
    a = person("crm-asbl", email="a@example.be")
    b = person("ac-cs", email="b@example.be")
    assert set(visible_subjects(CRM)) == {a}
    assert set(visible_subjects(ACCS)) == {b}
    assert set(visible_subjects(DPO)) == {a, b} == set(visible_subjects(AUDITOR))
    assert {i.subject_id for i in visible_items(CRM)} == {a.pk}


def test_joint_purpose_items_are_seen_by_both(register_policy) -> None:
    joint = person("ac-cs", subject_type="event-participant", email="j@example.be")
    item = joint.items.get()
    assert "joint-events" in item.purposes
    assert item in visible_items(CRM) and joint in visible_subjects(CRM)


def test_archived_and_processor_items_are_out_of_normal_use(register_policy) -> None:
    a = person("crm-asbl")
    item = a.items.get()
    from tutela.subjects.models import DataItem

    DataItem.objects.filter(pk=item.pk).update(status="archived")
    assert not visible_items(CRM).exists() and not visible_items(DPO).exists()
    held = services.item_add(
        principal=SYSTEM,
        subject=a,
        controller="ac-cs",
        category="user.name",
        value="For a client",
        source="client-company",
        subject_type="member",
        on_behalf_of="Client SA",
    )
    assert held in visible_items(ACCS) and held not in visible_items(CRM)


def test_disclosures_widen_the_view_when_the_recipients_register_has_them(
    register_policy, monkeypatch
) -> None:
    a = person("crm-asbl")
    item = a.items.get()
    import tutela.subjects.scoping as scoping

    monkeypatch.setattr(
        scoping, "_disclosed_ids", lambda controller: [item.pk] if controller == "ac-cs" else []
    )
    assert item in visible_items(ACCS) and a in visible_subjects(ACCS)
