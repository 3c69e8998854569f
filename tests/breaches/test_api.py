"""The breaches API with bearer tokens: staff report, the DPO manages, auditors read, others are refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.breaches.test_assessment import OUTPUT, REFERENCE
from tutela.accounts.principal import CLI
from tutela.accounts.services import staff_create, token_create

REPORT = {
    "reporter": {
        "name": "Dubois, Marie",
        "address": "Rue Neuve 3, 1000 Brussels",
        "phone": "+32 2 555 03 03",
    },
    "incident_type": "unauthorised_access",
    "description": "Someone logged into the CRM with a colleague's password.",
    "people_concerned": 40,
}


def bearer(role: str, controller: str = "") -> dict[str, str]:
    user, _ = staff_create(
        principal=CLI, username=f"u-{role}", email=f"{role}@example.org", role=role, controller=controller
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(principal=CLI, user=user, name='t')}"}


@pytest.mark.django_db
def test_assess_endpoint(policy: Any) -> None:
    client = Client()
    auth = bearer("dpo")
    for case in REFERENCE:
        r = client.post("/api/v1/breaches/assess", case["facts"], content_type="application/json", **auth)
        assert r.status_code == 200, r.content
        assert not list(OUTPUT.iter_errors(r.json()))
        assert {k: r.json()[k] for k in case["expected"]} == case["expected"]
    r = client.post(
        "/api/v1/breaches/assess",
        {"data_categories": ["user.name", "user.zzz"], "subjects_affected": 1, "malicious": True},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "data_categories[1]"
    r = client.post("/api/v1/breaches/assess", "{not json", content_type="application/json", **auth)
    assert r.status_code == 400
    assert client.post("/api/v1/breaches/assess", {}, content_type="application/json").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_report_and_manage_through_the_api(policy: Any, smtp_server: Any) -> None:
    client = Client()
    staff = bearer("staff", controller="crm-asbl")
    dpo = bearer("dpo")
    auditor = bearer("auditor")
    r = client.post("/api/v1/breaches/", REPORT, content_type="application/json", **staff)
    assert r.status_code == 201, r.content
    breach_id = r.json()["id"]
    assert r.json()["urgency"] == "high"
    assert r.json()["controller"] == "crm-asbl"  # a staff member reports for their own entity
    [mail] = smtp_server.wait_for(1)
    assert policy.breach.urgency_marker in mail["Subject"]

    assert client.get("/api/v1/breaches/", **staff).status_code == 403
    assert client.get("/api/v1/breaches/", **auditor).json()["count"] == 1
    assert (
        client.post(
            f"/api/v1/breaches/{breach_id}/assessment",
            REFERENCE[2]["facts"],
            content_type="application/json",
            **auditor,
        ).status_code
        == 403
    )

    r = client.post(
        f"/api/v1/breaches/{breach_id}/assessment",
        REFERENCE[2]["facts"],
        content_type="application/json",
        **dpo,
    )
    assert r.status_code == 200 and r.json()["notify_authority"] is True and r.json()["rules_version"]
    r = client.post(
        f"/api/v1/breaches/{breach_id}/notify-authority", {}, content_type="application/json", **dpo
    )
    assert r.status_code == 200 and r.json()["late"] is False
    r = client.patch(
        f"/api/v1/breaches/{breach_id}/register",
        {"main_cause": "shared password"},
        content_type="application/json",
        **dpo,
    )
    assert r.status_code == 200 and r.json()["main_cause"] == "shared password"
    r = client.post(
        f"/api/v1/breaches/{breach_id}/changes",
        {"description": "Personal accounts only"},
        content_type="application/json",
        **dpo,
    )
    assert r.status_code == 201
    r = client.patch(
        f"/api/v1/breaches/changes/{r.json()['id']}",
        {"state": "in_progress"},
        content_type="application/json",
        **dpo,
    )
    assert r.status_code == 200 and r.json()["state"] == "in_progress"
    assert client.get("/api/v1/breaches/clocks", **dpo).status_code == 200
    detail = client.get(f"/api/v1/breaches/{breach_id}", **dpo).json()
    assert (
        detail["reporter"]["name"] == "Dubois, Marie" and detail["authority_notifications"][0]["number"] == 1
    )
    csv_response = client.get("/api/v1/breaches/register/export?format=csv", **auditor)
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    assert client.get("/api/v1/breaches/register/export?format=xml", **dpo).status_code == 400
    assert client.get("/api/v1/breaches/4242", **dpo).status_code == 404

    bad = {**REPORT, "incident_type": "alien abduction", "people_concerned": -3}
    r = client.post("/api/v1/breaches/", bad, content_type="application/json", **staff)
    assert r.status_code == 400
    assert {"incident_type", "people_concerned"} <= {e["field"] for e in r.json()["errors"]}
