"""§2: data held for client controllers are scoped to them, carry the instruction reference, stay out of the
group's disclosures, and a request about them is forwarded to the client."""

from __future__ import annotations

import pytest

from tests.factories.subjects import DataItemFactory
from tutela.accounts.principal import SYSTEM
from tutela.core.errors import InvalidInput
from tutela.core.models import AuditEntry
from tutela.recipients.selectors import forward_target, is_processor_data
from tutela.recipients.services import client_controller_create


@pytest.mark.django_db
def test_forward_target_names_the_registered_client(policy, person) -> None:
    client_controller_create(
        principal=SYSTEM,
        key="client-co",
        name="Client Co SA",
        instructions_ref="INSTR-7",
        contact_email="DPO@client.example",
    )
    item = person["items"]["processor"]
    own = person["items"]["name"]
    assert is_processor_data(item) and not is_processor_data(own)
    assert forward_target(own) is None
    target = forward_target(item)
    assert target is not None
    assert target["registered"] is True and target["key"] == "client-co" and target["name"] == "Client Co SA"
    assert target["contact_email"] == "DPO@client.example"
    assert target["instruction_ref"] == "INSTR-7" and target["instructions_ref"] == "INSTR-7"
    assert AuditEntry.objects.filter(action="client_controller.create", object_id="client-co").exists()


@pytest.mark.django_db
def test_unregistered_client_is_still_named(policy) -> None:
    item = DataItemFactory(on_behalf_of="Unknown Client", instruction_ref="X-1", purposes=[])
    target = forward_target(item)
    assert target is not None and target["registered"] is False and target["name"] == "Unknown Client"


@pytest.mark.django_db
def test_client_controller_validation(policy) -> None:
    with pytest.raises(InvalidInput) as err:
        client_controller_create(
            principal=SYSTEM, key="Bad Key", name="", instructions_ref="", contact_email="nope"
        )
    assert {e.field for e in err.value.errors} == {"key", "name", "instructions_ref", "contact_email"}
    client_controller_create(principal=SYSTEM, key="c", name="C", instructions_ref="I")
    with pytest.raises(InvalidInput):
        client_controller_create(principal=SYSTEM, key="c", name="C", instructions_ref="I")
