"""Two staff acting on the same request at once: it is fulfilled exactly once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError, connection

from tests.factories.rights import open_request, prospect
from tutela.accounts.principal import CLI
from tutela.core.errors import Conflict
from tutela.rights.fulfil import request_fulfil
from tutela.rights.models import RightsRequest


def patiently(fn: Callable[[], Any]) -> Any:
    """The in-memory SQLite test database reports "table is locked" at once instead of waiting like a file
    database with its busy timeout does: wait the same way here (PostgreSQL blocks on the row lock)."""
    for _ in range(400):
        try:
            return fn()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.025)
    raise AssertionError("still locked")


@pytest.mark.django_db(transaction=True)
def test_two_threads_fulfil_once(policy: Any) -> None:
    prospect()
    req = open_request("erasure", "jan.peeters@example.be")
    version = req.version
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            try:
                patiently(lambda: request_fulfil(request_id=req.pk, expected_version=version, principal=CLI))
                result = "done"
            except Conflict:
                result = "conflict"
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "done"]
    req.refresh_from_db()
    assert req.status == "answered"
    from tutela.core.audit import AuditEntry

    assert AuditEntry.objects.filter(action="request.fulfil", object_id=str(req.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_without_version_the_second_sees_it_closed(policy: Any) -> None:
    prospect()
    req = open_request("access", "jan.peeters@example.be")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            barrier.wait()
            try:
                patiently(lambda: request_fulfil(request_id=req.pk, principal=CLI))
                outcomes.append("done")
            except Conflict:
                outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "done"]
    assert RightsRequest.objects.get(pk=req.pk).status == "answered"
