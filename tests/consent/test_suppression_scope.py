"""Suppressions over the API: entity staff suppress for their own controller only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tutela.accounts.principal import CLI
from tutela.accounts.services import staff_create, token_create
from tutela.consent.models import Suppression

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


def test_entity_staff_suppress_for_their_own_controller_only(policy: Any) -> None:
    staff = _client("staff", "crm-asbl")
    forced = staff.post(
        "/api/v1/consent/suppressions",
        data={"purpose": "prospecting", "emails": ["a@example.com"]},
        content_type="application/json",
    )
    assert forced.status_code == 200, forced.content
    assert list(Suppression.objects.values_list("controller", flat=True)) == ["crm-asbl"]

    other = staff.post(
        "/api/v1/consent/suppressions",
        data={"purpose": "prospecting", "controller": "ac-cs", "emails": ["b@example.com"]},
        content_type="application/json",
    )
    assert other.status_code == 403 and json.loads(other.content)["error"]
    assert Suppression.objects.count() == 1

    group = _client("dpo").post(
        "/api/v1/consent/suppressions",
        data={"purpose": "prospecting", "controller": "ac-cs", "emails": ["b@example.com"]},
        content_type="application/json",
    )
    assert group.status_code == 200
    assert sorted(Suppression.objects.values_list("controller", flat=True)) == ["ac-cs", "crm-asbl"]
