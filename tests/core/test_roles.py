"""Which roles see both entities, and which accounts must name their entity."""

from __future__ import annotations

from typing import Any

import pytest

from tutela.accounts.principal import CLI, Principal
from tutela.accounts.services import staff_create
from tutela.core.errors import InvalidInput

GROUP_WIDE = {"dpo", "privacy_officer", "auditor"}
ONE_ENTITY = {"staff", "integration", "archive"}


def test_every_role_is_either_group_wide_or_of_one_entity() -> None:
    from tutela.accounts.models import Role

    assert set(Role.values) == GROUP_WIDE | ONE_ENTITY and not GROUP_WIDE & ONE_ENTITY


@pytest.mark.parametrize("role", sorted(GROUP_WIDE))
def test_group_roles_see_both_entities_whatever_their_entity(role: str) -> None:
    assert Principal(actor="a", role=role).is_group_wide
    assert Principal(actor="a", role=role, controller="crm-asbl").is_group_wide


@pytest.mark.parametrize("role", sorted(ONE_ENTITY))
def test_entity_roles_never_become_group_wide_for_lack_of_an_entity(role: str) -> None:
    assert not Principal(actor="a", role=role).is_group_wide
    assert not Principal(actor="a", role=role, controller="crm-asbl").is_group_wide


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(ONE_ENTITY))
def test_an_entity_account_must_name_its_entity(policy: Any, role: str) -> None:
    with pytest.raises(InvalidInput, match="--controller"):
        staff_create(principal=CLI, username=f"no-entity-{role}", email="x@example.org", role=role)
    user, _ = staff_create(
        principal=CLI, username=f"with-{role}", email="x@example.org", role=role, controller="ac-cs"
    )
    assert user.tutela.controller == "ac-cs"
