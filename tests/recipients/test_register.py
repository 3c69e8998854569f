"""The register of recipients: validation against the policy, defaults from the type, safeguards, expiry."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories.recipients import RecipientFactory
from tests.recipients.conftest import processor_type_outside_eea
from tutela.accounts.principal import SYSTEM
from tutela.core.errors import InvalidInput, NotFound
from tutela.core.models import AuditEntry
from tutela.recipients.selectors import expiring_contracts, recipient_dict
from tutela.recipients.services import recipient_create, recipient_update, safeguard_add


@pytest.mark.django_db
def test_create_takes_role_and_lists_from_the_policy_type(policy, policy_data) -> None:
    rtype = processor_type_outside_eea(policy_data)
    declared = policy_data["recipients"][rtype]
    r = recipient_create(
        principal=SYSTEM,
        key="mail-cloud",
        name="Mail Cloud Inc.",
        recipient_type=rtype,
        country="us",
        contact_email="Privacy@MailCloud.example",
        webhook_url="https://mailcloud.example/hooks/gdpr",
        contract_ref="DPA-2026-01",
        contract_expires_on=dt.date(2027, 1, 31),
    )
    assert r.role == declared["role"]
    assert r.country == "US"
    assert r.categories == declared.get("categories", [])
    assert r.purposes == declared.get("purposes", [])
    assert AuditEntry.objects.filter(action="recipient.create", object_id="mail-cloud").exists()
    assert recipient_dict(r)["contract_expires_on"] == "2027-01-31"


@pytest.mark.django_db
def test_create_reports_every_problem(policy) -> None:
    with pytest.raises(InvalidInput) as err:
        recipient_create(
            principal=SYSTEM,
            key="Bad Key",
            name="",
            recipient_type="no-such-type",
            role="boss",
            country="XX",
            webhook_url="http://insecure.example/hook",
            contact_email="not-an-address",
            categories=["user.nothing"],
            purposes=["no-purpose"],
            scheme="shield",
            group_controller="nobody",
        )
    fields = {e.field for e in err.value.errors}
    assert {
        "key",
        "name",
        "recipient_type",
        "role",
        "country",
        "webhook_url",
        "contact_email",
        "categories[0]",
        "purposes[0]",
        "scheme",
        "group_controller",
    } <= fields


@pytest.mark.django_db
def test_duplicate_key_and_update(policy) -> None:
    recipient_create(principal=SYSTEM, key="acme", name="Acme", recipient_type="it-providers", country="BE")
    with pytest.raises(InvalidInput):
        recipient_create(
            principal=SYSTEM, key="acme", name="Acme", recipient_type="it-providers", country="BE"
        )
    r = recipient_update(principal=SYSTEM, key="acme", country="fr", purposes=["member-management"])
    assert r.country == "FR" and r.purposes == ["member-management"]
    with pytest.raises(InvalidInput):
        recipient_update(principal=SYSTEM, key="acme", country="ZZ")
    with pytest.raises(NotFound):
        recipient_update(principal=SYSTEM, key="nobody", name="x")
    entry = AuditEntry.objects.filter(action="recipient.update").get()
    assert set(entry.payload["changed"]) == {"country", "purposes"}


@pytest.mark.django_db
def test_safeguard_validation(policy) -> None:
    RecipientFactory(key="host")
    s = safeguard_add(
        principal=SYSTEM, recipient_key="host", kind="scc", scc_module="c2p", signed_on=dt.date(2025, 5, 1)
    )
    assert s.scc_module == "c2p"
    for kwargs in (
        {"kind": "scc", "scc_module": ""},
        {"kind": "scc", "scc_module": "x2y"},
        {"kind": "bcr", "reference": ""},
        {"kind": "trust-me"},
        {"kind": "bcr", "scc_module": "c2p", "reference": "B"},
    ):
        with pytest.raises(InvalidInput):
            safeguard_add(principal=SYSTEM, recipient_key="host", signed_on=dt.date(2025, 5, 1), **kwargs)
    with pytest.raises(NotFound):
        safeguard_add(
            principal=SYSTEM, recipient_key="nobody", kind="bcr", reference="B", signed_on=dt.date(2025, 5, 1)
        )


@pytest.mark.django_db
def test_expiring_contracts(policy) -> None:
    today = dt.date(2026, 6, 1)
    RecipientFactory(key="soon", contract_expires_on=today + dt.timedelta(days=10))
    RecipientFactory(key="later", contract_expires_on=today + dt.timedelta(days=100))
    RecipientFactory(key="past", contract_expires_on=today - dt.timedelta(days=1))
    RecipientFactory(key="open-ended", contract_expires_on=None)
    RecipientFactory(key="inactive", contract_expires_on=today, active=False)
    rows = expiring_contracts(30, on=today)
    assert [r["key"] for r in rows] == ["past", "soon"]
    assert rows[0]["expired"] is True and rows[1]["days_left"] == 10


@pytest.mark.django_db
def test_country_defaults_to_the_policy_type(policy, policy_data) -> None:
    rtype = processor_type_outside_eea(policy_data)
    r = recipient_create(principal=SYSTEM, key="default-country", name="Somewhere", recipient_type=rtype)
    assert r.country == policy_data["recipients"][rtype].get("country", "BE")


@pytest.mark.django_db
def test_control_characters_are_refused(policy) -> None:
    with pytest.raises(InvalidInput) as err:
        recipient_create(
            principal=SYSTEM, key="nul", name="Bad\x00Name", recipient_type="it-providers", country="BE"
        )
    assert err.value.errors[0].field == "name"
    RecipientFactory(key="host2")
    with pytest.raises(InvalidInput):
        safeguard_add(
            principal=SYSTEM,
            recipient_key="host2",
            kind="bcr",
            reference="B\x00",
            signed_on=dt.date(2025, 5, 1),
        )
