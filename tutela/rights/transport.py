"""Outbound HTTP for webhooks and direct transmission: HTTPS to public addresses only (the loopback, also over
plain HTTP, only when ``TUTELA_TRANSMIT_ALLOW_LOOPBACK`` is set, as tests do)."""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from tutela.core.errors import FieldError, InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

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


def _addresses(host: str, port: int) -> list[IPAddress]:
    """The addresses ``host`` stands for: itself when it is an IP literal, else what DNS answers (empty when
    the name does not resolve: nothing can be sent there anyway)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    out: list[IPAddress] = []
    for info in infos:
        try:
            out.append(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]))
        except ValueError:
            continue
    return out


def forbidden_address(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why Tutela will not send personal data to ``address`` (None when it may)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    for reason, hit in (
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("an unspecified address", address.is_unspecified),
        ("a reserved address", address.is_reserved),
        ("a private address", address.is_private),
        ("not a public address", not address.is_global),
    ):
        if hit:
            return reason
    return None


def check_url(url: str, *, field: str = "url") -> str:
    """An outbound endpoint Tutela may call: HTTPS to a public address. Names are resolved and refused when any
    address is private, loopback, link-local, multicast or reserved (no request forgery towards the internal
    network). ``TUTELA_TRANSMIT_ALLOW_LOOPBACK`` (tests, local receivers) allows the loopback, also over plain
    HTTP."""
    from django.conf import settings

    allow_loopback = bool(getattr(settings, "TUTELA_TRANSMIT_ALLOW_LOOPBACK", False))
    parts = urlsplit((url or "").strip())
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = -1
    if parts.scheme not in ("https", "http") or not parts.hostname or port < 0:
        raise InvalidInput("bad endpoint", errors=[FieldError(f"not an http(s) URL: {url!r}", field=field)])
    addresses = _addresses(parts.hostname, port)
    if parts.scheme == "http" and not (
        allow_loopback and addresses and all(a.is_loopback for a in addresses)
    ):
        raise InvalidInput("bad endpoint", errors=[FieldError("the endpoint must use HTTPS", field=field)])
    for address in addresses:
        reason = forbidden_address(address, allow_loopback=allow_loopback)
        if reason:
            raise InvalidInput(
                "bad endpoint",
                errors=[FieldError(f"the endpoint's host is {reason}: not allowed", field=field)],
            )
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
