"""Staff record how they checked a person's identity: only the methods the form offers are accepted."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.rights import open_request

pytestmark = pytest.mark.django_db


def test_an_unknown_method_is_refused_and_nothing_is_recorded(staff_client: Any) -> None:
    req = open_request("access", "someone@example.org", verified=False)
    r = staff_client.post(
        f"/staff/requests/{req.pk}/verify/",
        {"version": req.version, "method": "<b>trust me</b>"},
        follow=True,
    )
    assert r.status_code == 200 and "Choose how the identity was checked" in r.content.decode()
    req.refresh_from_db()
    assert req.identity_verified_at is None and req.identity_method == ""


def test_a_listed_method_is_recorded(staff_client: Any) -> None:
    req = open_request("access", "someone@example.org", verified=False)
    r = staff_client.post(
        f"/staff/requests/{req.pk}/verify/", {"version": req.version, "method": "id_document"}
    )
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.identity_verified_at is not None and req.identity_method == "id_document"
    # who checked is the logged-in staff member, in the request and in the audit trail
    from tutela.core.audit import AuditEntry

    who = f"user:{staff_client.user.username}"
    assert req.identity_verified_by == who
    entry = AuditEntry.objects.get(action="request.identity_verified", object_id=str(req.pk))
    assert entry.actor == who and entry.payload["method"] == "id_document"
