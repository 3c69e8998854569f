"""Newsletter double opt-in, preferences and one-click unsubscribe through the portal pages, with the mail
received by a real SMTP server."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def _link(message: Any, kind: str) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(rf"(http://\S+/newsletter/{kind}/\S+/)", body)
    assert found, body
    return found.group(1)


def test_double_opt_in_preferences_and_unsubscribe(
    client: Any, policy: Any, smtp_server: Any, settings: Any
) -> None:
    from tutela.consent.selectors import current_consent
    from tutela.subjects.selectors import resolve_identifier

    page = client.get("/nl/newsletter/")
    assert page.status_code == 200 and 'lang="nl"' in page.content.decode()
    r = client.post("/nl/newsletter/", {"email": "lies@example.be", "agree": "on"})
    assert r.status_code == 302 and r["Location"] == "/nl/newsletter/sent/"
    # nothing is recorded as consent before the confirmation
    assert resolve_identifier("lies@example.be") is None
    [confirm_mail] = smtp_server.wait_for(1)
    assert confirm_mail["Content-Language"] == "nl"
    link = _link(confirm_mail, "confirm")
    assert link.startswith(f"{settings.TUTELA_BASE_URL}/nl/newsletter/confirm/")
    path = link[len(settings.TUTELA_BASE_URL) :]
    # GET never confirms (mail scanners follow links); the button does
    assert "<form" in client.get(path).content.decode()
    assert resolve_identifier("lies@example.be") is None
    r = client.post(path)
    assert r.status_code == 200 and "inschrijving is bevestigd" in r.content.decode()
    person = resolve_identifier("lies@example.be")
    assert person is not None
    newsletter = next(
        k for k, p in policy.purposes.items() if p.legal_basis == "consent" and "newsletter" in k
    )
    assert current_consent(person.pk, newsletter)["state"] == "given"
    # a link works once
    assert client.post(path).status_code == 400

    welcome = smtp_server.wait_for(2)[1]
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    prefs = _link(welcome, "preferences")[len(settings.TUTELA_BASE_URL) :]
    assert client.get(prefs).status_code == 200
    unsubscribe = _link(welcome, "unsubscribe")[len(settings.TUTELA_BASE_URL) :]
    page = client.get(unsubscribe)
    assert page.status_code == 200 and "<form" in page.content.decode()
    # one click: a POST without CSRF token, as a mail client sends it (RFC 8058)
    from django.test import Client

    r = Client(enforce_csrf_checks=True).post(unsubscribe, {"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200
    assert current_consent(person.pk, newsletter)["state"] == "withdrawn"


def test_subscribe_needs_the_agreement_box(client: Any, policy: Any) -> None:
    r = client.post("/en/newsletter/", {"email": "someone@example.org"})
    assert r.status_code == 400
    assert 'id="id_agree"' in r.content.decode()


def test_unknown_links_say_so_without_detail(client: Any, policy: Any) -> None:
    assert client.post("/en/newsletter/confirm/nope/").status_code == 400
    assert client.post("/en/newsletter/unsubscribe/nope/").status_code == 400
    assert client.get("/en/newsletter/preferences/nope/").status_code == 404
