"""Consent history over the API: entity staff see their own controller's entries only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.factories.consent import person
from tutela.accounts.principal import CLI, principal_for_user
from tutela.accounts.services import staff_create, token_create
from tutela.consent import services

pytestmark = pytest.mark.django_db


def _client(role: str, controller: str = "") -> Client:
    user, _ = staff_create(
        principal=CLI,
        username=f"{role}-{controller or 'all'}",
        email="x@crmgroup.be",
        role=role,
        controller=controller,
    )
    token = token_create(principal=CLI, user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _dpo_principal() -> Any:
    user, _ = staff_create(
        principal=CLI, username="dpo-direct", email="d@crmgroup.be", role="dpo", controller=""
    )
    return principal_for_user(user)


def test_consent_history_is_scoped_to_the_staff_members_entity(policy: Any) -> None:
    both = person("both@example.com", subject_type="member", controller="crm-asbl")
    dpo = _dpo_principal()
    services.consent_give(subject_id=both.pk, purpose="newsletter", controller="crm-asbl", principal=dpo)
    services.consent_give(subject_id=both.pk, purpose="newsletter", controller="ac-cs", principal=dpo)

    def controllers(client: Client) -> list[str]:
        r = client.get(f"/api/v1/consent/subjects/{both.pk}")
        assert r.status_code == 200, r.content
        return sorted(e["controller"] for e in json.loads(r.content)["consents"])

    assert controllers(_client("dpo")) == ["ac-cs", "crm-asbl"]
    assert controllers(_client("staff", "crm-asbl")) == ["crm-asbl"]
