"""The DPO dashboard shows a broken audit chain; a staff page never lends its user to the next request."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tutela.core.audit import audit_log
from tutela.core.models import AuditEntry

pytestmark = pytest.mark.django_db

BANNER = 'id="audit-broken"'


def test_no_banner_while_the_chain_verifies(staff_client: Any) -> None:
    r = staff_client.get("/staff/")
    assert r.status_code == 200 and BANNER not in r.content.decode()


def test_a_broken_chain_shows_a_banner_to_staff(staff_client: Any) -> None:
    assert BANNER not in staff_client.get("/staff/").content.decode()
    entry = audit_log("test.event", payload={"n": 1})
    AuditEntry.objects.filter(seq=entry.seq).update(payload={"n": 2})
    html = staff_client.get("/staff/").content.decode()
    assert BANNER in html and "The audit trail does not verify." in html
    assert f"It breaks at entry {entry.seq}." in html
    assert Client().get("/healthz").status_code == 503


def test_a_portal_request_after_a_staff_page_is_anonymous(staff_client: Any) -> None:
    assert staff_client.get("/staff/").status_code == 200
    from tutela.core.audit import current_actor

    assert current_actor() != f"user:{staff_client.user.username}"


def test_the_audit_state_costs_the_dashboard_few_queries(staff_client: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tutela.core.audit_proof import audit_status

    staff_client.get("/staff/")
    audit_log("test.event", payload={"n": 1})
    with CaptureQueriesContext(connection) as queries:
        assert audit_status(tail_limit=100)["intact"]
    # the stored result, the tip, the entry it ends at, the new entries, the new result
    assert len(queries) <= 5, [q["sql"] for q in queries]
