"""Outbound HTTP for webhooks and direct transmission: HTTPS only (plain HTTP to the loopback for tests)."""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from tutela.core.errors import FieldError, InvalidInput

TIMEOUT = 10
RETRIES = 3
BACKOFF = 0.5


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, field: str = "url") -> str:
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput("bad endpoint", errors=[FieldError(f"not an http(s) URL: {url!r}", field=field)])
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise InvalidInput("bad endpoint", errors=[FieldError("the endpoint must use HTTPS", field=field)])
    return url.strip()


@dataclass
class Delivery:
    ok: bool
    attempts: int
    status_code: int | None
    body: str
    error: str


def post_json(url: str, body: bytes, *, token: str = "", retries: int = RETRIES) -> Delivery:
    """POST with retries (network errors and 5xx/429 are retried with a growing pause)."""
    import requests

    headers = {"Content-Type": "application/json", "User-Agent": "Tutela"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    last = Delivery(False, 0, None, "", "")
    for attempt in range(1, retries + 1):
        try:
            resp = requests.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
            last = Delivery(200 <= resp.status_code < 300, attempt, resp.status_code, resp.text[:2000], "")
            if last.ok or (resp.status_code < 500 and resp.status_code != 429):
                return last
        except requests.RequestException as exc:
            last = Delivery(False, attempt, None, "", f"{type(exc).__name__}: {exc}"[:500])
        if attempt < retries:
            time.sleep(BACKOFF * 2 ** (attempt - 1))
    return last
