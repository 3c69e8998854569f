"""The dashboard's retention panel shows the last sweep and what it could not do, and why."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tutela.retention.models import SweepRun

pytestmark = pytest.mark.django_db


def test_the_panel_lists_what_the_last_sweep_could_not_do(staff_client: Any, policy: Any) -> None:
    SweepRun.objects.create(
        started_at=dt.datetime(2026, 11, 25, 3, tzinfo=dt.UTC),
        finished_at=dt.datetime(2026, 11, 25, 3, 5, tzinfo=dt.UTC),
        as_of=dt.date(2026, 11, 25),
        status="partial",
        erased=12,
        problems=[
            {
                "purposes": ["site-security"],
                "rules": ["cctv"],
                "action": "erase",
                "items": 3,
                "first_item": 41,
                "last_item": 43,
                "item_ids": [41, 42, 43],
                "error": "IntegrityError: a register still points at item 42",
            }
        ],
    )
    html = staff_client.get("/staff/").content.decode()
    assert "partial: some items could not be removed" in html
    assert "site-security" in html and "#41\u2013#43 (3)" in html
    assert "IntegrityError: a register still points at item 42" in html
    assert "12 erased" in html


def test_a_clean_run_says_done(staff_client: Any, policy: Any) -> None:
    SweepRun.objects.create(
        started_at=dt.datetime(2026, 11, 25, 3, tzinfo=dt.UTC), as_of=dt.date(2026, 11, 25), status="done"
    )
    html = staff_client.get("/staff/").content.decode()
    assert "Last run" in html and "partial" not in html


def test_the_api_status_names_the_problems_for_group_wide_roles_only(client: Any, policy: Any) -> None:
    from tutela.accounts.principal import CLI
    from tutela.accounts.services import staff_create, token_create

    problem = {"purposes": ["prospecting"], "items": 2, "first_item": 1, "last_item": 2, "error": "E: x"}
    SweepRun.objects.create(
        started_at=dt.datetime(2026, 11, 25, 3, tzinfo=dt.UTC),
        as_of=dt.date(2026, 11, 25),
        status="partial",
        problems=[problem],
    )

    def bearer(role: str, controller: str, name: str) -> dict[str, str]:
        user, _ = staff_create(
            principal=CLI, username=name, email=f"{name}@crmgroup.be", role=role, controller=controller
        )
        return {"HTTP_AUTHORIZATION": f"Bearer {token_create(principal=CLI, user=user, name='t')}"}

    dpo = client.get("/api/v1/retention/status", **bearer("dpo", "", "dpo")).json()
    assert dpo["last"]["status"] == "partial" and dpo["last"]["problems"] == [problem]
    staff = client.get("/api/v1/retention/status", **bearer("staff", "crm-asbl", "crm")).json()
    assert staff["last"]["problems"] == 1
