"""Register services: policy checks, sealing, rectification with provenance, relationships, merge."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.subjects.conftest import (
    DOB,
    EMAIL,
    HEALTH,
    IBAN,
    NN,
    PHONE,
    load_policy_data,
    register_policy_data,
)
from tutela.accounts.principal import SYSTEM, Principal
from tutela.core import crypto
from tutela.core.audit import audit_verify
from tutela.core.errors import InvalidInput, NotFound, PermissionDenied
from tutela.core.models import AuditEntry
from tutela.subjects import services
from tutela.subjects.models import DataItem, Relationship, Subject
from tutela.subjects.selectors import (
    find_by_name_and_birth,
    resolve_identifier,
    subject_items,
    subject_summary,
)
from tutela.subjects.services import NewItem
from tutela.subjects.values import item_value

pytestmark = pytest.mark.django_db

NN_1985 = "85.07.30-033.28"  # 850730033 mod 97 = 69, 97 - 69 = 28
NN_2002 = "02031504582"  # born 2002: 2020315045 mod 97 = 15, 97 - 15 = 82
IBAN_OK = "BE71 0961 2345 6769"


def member(**kw: object) -> Subject:
    return services.subject_create(
        controller="crm-asbl",
        subject_type="member",
        source="direct",
        items=[NewItem("user.name", "Jan Peeters"), NewItem(EMAIL, " Jan.Peeters@Example.BE ")],
        **{"principal": SYSTEM, **kw},  # type: ignore[arg-type]
    )


def test_create_normalises_identifiers_and_indexes_them(register_policy) -> None:
    person = member()
    email = DataItem.objects.get(subject=person, category=EMAIL)
    assert email.value == "jan.peeters@example.be" and email.lookup
    assert email.purposes and "member-management" in email.purposes
    assert resolve_identifier("JAN.PEETERS@example.be") == person
    assert Relationship.objects.get(subject=person).kind == "member"
    actions = set(AuditEntry.objects.filter(subject_id=person.pk).values_list("action", flat=True))
    assert {"subject.create", "item.add", "relationship.set"} <= actions


def test_sensitive_values_are_sealed_and_found_by_blind_index(register_policy) -> None:
    person = member()
    item = services.item_add(
        principal=SYSTEM, subject=person, controller="crm-asbl", category=NN, value=NN_1985, source="direct"
    )
    assert item.value == "" and "85073003328" not in item.value_sealed
    assert crypto.decrypt(item.value_sealed, context=NN) == "85073003328"
    assert item_value(item) == "85073003328"
    assert resolve_identifier("85073003328") == person
    assert resolve_identifier("85.07.30-033.28") == person
    young = member()
    services.item_add(
        principal=SYSTEM, subject=young, controller="crm-asbl", category=NN, value=NN_2002, source="direct"
    )
    assert resolve_identifier(NN_2002) == young
    iban = services.item_add(
        principal=SYSTEM, subject=person, controller="crm-asbl", category=IBAN, value=IBAN_OK, source="direct"
    )
    assert iban.value == "" and item_value(iban) == "BE71096123456769"
    assert resolve_identifier("be71096123456769") == person
    for entry in AuditEntry.objects.all():
        assert "85073003328" not in str(entry.payload) and "096123456769" not in str(entry.payload)


def test_adding_the_same_value_twice_changes_nothing(register_policy) -> None:
    person = member()
    first = services.item_add(
        principal=SYSTEM, subject=person, controller="crm-asbl", category=NN, value=NN_1985, source="direct"
    )
    again = services.item_add(
        principal=SYSTEM,
        subject=person,
        controller="crm-asbl",
        category=NN,
        value="85073003328",
        source="direct",
    )
    assert first.pk == again.pk


@pytest.mark.parametrize(
    ("category", "value", "field_message"),
    [
        (EMAIL, "not-an-address", "invalid email"),
        (PHONE, "12", "invalid phone"),
        (NN, "85073003329", "invalid national number"),
        (IBAN, "BE71096123456768", "invalid iban"),
        (DOB, "1985-02-30", "not a real date"),
    ],
)
def test_invalid_values_are_refused_with_a_clear_message(
    register_policy, category, value, field_message
) -> None:
    person = member()
    with pytest.raises(InvalidInput) as err:
        services.item_add(
            principal=SYSTEM,
            subject=person,
            controller="crm-asbl",
            category=category,
            value=value,
            source="direct",
        )
    assert any(field_message in e.message for e in err.value.errors)
    if category in (NN, IBAN):
        assert value not in str(err.value.errors) and value not in err.value.message


def test_policy_rules_unknown_category_source_purpose(register_policy) -> None:
    person = member()
    with pytest.raises(InvalidInput, match="not in the active policy"):
        services.item_add(
            principal=SYSTEM,
            subject=person,
            controller="crm-asbl",
            category="user.unknown",
            value="x",
            source="direct",
        )
    with pytest.raises(InvalidInput) as err:
        services.item_add(
            principal=SYSTEM,
            subject=person,
            controller="crm-asbl",
            category="user.name",
            value="x",
            source="cctv",
        )
    assert "not allowed for subject type 'member'" in str(err.value.errors)
    with pytest.raises(InvalidInput) as err:
        services.item_add(
            principal=SYSTEM,
            subject=person,
            controller="crm-asbl",
            category=NN,
            value=NN_1985,
            source="direct",
            purposes=["newsletter"],
        )
    assert "does not use category" in str(err.value.errors)


def test_special_category_refused_unless_a_legal_requirement_covers_it(register_policy, policy_data) -> None:
    person = member()
    with pytest.raises(InvalidInput) as err:
        services.item_add(
            principal=SYSTEM,
            subject=person,
            controller="crm-asbl",
            category=HEALTH,
            value="asthma",
            source="direct",
        )
    text = str(err.value.errors)
    assert "special category" in text and "legal_requirement" in text and "§3" in text
    load_policy_data(register_policy_data(policy_data, health_law=True))
    item = services.item_add(
        principal=SYSTEM,
        subject=person,
        controller="crm-asbl",
        category=HEALTH,
        value="asthma",
        source="direct",
    )
    assert item.purposes == ["occupational-health"]


def test_staff_of_one_controller_cannot_write_for_the_other(register_policy) -> None:
    person = member()
    staff = Principal(actor="user:s", role="staff", controller="ac-cs")
    with pytest.raises(PermissionDenied):
        services.item_add(
            subject=person,
            controller="crm-asbl",
            category="user.name",
            value="x",
            source="direct",
            principal=staff,
        )


def test_rectify_keeps_the_old_provenance_in_the_audit_trail(register_policy) -> None:
    person = member()
    item = services.item_add(
        principal=SYSTEM, subject=person, controller="crm-asbl", category=NN, value=NN_1985, source="direct"
    )
    services.item_rectify(
        principal=SYSTEM,
        item_id=item.pk,
        value=NN_2002,
        source="official-publication",
        source_detail="Moniteur belge 2026-03-14",
    )
    item.refresh_from_db()
    assert item_value(item) == "02031504582" and item.source == "official-publication"
    entry = AuditEntry.objects.filter(action="item.rectify").get()
    assert entry.subject_id == person.pk
    assert entry.payload["before"]["source"] == "direct" and entry.payload["value_changed"] is True
    assert "85073003328" not in str(entry.payload) and "02031504582" not in str(entry.payload)
    name = DataItem.objects.get(subject=person, category="user.name")
    services.item_rectify(principal=SYSTEM, item_id=name.pk, value="Jan Peeters-Smet", source="direct")
    entry = AuditEntry.objects.filter(action="item.rectify").order_by("-seq").first()
    assert entry.payload["before"]["value"] == "Jan Peeters"
    with pytest.raises(NotFound):
        services.item_rectify(principal=SYSTEM, item_id=999999, value="x", source="direct")


def test_relationship_set_and_dates(register_policy) -> None:
    person = member(started_on=dt.date(2020, 1, 1))
    rel = services.relationship_set(
        principal=SYSTEM, subject=person, controller="crm-asbl", kind="member", ended_on=dt.date(2025, 12, 31)
    )
    assert rel.started_on == dt.date(2020, 1, 1) and rel.ended_on == dt.date(2025, 12, 31)
    with pytest.raises(InvalidInput, match="relationship"):
        services.relationship_set(
            principal=SYSTEM,
            subject=person,
            controller="crm-asbl",
            kind="member",
            started_on=dt.date(2026, 1, 1),
        )
    p = services.relationship_set(
        principal=SYSTEM,
        subject=person,
        controller="ac-cs",
        kind="prospect",
        last_interest_on=dt.date(2026, 5, 1),
    )
    assert p.last_interest_on == dt.date(2026, 5, 1)
    with pytest.raises(InvalidInput):
        services.relationship_set(principal=SYSTEM, subject=person, controller="nope", kind="martian")


def test_interaction_and_language(register_policy) -> None:
    person = member()
    row = services.interaction_record(
        principal=SYSTEM, subject=person, controller="ac-cs", kind="event", detail={"event": "AGM"}
    )
    assert row.subject_id == person.pk
    services.subject_set_language(principal=SYSTEM, subject=person, language="NL")
    assert Subject.objects.get(pk=person.pk).language == "nl"
    with pytest.raises(InvalidInput):
        services.subject_set_language(principal=SYSTEM, subject=person, language="de")


def test_merge_moves_everything_and_records_how_to_undo_it(register_policy) -> None:
    keep = member(started_on=dt.date(2021, 1, 1))
    dup = services.subject_create(
        principal=SYSTEM,
        controller="crm-asbl",
        subject_type="member",
        source="direct",
        items=[NewItem(NN, NN_1985)],
        started_on=dt.date(2019, 6, 1),
    )
    services.interaction_record(principal=SYSTEM, subject=dup, controller="crm-asbl", kind="event")
    moved = list(DataItem.objects.filter(subject=dup).values_list("pk", flat=True))
    services.subject_merge(principal=SYSTEM, keep=keep, duplicate=dup)
    assert set(moved) <= set(DataItem.objects.filter(subject=keep).values_list("pk", flat=True))
    assert Subject.objects.get(pk=dup.pk).merged_into_id == keep.pk
    assert Relationship.objects.get(subject=keep, kind="member").started_on == dt.date(2019, 6, 1)
    assert not Relationship.objects.filter(subject=dup).exists()
    assert resolve_identifier(str(dup.pk)) == keep
    assert resolve_identifier(NN_1985) == keep
    entry = AuditEntry.objects.get(action="subject.merge")
    assert (
        entry.payload["items_moved"] == moved
        and entry.payload["relationships_merged"][0]["removed"]["started_on"]
    )
    assert AuditEntry.objects.filter(action="subject.merged_into", subject_id=dup.pk).exists()
    with pytest.raises(InvalidInput):
        services.subject_merge(principal=SYSTEM, keep=keep, duplicate=dup)
    auditor = Principal(actor="user:aud", role="auditor")
    with pytest.raises(PermissionDenied):
        services.subject_merge(keep=keep, duplicate=member(), principal=auditor)
    assert audit_verify().intact


def test_find_by_name_and_birth(register_policy) -> None:
    person = services.subject_create(
        principal=SYSTEM,
        controller="crm-asbl",
        subject_type="member",
        source="direct",
        items=[
            NewItem("user.name.first", "Marie"),
            NewItem("user.name.last", "Dubois"),
            NewItem(DOB, "1990-04-02"),
        ],
    )
    assert find_by_name_and_birth(name="marie  DUBOIS", date_of_birth=dt.date(1990, 4, 2)) == person
    assert find_by_name_and_birth(name="Dubois Marie", date_of_birth=dt.date(1990, 4, 2)) == person
    assert resolve_identifier("Marie Dubois 1990-04-02") == person
    assert find_by_name_and_birth(name="Marie Dubois", date_of_birth=dt.date(1990, 4, 3)) is None
    assert resolve_identifier(str(person.public_id)) == person
    assert resolve_identifier(str(person.pk)) == person
    assert resolve_identifier("") is None and resolve_identifier("nobody@example.com") is None


def test_summary_masks_sensitive_values(register_policy) -> None:
    person = member()
    services.item_add(
        principal=SYSTEM, subject=person, controller="crm-asbl", category=NN, value=NN_1985, source="direct"
    )
    summary = subject_summary(person.pk, principal=SYSTEM)
    nn = next(i for i in summary["items"] if i["category"] == NN)
    assert nn["value"].endswith("28") and "85073003328" not in str(summary)
    assert summary["name"] == "Jan Peeters" and summary["relationships"][0]["kind"] == "member"
    assert len(subject_items(person.pk, principal=SYSTEM)) == 3


def test_reads_are_audited_and_out_of_scope_people_are_not_found(register_policy) -> None:
    from tutela.subjects.reading import subject_read

    person = member()
    services.item_add(
        principal=SYSTEM, subject=person, controller="crm-asbl", category=NN, value=NN_1985, source="direct"
    )
    dpo = Principal(actor="cli:dpo", role="dpo")
    data = subject_read(dpo, person.pk, purpose="member-management", channel="cli")
    assert {"id", "items", "consents", "requests"} <= set(data)
    entry = AuditEntry.objects.filter(action="subject.read").get()
    assert entry.subject_id == person.pk and entry.actor == "cli:dpo"
    assert entry.payload["purpose"] == "member-management"
    subject_read(dpo, person.pk, channel="cli", reveal=True)
    assert AuditEntry.objects.filter(action="subject.reveal", subject_id=person.pk).exists()
    other = Principal(actor="user:b", role="staff", controller="ac-cs")
    with pytest.raises(NotFound):
        subject_read(other, person.pk, channel="api")
