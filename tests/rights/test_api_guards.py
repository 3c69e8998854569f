"""API guards: each entity's staff see and act on their own requests only; the anonymous portal routes are
rate-limited and a verification code dies after five wrong tries; bad rectification input is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories.rights import link_token, member, open_request, prospect
from tutela.rights.models import RightsRequest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def bearer(username: str, role: str, controller: str = "") -> dict[str, str]:
    from tutela.accounts.principal import CLI
    from tutela.accounts.services import staff_create, token_create

    user, _ = staff_create(
        principal=CLI, username=username, email=f"{username}@crmgroup.be", role=role, controller=controller
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(principal=CLI, user=user, name='tests')}"}


def post(client: Client, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def two_entities(policy: Any) -> dict[str, Any]:
    """One request of each entity, one for both (unassigned) about a crm-asbl member, and three callers."""
    member()  # a member of crm-asbl
    prospect("jan.peeters@example.be", controller="ac-cs")
    asbl = open_request("access", "marie.dupont@example.be", controller="crm-asbl")
    accs = open_request("access", "jan.peeters@example.be", controller="ac-cs")
    shared = open_request("access", "marie.dupont@example.be")
    return {
        "asbl": asbl.pk,
        "accs": accs.pk,
        "shared": shared.pk,
        "dpo": bearer("dpo1", "dpo"),
        "asbl_staff": bearer("s-asbl", "staff", "crm-asbl"),
        "accs_staff": bearer("s-accs", "staff", "ac-cs"),
    }


def test_list_and_show_are_scoped_to_the_callers_entity(two_entities: dict[str, Any]) -> None:
    t, client = two_entities, Client()
    ids = lambda auth: {r["id"] for r in client.get("/api/v1/requests/", **auth).json()}  # noqa: E731
    assert ids(t["dpo"]) == {t["asbl"], t["accs"], t["shared"]}
    assert ids(t["asbl_staff"]) == {t["asbl"], t["shared"]}  # Marie is a crm-asbl member
    assert ids(t["accs_staff"]) == {t["accs"]}
    assert client.get(f"/api/v1/requests/{t['accs']}", **t["asbl_staff"]).status_code == 404
    assert client.get(f"/api/v1/requests/{t['asbl']}", **t["accs_staff"]).status_code == 404
    assert client.get(f"/api/v1/requests/{t['accs']}", **t["accs_staff"]).status_code == 200
    assert client.get(f"/api/v1/requests/{t['accs']}", **t["dpo"]).status_code == 200


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("verify", {}),
        ("pause", {"reason": "waiting"}),
        ("resume", {}),
        ("extend", {"reason": "many requests"}),
        ("sign", {"signed_on": "2020-01-01", "signature": "scan"}),
        ("withdraw", {}),
        ("fulfil", {}),
    ],
)
def test_staff_cannot_act_on_the_other_entitys_request(
    two_entities: dict[str, Any], action: str, body: dict[str, Any]
) -> None:
    t, client = two_entities, Client()
    before = RightsRequest.objects.get(pk=t["accs"])
    r = post(client, f"/api/v1/requests/{t['accs']}/{action}", body, **t["asbl_staff"])
    assert r.status_code == 404, r.content
    after = RightsRequest.objects.get(pk=t["accs"])
    assert (after.status, after.version) == (before.status, before.version)


def test_staff_cannot_open_a_request_for_the_other_entity(two_entities: dict[str, Any]) -> None:
    t, client = two_entities, Client()
    count = RightsRequest.objects.count()
    body = {"type": "access", "identifier": "jan.peeters@example.be", "controller": "ac-cs"}
    r = post(client, "/api/v1/requests/", body, **t["asbl_staff"])
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "controller"
    assert RightsRequest.objects.count() == count
    assert post(client, "/api/v1/requests/", body, **t["accs_staff"]).status_code == 201


def test_list_runs_in_a_fixed_number_of_queries(
    two_entities: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    t, client = two_entities, Client()
    for n in range(12):
        open_request("access", f"someone{n}@example.org", controller="crm-asbl")
    with django_assert_max_num_queries(12):
        r = client.get("/api/v1/requests/", **t["dpo"])
    assert r.status_code == 200 and len(r.json()) == 15


def test_a_rectification_item_must_be_an_id(two_entities: dict[str, Any]) -> None:
    t, client = two_entities, Client()
    count = RightsRequest.objects.count()
    body = {
        "type": "rectification",
        "identifier": "marie.dupont@example.be",
        "changes": [{"item": "abc", "value": "Marie Dupond"}],
    }
    r = post(client, "/api/v1/requests/", body, **t["dpo"])
    assert r.status_code == 422, r.content
    assert "item" in json.dumps(r.json())
    assert RightsRequest.objects.count() == count


# ------------------------------------------------------------------------------------------ the portal


def _portal_request(client: Client, email: str = "marie.dupont@example.be") -> Any:
    return post(client, "/api/v1/requests/portal", {"type": "access", "email": email})


def _token(smtp_server: Any) -> str:
    return link_token([m for m in smtp_server.messages if m["X-Tutela-Letter"] == "verification"][-1])


def _code(smtp_server: Any, n: int) -> str:
    mails = smtp_server.wait_for(n)
    return str([m for m in mails if m["X-Tutela-Letter"] == "verification"][-1]["Subject"].rsplit(" ", 1)[-1])


@pytest.mark.django_db(transaction=True)
def test_the_code_dies_after_five_wrong_tries(policy: Any, smtp_server: Any) -> None:
    member()
    client = Client()
    _portal_request(client)
    code = _code(smtp_server, 2)
    token = _token(smtp_server)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        r = post(client, "/api/v1/requests/portal/verify", {"status_token": token, "code": wrong})
        assert r.status_code == 409
    # the right code no longer works: a new one must be asked for
    r = post(client, "/api/v1/requests/portal/verify", {"status_token": token, "code": code})
    assert r.status_code == 409
    assert RightsRequest.objects.get().identity_verified_at is None
    assert post(client, "/api/v1/requests/portal/code", {"status_token": token}).status_code == 202
    new = _code(smtp_server, 3)
    r = post(client, "/api/v1/requests/portal/verify", {"status_token": token, "code": new})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"


@pytest.mark.django_db(transaction=True)
def test_verify_is_rate_limited_per_token_and_ip(policy: Any, settings: Any, smtp_server: Any) -> None:
    settings.TUTELA_RATE_LIMIT_PER_HOUR = 3
    member()
    client = Client()
    _portal_request(client)
    _code(smtp_server, 2)
    token = _token(smtp_server)
    answers = [
        post(client, "/api/v1/requests/portal/verify", {"status_token": token, "code": "123456"}).status_code
        for _ in range(4)
    ]
    assert answers[:3] != [429] * 3 and answers[3] == 429
    # from another address the token is still refused: its own counter is spent
    other = Client(REMOTE_ADDR="10.9.9.9")
    r = post(other, "/api/v1/requests/portal/verify", {"status_token": token, "code": "123456"})
    assert r.status_code == 429
    assert "too many attempts" in r.json()["error"]


@pytest.mark.django_db(transaction=True)
def test_portal_intake_is_rate_limited_per_ip_and_per_address(policy: Any, settings: Any) -> None:
    settings.TUTELA_RATE_LIMIT_PER_HOUR = 2
    a, b = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    assert [_portal_request(a, f"p{n}@example.org").status_code for n in range(3)] == [202, 202, 429]
    # per address: a third request for the same e-mail from other IPs is refused
    assert _portal_request(b, "same@example.org").status_code == 202
    assert _portal_request(Client(REMOTE_ADDR="10.0.0.3"), "same@example.org").status_code == 202
    r = _portal_request(Client(REMOTE_ADDR="10.0.0.4"), "same@example.org")
    assert r.status_code == 429 and "too many attempts" in r.json()["error"]
    assert RightsRequest.objects.count() == 4
