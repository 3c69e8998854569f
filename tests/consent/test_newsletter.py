"""Newsletter: double opt-in through a real SMTP server, token expiry and single use, RFC 8058 one-click
unsubscribe through the anonymous API, topics and languages."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tutela.accounts.principal import PUBLIC, SYSTEM
from tutela.consent.checks import purpose_check
from tutela.consent.models import NewsletterPending, NewsletterTopic
from tutela.consent.newsletter import newsletter_confirm, newsletter_headers, newsletter_subscribe
from tutela.consent.selectors import consents_of_subject
from tutela.core.errors import InvalidInput, NotFound, Refused
from tutela.subjects.selectors import resolve_identifier

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def topics(db: Any) -> None:
    for key, en, fr, nl in (
        ("events", "Events", "Événements", "Evenementen"),
        ("news", "News", "Actualités", "Nieuws"),
    ):
        NewsletterTopic.objects.get_or_create(key=key, defaults={"name_en": en, "name_fr": fr, "name_nl": nl})


def _send(capture: Any, fn: Any, **kwargs: Any) -> Any:
    """Call a public newsletter flow as the public does (the token or address is the only proof)."""
    with capture(execute=True):
        return fn(**{"principal": PUBLIC, **kwargs})


def _confirm_token(message: Any, language: str) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(
        re.escape(settings.TUTELA_BASE_URL) + rf"/{language}/newsletter/confirm/([A-Za-z0-9_\-]+)/", body
    )
    assert match, body
    return match.group(1)


def test_double_opt_in_and_one_click_unsubscribe(
    policy: Any,
    policy_data: dict[str, Any],
    topics: None,
    smtp_server: Any,
    django_capture_on_commit_callbacks: Any,
    time_machine: Any,
) -> None:
    time_machine.move_to(START, tick=False)
    _send(
        django_capture_on_commit_callbacks,
        newsletter_subscribe,
        email="Zoe@Example.com",
        topics=["events"],
        language="fr",
        page="https://www.crmgroup.be/fr/newsletter",
        ip="198.51.100.4",
        user_agent="UA",
    )
    [confirmation] = smtp_server.wait_for(1)
    assert confirmation["To"] == "zoe@example.com"
    assert confirmation["Content-Language"] == "fr"
    assert "confirmer" in confirmation["Subject"].lower()
    assert "List-Unsubscribe" not in confirmation  # nobody is subscribed yet
    token = _confirm_token(confirmation, "fr")
    body = confirmation.get_body(preferencelist=("plain",)).get_content()
    assert policy_data["purposes"]["newsletter"]["consent"]["wording"] in body
    assert "Événements" in body

    # only the token's hash and the sealed address are stored
    pending = NewsletterPending.objects.get()
    assert token not in pending.token_hash and "zoe" not in pending.email_sealed
    assert not purpose_check(identifier="zoe@example.com", purpose="newsletter").allowed

    time_machine.move_to(START + dt.timedelta(hours=47), tick=False)
    answer = _send(django_capture_on_commit_callbacks, newsletter_confirm, token=token)
    assert answer["subscribed"] is True and answer["topics"] == ["events"]
    decision = purpose_check(identifier="zoe@example.com", purpose="newsletter")
    assert decision.allowed and decision.legal_basis == "consent"
    subject = resolve_identifier("zoe@example.com")
    assert subject is not None
    [event] = consents_of_subject(subject.pk, principal=SYSTEM)
    assert (
        event["channel"] == "email" and event["topics"] == ["events"] and "double opt-in" in event["evidence"]
    )
    assert event["page"] == "https://www.crmgroup.be/fr/newsletter" and len(event["request_hash"]) == 64

    with pytest.raises(Refused, match="already used"):
        newsletter_confirm(principal=SYSTEM, token=token)

    welcome = smtp_server.wait_for(2)[1]
    assert welcome["To"] == "zoe@example.com" and welcome["Content-Language"] == "fr"
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = str(welcome["List-Unsubscribe"]).strip()
    match = re.fullmatch(
        "<" + re.escape(settings.TUTELA_BASE_URL) + r"(/api/v1/consent/unsubscribe/([^>]+))>", header
    )
    assert match, header
    assert header == newsletter_headers(subject.pk)["List-Unsubscribe"]

    # the mail client's one-click POST, anonymous, answers without personal data
    response = Client(enforce_csrf_checks=True).post(
        match.group(1), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert json.loads(response.content) == {"unsubscribed": True}
    assert b"zoe" not in response.content.lower()
    refused = purpose_check(identifier="zoe@example.com", purpose="newsletter")
    assert not refused.allowed and refused.codes[0] == "withdrawn"
    # a second click is harmless
    assert Client().post(match.group(1)).status_code == 200
    # a forged token is not
    assert Client().post(match.group(1)[:-3] + "abc").status_code == 404


def test_confirmation_link_expires_after_48_hours(
    policy: Any, topics: None, smtp_server: Any, django_capture_on_commit_callbacks: Any, time_machine: Any
) -> None:
    time_machine.move_to(START, tick=False)
    _send(django_capture_on_commit_callbacks, newsletter_subscribe, email="late@example.com", language="en")
    token = _confirm_token(smtp_server.wait_for(1)[0], "en")
    time_machine.move_to(START + dt.timedelta(hours=48, seconds=1), tick=False)
    with pytest.raises(Refused, match="expired"):
        newsletter_confirm(principal=SYSTEM, token=token)
    with pytest.raises(NotFound):
        newsletter_confirm(principal=SYSTEM, token="not-a-token")
    from tutela.consent.newsletter import newsletter_pending_purge

    assert newsletter_pending_purge() == 1 and not NewsletterPending.objects.exists()
    assert not purpose_check(identifier="late@example.com", purpose="newsletter").allowed


@pytest.mark.parametrize(("language", "word"), [("en", "confirm"), ("nl", "bevestig")])
def test_confirmation_mail_language(
    policy: Any,
    topics: None,
    smtp_server: Any,
    django_capture_on_commit_callbacks: Any,
    language: str,
    word: str,
) -> None:
    _send(
        django_capture_on_commit_callbacks, newsletter_subscribe, email="lang@example.com", language=language
    )
    [message] = smtp_server.wait_for(1)
    assert message["Content-Language"] == language
    assert word in message["Subject"].lower()
    _confirm_token(message, language)


def test_bad_subscriptions(policy: Any, topics: None) -> None:
    with pytest.raises(InvalidInput):
        newsletter_subscribe(principal=SYSTEM, email="not-an-address")
    with pytest.raises(InvalidInput, match="topic"):
        newsletter_subscribe(principal=SYSTEM, email="ok@example.com", topics=["no-such-topic"])
    with pytest.raises(InvalidInput):
        newsletter_subscribe(principal=SYSTEM, email="ok@example.com", language="de")


def test_anonymous_api_subscribe_and_topics(
    policy: Any, topics: None, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(
            "/api/v1/consent/newsletter/subscribe",
            data={"email": "api@example.com", "topics": ["news"], "language": "en"},
            content_type="application/json",
        )
    assert ok.status_code == 200 and b"api@example.com" not in ok.content
    token = _confirm_token(smtp_server.wait_for(1)[0], "en")
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(f"/api/v1/consent/newsletter/confirm/{token}")
    assert confirmed.status_code == 200 and json.loads(confirmed.content)["subscribed"] is True
    assert client.post(f"/api/v1/consent/newsletter/confirm/{token}").status_code == 409
    bad = client.post(
        "/api/v1/consent/newsletter/subscribe", data={"email": "nope"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "error" in json.loads(bad.content)
    listed = json.loads(client.get("/api/v1/consent/newsletter/topics?language=nl").content)
    names = {t["key"]: t["name"] for t in listed["topics"]}
    assert names["news"] == NewsletterTopic.objects.get(key="news").name_nl
