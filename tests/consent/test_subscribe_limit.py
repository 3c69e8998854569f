"""The anonymous newsletter subscription is rate-limited per network and per address, like the portal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def _subscribe(client: Client, email: str, ip: str) -> Any:
    return client.post(
        "/api/v1/consent/newsletter/subscribe",
        data={"email": email, "language": "en"},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def test_anonymous_subscribe_is_limited_per_address(policy: Any) -> None:
    client = Client()
    limit = settings.TUTELA_RATE_LIMIT_PER_HOUR
    # the same address from many networks: the per-address counter stops it
    for n in range(limit):
        assert _subscribe(client, "flood@example.com", f"198.51.100.{n + 1}").status_code == 200
    refused = _subscribe(client, "flood@example.com", "203.0.113.200")
    assert refused.status_code == 429
    body = json.loads(refused.content)
    assert body["error"] and body["errors"][0]["field"] == "email"
    assert b"flood@example.com" not in refused.content


def test_anonymous_subscribe_is_limited_per_network(policy: Any) -> None:
    client = Client()
    limit = settings.TUTELA_RATE_LIMIT_PER_HOUR
    for n in range(limit):
        assert _subscribe(client, f"p{n}@example.com", "192.0.2.7").status_code == 200
    refused = _subscribe(client, "another@example.com", "192.0.2.7")
    assert refused.status_code == 429 and "error" in json.loads(refused.content)
    assert _subscribe(client, "another@example.com", "192.0.2.8").status_code == 200
