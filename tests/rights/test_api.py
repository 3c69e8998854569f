"""The REST API: staff routes with a bearer token, the portal's anonymous routes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from tests.factories.rights import link_token, member, prospect

pytestmark = pytest.mark.django_db


def bearer(role: str = "dpo", controller: str = "") -> dict[str, str]:
    from tutela.accounts.principal import CLI
    from tutela.accounts.services import staff_create, token_create

    user, _ = staff_create(
        principal=CLI, username=f"u-{role}", email=f"{role}@crmgroup.be", role=role, controller=controller
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(principal=CLI, user=user, name='tests')}"}


def post(client: Client, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def test_staff_end_to_end(policy: Any) -> None:
    prospect()
    client, auth = Client(), bearer()
    r = post(
        client,
        "/api/v1/requests/",
        {
            "type": "objection",
            "identifier": "jan.peeters@example.be",
            "purpose": "prospecting",
            "received_at": "2025-04-01T10:00:00+02:00",
        },
        **auth,
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) == {"id", "type", "status", "due"}
    assert body["due"] == "2025-05-02" and body["status"] == "identity_pending"
    rid = body["id"]
    r = post(client, f"/api/v1/requests/{rid}/fulfil", {}, **auth)
    assert r.status_code == 409
    assert r.json()["outcome"] == "blocked" and any("identity" in x for x in r.json()["reasons"])
    assert post(client, f"/api/v1/requests/{rid}/verify", {}, **auth).status_code == 200
    assert (
        post(
            client, f"/api/v1/requests/{rid}/sign", {"signed_on": "2025-04-01", "signature": "scan-7"}, **auth
        ).status_code
        == 200
    )
    r = post(client, f"/api/v1/requests/{rid}/fulfil", {}, **auth)
    assert r.status_code == 200
    assert r.json() == {"id": rid, "status": "answered", "outcome": "granted", "reasons": r.json()["reasons"]}
    assert client.get(f"/api/v1/requests/{rid}", **auth).json()["status"] == "answered"
    assert post(client, f"/api/v1/requests/{rid}/fulfil", {}, **auth).status_code == 409


def test_bad_input_and_auth(policy: Any) -> None:
    client, auth = Client(), bearer()
    r = post(client, "/api/v1/requests/", {"type": "nope", "identifier": "x"}, **auth)
    assert r.status_code == 400
    assert {e["field"] for e in r.json()["errors"]} >= {"type"}
    assert post(client, "/api/v1/requests/", {"type": "access", "identifier": "a@b.be"}).status_code == 401
    assert client.get("/api/v1/requests/999", **auth).status_code == 404
    auditor = bearer("auditor")
    assert (
        post(client, "/api/v1/requests/", {"type": "access", "identifier": "a@b.be"}, **auditor).status_code
        == 403
    )


def test_dpo_decides_staff_cannot(policy: Any) -> None:
    member()
    client = Client()
    dpo, staff = bearer("dpo"), bearer("staff", "crm-asbl")
    rid = post(
        client,
        "/api/v1/requests/",
        {
            "type": "objection",
            "identifier": "marie.dupont@example.be",
            "purpose": "member-service-quality",
            "reasons": "personal reasons",
            "verified": True,
        },
        **dpo,
    ).json()["id"]
    assert (
        post(client, f"/api/v1/requests/{rid}/decide", {"grant": True, "balancing": "b"}, **staff).status_code
        == 403
    )
    assert (
        post(
            client,
            f"/api/v1/requests/{rid}/decide",
            {"grant": True, "balancing": "her interest prevails"},
            **dpo,
        ).status_code
        == 200
    )


@pytest.mark.django_db(transaction=True)
def test_portal_intake_sends_a_code_and_shows_no_personal_data(policy: Any, smtp_server: Any) -> None:
    member()
    client = Client()
    r = post(
        client,
        "/api/v1/requests/portal",
        {"type": "access", "email": "marie.dupont@example.be", "language": "nl"},
    )
    assert r.status_code == 202
    # the answer carries no secret of the mail: no token, no code
    assert set(r.json()) == {"reference", "verification"}
    assert "marie" not in r.content.decode()
    mails = smtp_server.wait_for(2)
    code_mail = next(m for m in mails if m["X-Tutela-Letter"] == "verification")
    assert code_mail["To"] == "marie.dupont@example.be" and "verificatiecode" in code_mail["Subject"]
    code = code_mail["Subject"].rsplit(" ", 1)[-1]
    token = link_token(code_mail)
    assert token not in r.content.decode() and code not in r.content.decode()
    status = client.get("/api/v1/requests/portal/status", {"token": token}).json()
    assert status["status"] == "identity_pending" and "marie" not in json.dumps(status)
    assert (
        post(client, "/api/v1/requests/portal/verify", {"status_token": token, "code": "x"}).status_code
        == 409
    )
    r = post(client, "/api/v1/requests/portal/verify", {"status_token": token, "code": code})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    assert client.get("/api/v1/requests/portal/status", {"token": "nope"}).status_code == 404
    # an unknown address gets the same kind of answer (no enumeration)
    r = post(client, "/api/v1/requests/portal", {"type": "access", "email": "nobody@example.org"})
    assert r.status_code == 202 and set(r.json()) == {"reference", "verification"}
    assert dt.date.today()  # the deadline is set from now for portal requests


def test_staff_of_one_controller_cannot_fulfil_for_both(policy: Any) -> None:
    prospect()
    client = Client()
    dpo, staff = bearer("dpo"), bearer("staff", "crm-asbl")
    both = post(
        client,
        "/api/v1/requests/",
        {"type": "access", "identifier": "jan.peeters@example.be", "verified": True},
        **dpo,
    ).json()["id"]
    own = post(
        client,
        "/api/v1/requests/",
        {
            "type": "access",
            "identifier": "jan.peeters@example.be",
            "verified": True,
            "controller": "crm-asbl",
        },
        **staff,
    ).json()["id"]
    assert post(client, f"/api/v1/requests/{both}/fulfil", {}, **staff).status_code == 403
    assert post(client, f"/api/v1/requests/{own}/fulfil", {}, **staff).status_code == 200
