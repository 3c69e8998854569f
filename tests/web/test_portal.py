"""The public portal with Django's test client: languages, the policy page, rate limits, no data leaks."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_healthz(client: Any, policy: Any) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_root_redirects_to_a_language(client: Any, policy: Any) -> None:
    r = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-BE,fr;q=0.9")
    assert r.status_code == 302 and r["Location"] == "/fr/"


@pytest.mark.parametrize(
    ("lang", "phrase"),
    [("en", "Your rights"), ("fr", "Vos droits"), ("nl", "Uw rechten")],
)
def test_three_languages(
    client: Any, policy: Any, policy_data: dict[str, Any], lang: str, phrase: str
) -> None:
    r = client.get(f"/{lang}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert f'<html lang="{lang}">' in html
    assert phrase in html
    assert policy_data["dpo"]["email"] in html


def test_policy_page_shows_the_dpo_and_the_authority(
    client: Any, policy: Any, policy_data: dict[str, Any]
) -> None:
    r = client.get("/policy/")
    assert r.status_code == 200
    html = r.content.decode()
    assert policy_data["dpo"]["email"] in html
    assert policy_data["authority"]["name"] in html
    assert policy_data["label"] in html


def test_policy_history_and_diff(client: Any, policy: Any, policy_data: dict[str, Any]) -> None:
    from pathlib import Path

    import yaml

    from tutela.policy.services import policy_load

    data = dict(policy_data)
    data["label"] = "2027-01"
    policy_load(
        text=yaml.safe_dump(data, allow_unicode=True),
        source_name="next.yaml",
        substantial=True,
        change_summary="A new label",
    )
    r = client.get("/en/policy/history/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "2027-01" in html and policy_data["label"] in html
    r = client.get("/en/policy/diff/?a=1&b=2")
    assert r.status_code == 200
    assert "2027-01" in r.content.decode()
    assert client.get("/en/policy/diff/?a=1&b=9").status_code == 404
    assert client.get("/en/policy/diff/?a=x&b=2").status_code == 404
    # the home page announces the substantial change
    assert "A new label" in client.get("/en/").content.decode()
    assert Path  # silence unused import on some linters


def test_openapi_is_public(client: Any, policy: Any) -> None:
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert r.json()["info"]["title"]


def test_each_right_has_a_form(client: Any, policy: Any, policy_data: dict[str, Any]) -> None:
    for key, rule in policy_data["rights"].items():
        r = client.get(f"/en/rights/{key}/")
        assert r.status_code == 200, key
        html = r.content.decode()
        assert 'for="id_email"' in html
        if rule.get("dated_and_signed"):
            assert 'name="signature"' in html and 'name="signed_on"' in html
    assert client.get("/en/rights/telepathy/").status_code == 404


def _public_posts(policy_data: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    right = next(iter(policy_data["rights"]))
    return [
        (f"/en/rights/{right}/", {"email": "someone@example.org", "details": "x"}),
        ("/en/newsletter/", {"email": "someone@example.org"}),
        ("/en/newsletter/confirm/not-a-token/", {}),
        ("/en/newsletter/unsubscribe/not-a-token/", {}),
        ("/en/requests/verify/999999/", {"code": "123456"}),
        ("/en/requests/verify/", {"token": "not-a-token", "code": "123456"}),
    ]


def test_every_public_form_is_rate_limited_by_ip(
    client: Any, policy: Any, policy_data: dict[str, Any], settings: Any
) -> None:
    from django.core.cache import cache

    settings.TUTELA_RATE_LIMIT_PER_HOUR = 3
    for path, data in _public_posts(policy_data):
        cache.clear()  # the two verification routes share one bucket: test each route from zero
        statuses = [client.post(path, data).status_code for _ in range(3)]
        assert 429 not in statuses, (path, statuses)
        # the unsubscribe link is generous (120 an hour): push it over its own limit
        extra = 130 if "unsubscribe" in path else 1
        last = [client.post(path, data).status_code for _ in range(extra)][-1]
        assert last == 429, path


def test_rate_limited_by_identifier_across_addresses(client: Any, policy: Any, settings: Any) -> None:
    settings.TUTELA_RATE_LIMIT_PER_HOUR = 2
    for i in range(2):
        client.post("/en/newsletter/", {"email": "target@example.org"}, REMOTE_ADDR=f"10.0.0.{i + 1}")
    r = client.post("/en/newsletter/", {"email": "target@example.org"}, REMOTE_ADDR="10.0.0.9")
    assert r.status_code == 429
    # another address from that fresh IP is still fine
    r = client.post("/en/newsletter/", {"email": "other@example.org"}, REMOTE_ADDR="10.0.0.9")
    assert r.status_code != 429


def test_unknown_tokens_reveal_nothing(client: Any, policy: Any) -> None:
    for path in ("/en/requests/status/abc/", "/en/requests/download/abc/"):
        assert client.get(path).status_code in (404, 503)


def test_anonymous_api_returns_no_personal_data(client: Any, policy: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            if method != "get" or "{" in path:
                continue
            if op.get("security") == [] or ("security" not in op and not schema.get("security")):
                continue
            r = client.get(path)
            assert r.status_code in (401, 403), (path, r.status_code)


@pytest.mark.django_db(transaction=True)
def test_request_from_the_portal_reveals_nothing_until_verified(
    client: Any, policy: Any, smtp_server: Any, settings: Any
) -> None:
    import re

    from tests.factories.rights import member

    member("marie.dupont@example.be", language="fr")
    r = client.post(
        "/fr/rights/access/",
        {"email": "marie.dupont@example.be", "name": "Marie Dupont", "details": "Tout ce que vous avez."},
    )
    # the answer is the "check your e-mail" page: the private link is in the mail only
    assert r.status_code == 302 and r["Location"] == "/fr/requests/sent/"
    html = client.get(r["Location"]).content.decode()
    for secret in ("marie.dupont@example.be", "Marie Dupont", "Tout ce que vous avez"):
        assert secret not in html
    verification = next(m for m in smtp_server.wait_for(2) if m["X-Tutela-Letter"] == "verification")
    assert verification["To"] == "marie.dupont@example.be"
    assert verification["Content-Language"] == "fr"
    body = verification.get_body(preferencelist=("plain",)).get_content()
    code = re.search(r"\b(\d{6})\b", body).group(1)
    link = re.search(r"(http://\S+/requests/verify/\S*)", body).group(1)
    assert link.startswith(settings.TUTELA_BASE_URL)
    path = link[len(settings.TUTELA_BASE_URL) :]
    page = client.get(path, follow=True)  # no language prefix in the mail: redirected to French
    assert page.redirect_chain and page.redirect_chain[-1][0].startswith("/fr/requests/verify/")
    token = re.search(r"token=([^&\s]+)", link).group(1)
    assert token not in html and code not in html
    status_path = f"/fr/requests/status/{token}/"
    # type, dates and state only: neither the address, nor the name, nor what the person wrote
    status = client.get(status_path).content.decode()
    for secret in ("marie.dupont@example.be", "Marie Dupont", "Tout ce que vous avez"):
        assert secret not in status
    assert "en attente de votre confirmation" in status
    wrong = "000000" if code != "000000" else "111111"
    assert client.post("/fr/requests/verify/", {"token": token, "code": wrong}).status_code == 400
    r = client.post("/fr/requests/verify/", {"token": token, "code": code})
    assert r.status_code == 302 and r["Location"].startswith(status_path)
    html = client.get(r["Location"]).content.decode()
    assert "votre identité est confirmée" in html and "en cours de traitement" in html
    assert "marie.dupont@example.be" not in html
