"""The rate limiter fails closed: without its cache table, the public forms refuse (429) and say so in the
log, instead of letting every attempt through (a six-digit code could then be guessed)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

MISSING = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "no_such_table"}}


def test_verify_is_refused_when_the_counters_cannot_be_kept(
    client: Any, policy: Any, settings: Any, caplog: Any
) -> None:
    settings.CACHES = MISSING
    with caplog.at_level(logging.ERROR, logger="tutela.portal.ratelimit"):
        r = client.post("/en/requests/verify/12345/", {"code": "000000"})
    assert r.status_code == 429
    assert any("rate limiter unavailable" in rec.getMessage() for rec in caplog.records)


def test_newsletter_form_is_refused_too(client: Any, policy: Any, settings: Any) -> None:
    settings.CACHES = MISSING
    r = client.post("/en/newsletter/", {"email": "a@example.com", "agree": "on"})
    assert r.status_code == 429
