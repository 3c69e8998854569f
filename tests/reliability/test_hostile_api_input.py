"""Hostile input to the API and the pages never gives a 500, and every API error has the documented shape.

The documented body (docs/web.md, docs/register.md) is ``{"error": message, "errors": [{field, message}]}``
with "errors" optional; it is checked here on its own terms, not through Tutela's error helpers."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from django.test import Client

from tests.factories.subjects import SubjectFactory, email_item

#: digits that str.isdigit() accepts but that are not ASCII: "²" and "①" make int() fail, "٣" is read as 3
UNICODE_DIGITS = ["²", "①", "٣", "٣٣", "\uff11\uff12"]  # the last: fullwidth 1 2
HUGE = str(10**20)


def arabic_indic(number: int) -> str:
    return "".join(chr(0x660 + int(d)) for d in str(number))


def _token(role: str = "dpo") -> str:
    from tutela.accounts.principal import CLI
    from tutela.accounts.services import staff_create, token_create

    user, _ = staff_create(principal=CLI, username=f"hostile-{role}", email=f"{role}@example.org", role=role)
    return token_create(principal=CLI, user=user, name="hostile")


@pytest.fixture
def dpo(policy: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {_token()}"}


@pytest.fixture
def client() -> Client:
    # a server error must come back as a response, as it would to a real caller
    return Client(raise_request_exception=False)


def assert_error_shape(response: Any, status: int | None = None) -> dict[str, Any]:
    if status is not None:
        assert response.status_code == status, (response.status_code, response.content[:300])
    assert 400 <= response.status_code < 600
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = json.loads(response.content)
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body
    assert set(body) <= {"error", "errors"}, f"undocumented keys in an error body: {sorted(body)}"
    for item in body.get("errors", []):
        assert isinstance(item, dict) and isinstance(item.get("message"), str), item
    return body


ID_PATHS = [
    "/api/v1/subjects/{}",
    "/api/v1/requests/{}",
    "/api/v1/breaches/{}",
    "/api/v1/policy/versions/{}",
    "/api/v1/policy/versions/{}/yaml",
    "/api/v1/consent/subjects/{}",
    "/api/v1/retention/subjects/{}/summary",
    "/api/v1/recipients/{}",
    "/api/v1/subjects/?q={}",
    "/api/v1/subjects/search?q={}",
    "/api/v1/subjects/?offset={}",
    "/api/v1/subjects/?limit={}",
    "/api/v1/retention/preview?limit={}",
    "/api/v1/policy/diff?a={}&b={}",
    "/api/v1/requests/portal/status?token={}",
]
ID_POSTS = [
    "/api/v1/retention/holds/{}/release",
    "/api/v1/consent/objections/{}/decide",
    "/api/v1/requests/{}/withdraw",
    "/api/v1/breaches/{}/events",
]
PAGE_PATHS = ["/staff/requests/{}/", "/staff/breaches/{}/", "/rights/status/{}", "/en/rights/status/{}"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", [*UNICODE_DIGITS, HUGE, "-1", "1e3", "\N{REPLACEMENT CHARACTER}"])
def test_odd_ids_never_give_a_server_error_and_errors_are_json(
    value: str, client: Client, dpo: dict[str, str]
) -> None:
    for path in ID_PATHS:
        response = client.get(path.replace("{}", value), **dpo)
        assert response.status_code < 500, (path, value, response.status_code)
        if response.status_code >= 400:
            assert_error_shape(response)
    for path in ID_POSTS:
        response = client.post(path.replace("{}", value), "{}", content_type="application/json", **dpo)
        assert response.status_code < 500, (path, value, response.status_code)
        assert_error_shape(response)
    for path in PAGE_PATHS:
        response = client.get(path.replace("{}", value))
        assert response.status_code < 500, (path, value, response.status_code)


@pytest.mark.django_db
def test_arabic_indic_digits_do_not_name_a_person(client: Client, dpo: dict[str, str]) -> None:
    person = SubjectFactory()
    email_item(person, "digits.target@example.org")
    # the person is there under the plain id …
    assert client.get(f"/api/v1/subjects/{person.pk}", **dpo).status_code == 200
    # … but the same number in other digits names nobody
    for ref in (arabic_indic(person.pk), f"subject:{arabic_indic(person.pk)}"):
        response = client.get(f"/api/v1/subjects/{ref}", **dpo)
        assert_error_shape(response, 404)
        assert b"digits.target" not in response.content
        found = client.get("/api/v1/subjects/", {"q": ref}, **dpo)
        assert found.status_code == 200 and found.json()["count"] == 0, found.content[:300]


@pytest.mark.django_db
def test_an_offset_beyond_any_integer_is_a_validation_error(client: Client, dpo: dict[str, str]) -> None:
    for offset in (HUGE, str(2**63), str(2**63 - 1)):
        body = assert_error_shape(client.get("/api/v1/subjects/", {"offset": offset}, **dpo), 422)
        assert [e.get("field") for e in body["errors"]] == ["offset"]
    assert client.get("/api/v1/subjects/", {"offset": "1000000"}, **dpo).status_code == 200


JSON_POSTS = [
    "/api/v1/requests/portal",
    "/api/v1/requests/portal/verify",
    "/api/v1/purpose/check",
    "/api/v1/breaches/assess",
    "/api/v1/consent/give",
    "/api/v1/consent/newsletter/subscribe",
    "/api/v1/subjects/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", JSON_POSTS)
def test_json_nested_3000_deep_is_refused_with_400(path: str, client: Client, dpo: dict[str, str]) -> None:
    for deep in ("[" * 3000 + "]" * 3000, '{"a":' * 3000 + "1" + "}" * 3000):
        body = assert_error_shape(client.post(path, deep, content_type="application/json", **dpo), 400)
        assert "nest" in body["error"], body


@pytest.mark.django_db
@pytest.mark.parametrize("path", JSON_POSTS)
def test_lone_surrogates_in_json_are_refused_with_400(path: str, client: Client, dpo: dict[str, str]) -> None:
    payload = (
        '{"email": "ann\\ud800@example.org", "type": "access", "identifier": "\\udfff", '
        '"purpose": "newsletter", "status_token": "\\ud800", "code": "\\ud800"}'
    )
    body = assert_error_shape(client.post(path, payload, content_type="application/json", **dpo), 400)
    assert "surrogate" in body["error"], body


@pytest.mark.django_db
def test_a_moderately_nested_body_is_still_read(client: Client, dpo: dict[str, str]) -> None:
    # ten levels are far from the bound: the answer is about the content (422), not the nesting
    body = '{"checks": [' * 1 + "[" * 10 + "]" * 10 + "]}"
    response = client.post("/api/v1/purpose/check", body, content_type="application/json", **dpo)
    assert response.status_code in (400, 422)
    assert "nest" not in assert_error_shape(response)["error"]


@pytest.mark.django_db
def test_surrogate_bytes_in_query_strings_do_not_break_anything(client: Client, dpo: dict[str, str]) -> None:
    for path in ("/api/v1/subjects/", "/api/v1/subjects/search", "/api/v1/requests/portal/status"):
        response = client.get(path, QUERY_STRING="q=%ED%A0%80&token=%ED%A0%80&x=%FF", **dpo)
        assert response.status_code < 500, (path, response.status_code)
        if response.status_code >= 400:
            assert_error_shape(response)


@pytest.mark.django_db
def test_every_kind_of_api_error_has_the_documented_shape(client: Client, dpo: dict[str, str]) -> None:
    # unknown routes under /api/ (Django's resolver, not the API's)
    for path in ("/api/v1/no-such-thing", "/api/v1/", "/api/v1/subjects/1/nothing", "/api/v2/subjects/"):
        assert_error_shape(client.get(path, **dpo), 404)
    # a method the route does not have: 405, still announcing what it allows
    response = client.delete("/api/v1/subjects/", **dpo)
    assert_error_shape(response, 405)
    assert "GET" in response["Allow"]
    # no credentials, and a role that may not write
    assert_error_shape(client.get("/api/v1/subjects/"), 401)
    auditor = {"HTTP_AUTHORIZATION": f"Bearer {_token('auditor')}"}
    created = client.post(
        "/api/v1/subjects/",
        {"controller": "crm-asbl", "subject_type": "prospect", "source": "direct", "items": []},
        content_type="application/json",
        **auditor,
    )
    assert created.status_code in (403, 422)
    assert_error_shape(created)
    # validation and an unparsable body
    body = assert_error_shape(
        client.post("/api/v1/subjects/", "{}", content_type="application/json", **dpo), 422
    )
    assert {e["field"] for e in body["errors"]} >= {"controller"}
    body = assert_error_shape(
        client.post("/api/v1/subjects/", "{bad", content_type="application/json", **dpo), 400
    )
    assert "JSON" in body["error"]


@pytest.mark.django_db
def test_an_unexpected_error_is_a_json_500_that_gives_nothing_away(
    client: Client, dpo: dict[str, str]
) -> None:
    with mock.patch("tutela.api.system.principal", side_effect=RuntimeError("secret internal detail")):
        response = client.get("/api/v1/me", **dpo)
    body = assert_error_shape(response, 500)
    assert "secret internal detail" not in response.content.decode() and "Traceback" not in body["error"]
