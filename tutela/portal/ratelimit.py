"""A small fixed-window rate limiter on Django's cache (the database cache table by default).

Public forms call :func:`allow` once per submission with the client's IP address and, when the form names
one, the person's identifier (e-mail address). Keys are hashed: the cache never holds an address in clear.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.http import HttpRequest

from tutela.core import clock

log = logging.getLogger(__name__)
WINDOW_SECONDS = 3600


def client_ip(request: HttpRequest) -> str:
    """The peer address. Behind a proxy, the proxy sets REMOTE_ADDR (waitress trusted_proxy) — never trust
    a raw X-Forwarded-For header here, or any client could pick its own bucket."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _key(scope: str, kind: str, value: str, window: int) -> str:
    digest = hashlib.sha256(f"{scope}|{kind}|{value.strip().lower()}".encode()).hexdigest()[:32]
    return f"rl:{scope}:{kind}:{window}:{digest}"


def _hit(key: str) -> int:
    if cache.add(key, 1, timeout=WINDOW_SECONDS):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS)
        return 1


def allow(request: HttpRequest, scope: str, identifier: str | None = None, limit: int | None = None) -> bool:
    """Count one attempt on ``scope`` for this IP (and identifier); False once either is over the limit,
    and False when the counters cannot be kept (the cache table is missing): the limiter fails closed."""
    limit = limit or settings.TUTELA_RATE_LIMIT_PER_HOUR
    window = int(clock.now().timestamp()) // WINDOW_SECONDS
    try:
        # a savepoint: a failing cache query must not spoil the request's transaction (PostgreSQL)
        with transaction.atomic():
            counts = [_hit(_key(scope, "ip", client_ip(request), window))]
            if identifier:
                counts.append(_hit(_key(scope, "id", identifier, window)))
    except DatabaseError:  # the cache table is missing: `tutela init` creates it
        # fail closed: without counters nothing stops guessing codes or flooding mailboxes
        log.error(
            "rate limiter unavailable (scope %s): attempt refused; run `tutela init` to create the cache table",
            scope,
        )
        return False
    return max(counts) <= limit
