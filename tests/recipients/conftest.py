"""Fixtures of the recipients tests: a US processor from the policy's recipient types, people with items."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.subjects import (
    DataItemFactory,
    RelationshipFactory,
    SubjectFactory,
    email_item,
    sealed_item,
)

IBAN = "BE71 0961 2345 6769"


def processor_type_outside_eea(policy_data: dict[str, Any]) -> str:
    """A processor recipient type of the policy (preferably the one declared outside the EEA)."""
    types = policy_data["recipients"]
    outside = [k for k, v in types.items() if v.get("role") == "processor" and v.get("country", "BE") != "BE"]
    return (outside or [k for k, v in types.items() if v.get("role") == "processor"])[0]


@pytest.fixture
def person(db: Any) -> dict[str, Any]:
    """One member of CRM asbl with a name, an e-mail, a phone, an IBAN and some items that must never go."""
    subject = SubjectFactory()
    # a member of CRM asbl: the purpose check of a disclosure for member management allows them
    RelationshipFactory(subject=subject, controller="crm-asbl", kind="member")
    mm = ["member-management", "accounting"]
    items = {
        "name": DataItemFactory(subject=subject, category="user.name", value="Ann Peeters", purposes=mm),
        "email": email_item(subject, "ann.peeters@example.org", purposes=["member-management"]),
        "iban": sealed_item(subject, "user.financial.bank_account", "iban", IBAN, purposes=mm),
        "phone": DataItemFactory(
            subject=subject,
            category="user.contact.phone_number",
            value="+3225550101",
            purposes=["member-management"],
        ),
        # never disclosed: other controller, other purpose only, processor data, erased
        "other_controller": DataItemFactory(
            subject=subject,
            controller="ac-cs",
            category="user.name",
            value="Ann P.",
            purposes=["member-management"],
        ),
        "other_purpose": email_item(subject, "ann.news@example.org", purposes=["newsletter"]),
        "processor": DataItemFactory(
            subject=subject,
            category="user.name",
            value="Ann for a client",
            purposes=["member-management"],
            on_behalf_of="client-co",
            instruction_ref="INSTR-7",
        ),
        "erased": DataItemFactory(
            subject=subject, category="user.name", value="", status="erased", purposes=["member-management"]
        ),
    }
    return {"subject": subject, "items": items}
