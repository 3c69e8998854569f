"""Creating staff accounts and API tokens is decided by the service (issue 15 §1): the DPO or the operator at
the shell only, audited under the principal's actor."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tutela.accounts.models import ApiToken, Role
from tutela.accounts.principal import CLI, Principal
from tutela.accounts.services import staff_create, token_create
from tutela.core.errors import PermissionDenied
from tutela.core.models import AuditEntry

REFUSED = [
    Principal(actor="user:staff", role=Role.STAFF, controller="crm-asbl"),
    Principal(actor="user:auditor", role=Role.AUDITOR),
    Principal(actor="user:po", role=Role.PRIVACY_OFFICER),
    Principal(actor="anonymous", role="public"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("who", REFUSED, ids=lambda p: p.role)
def test_only_the_dpo_creates_staff_and_tokens(policy: Any, who: Principal) -> None:
    owner, _ = staff_create(principal=CLI, username="owner", email="o@example.org", role=Role.AUDITOR)
    users, tokens, entries = (
        get_user_model().objects.count(),
        ApiToken.objects.count(),
        AuditEntry.objects.count(),
    )
    with pytest.raises(PermissionDenied):
        staff_create(principal=who, username="intruder", email="i@example.org", role=Role.DPO)
    with pytest.raises(PermissionDenied):
        token_create(principal=who, user=owner, name="sneaky")
    assert (get_user_model().objects.count(), ApiToken.objects.count(), AuditEntry.objects.count()) == (
        users,
        tokens,
        entries,
    )


@pytest.mark.django_db
def test_the_dpo_creates_them_under_their_own_name(policy: Any) -> None:
    dpo = Principal(actor="user:dpo", role=Role.DPO)
    user, _ = staff_create(principal=dpo, username="new", email="n@example.org", role=Role.AUDITOR)
    token_create(principal=CLI, user=user, name="reports")
    assert AuditEntry.objects.get(action="staff.create").actor == "user:dpo"
    assert AuditEntry.objects.get(action="token.create").actor == "cli"
