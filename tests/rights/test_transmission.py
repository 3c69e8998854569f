"""Direct transmission (Art. 20(2)) after commit: a real local HTTP server plays the other controller.

The fulfilment commits the decision and the package first; the transmission runs afterwards, holding no row
lock and no transaction, is recorded before it is sent, is never sent twice once delivered, and when it
fails the person is told and gets the file.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django_tasks import TaskResultStatus

from tests.factories.rights import member, open_request
from tutela.accounts.principal import CLI
from tutela.core import clock, crypto
from tutela.core.models import AuditEntry
from tutela.rights import transport
from tutela.rights.fulfil import request_fulfil
from tutela.rights.models import RightsRequest, TransmissionReceipt

DELIVERED = "Sent directly to the controller you named (HTTP 201)."


@dataclass
class Remote:
    """What the other controller's endpoint saw; ``during`` runs in the server's thread on each call."""

    url: str = ""
    status: int = 201
    calls: int = 0
    bodies: list[bytes] = field(default_factory=list)
    during: Callable[[], None] | None = None


@pytest.fixture
def remote(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Remote]:
    settings.TUTELA_TRANSMIT_ALLOW_LOOPBACK = True  # the endpoint listens on the loopback
    monkeypatch.setattr(transport, "BACKOFF", 0.01)
    state = Remote()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state.calls += 1
            state.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            if state.during is not None:
                state.during()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"received": true}')

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/import"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _portability(url: str, *, ended_on: dt.date | None = None) -> RightsRequest:
    member(ended_on=ended_on)
    return open_request(
        "portability",
        "marie.dupont@example.be",
        details={
            "transmit_to": url,
            "transmit_token_sealed": crypto.encrypt("t0ken", context="request.transmit"),
        },
    )


def _fulfilled_with_no_worker(
    url: str, settings: Any, capture: Any, *, ended_on: dt.date | None = None
) -> RightsRequest:
    """A portability request fulfilled while the task queue is one no worker reads: the transmission is
    recorded (``pending``), not sent."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    req = _portability(url, ended_on=ended_on)
    with capture(execute=True):
        request_fulfil(request_id=req.pk, principal=CLI)
    return req


def _answers(outbox: list[Any]) -> list[Any]:
    return [m for m in outbox if m.extra_headers.get("X-Tutela-Letter") == "answer"]


def _transmit_audits(request_id: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="request.transmit", object_id=str(request_id)))


@pytest.mark.django_db(transaction=True)
def test_no_lock_and_no_transaction_are_held_during_the_call(
    policy: Any, remote: Remote, mailoutbox: list[Any]
) -> None:
    req = _portability(remote.url)
    worker = connections["default"]  # the connection of the thread that fulfils (and, inline, transmits)
    seen: dict[str, Any] = {}

    def from_another_connection() -> None:
        """In the server's thread: Django gives it a connection of its own."""
        seen["worker_in_transaction"] = worker.in_atomic_block
        try:
            with transaction.atomic():  # on SQLite a BEGIN IMMEDIATE: waits for (or fails on) any writer
                with connection.cursor() as cur:
                    lock = " FOR UPDATE NOWAIT" if connection.vendor == "postgresql" else ""
                    cur.execute(f"SELECT status, reasons FROM tutela_request WHERE id = %s{lock}", [req.pk])
                    seen["request"] = cur.fetchone()
                    cur.execute(
                        f"SELECT state, runs FROM tutela_transmission_receipt WHERE request_id = %s{lock}",
                        [req.pk],
                    )
                    seen["receipt"] = cur.fetchone()
                    # the row can be written: nobody holds it
                    cur.execute("UPDATE tutela_request SET version = version WHERE id = %s", [req.pk])
                    seen["updated"] = cur.rowcount
                transaction.set_rollback(True)
        except Exception as exc:  # a lock still held shows here
            seen["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()

    remote.during = from_another_connection
    result = request_fulfil(request_id=req.pk, principal=CLI)

    assert remote.calls == 1
    assert "error" not in seen, seen.get("error")
    assert seen["worker_in_transaction"] is False
    # the decision was committed before the call; the sentence about the transmission not yet
    status, reasons = seen["request"]
    assert status == "answered"
    reasons = json.loads(reasons) if isinstance(reasons, str) else reasons
    assert not any("controller you named" in r for r in reasons)
    # the attempt was on record while it ran
    assert tuple(seen["receipt"]) == ("sending", 1)
    assert seen["updated"] == 1
    # and after it, the outcome is in the answer, the receipt and the one answer letter
    assert result.outcome == "granted" and result.reasons[-1] == DELIVERED
    receipt = TransmissionReceipt.objects.get(request_id=req.pk)
    assert (receipt.state, receipt.delivered, receipt.attempts, receipt.status_code) == (
        "delivered",
        True,
        1,
        201,
    )
    assert receipt.body_sealed == ""
    (answer,) = _answers(mailoutbox)
    assert DELIVERED in answer.body


@pytest.mark.django_db
def test_a_task_run_again_after_delivery_does_not_send_twice(
    policy: Any, remote: Remote, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    from tutela.rights.portability import transmissions_resume
    from tutela.rights.tasks import transmit_task

    req = _portability(remote.url)
    with django_capture_on_commit_callbacks(execute=True):
        request_fulfil(request_id=req.pk, principal=CLI)
    receipt = TransmissionReceipt.objects.get(request_id=req.pk)
    assert remote.calls == 1 and receipt.state == "delivered"
    req.refresh_from_db()
    before = (req.version, req.reasons)

    with django_capture_on_commit_callbacks(execute=True):
        retried = transmit_task.enqueue(receipt.pk)  # a retried task
        duplicate = transmit_task.enqueue(receipt.pk)  # and a duplicate of it
        assert transmissions_resume(principal=CLI) == 0  # nothing left to resume
    for run in (retried, duplicate):  # each ran to its end and found the receipt delivered
        assert (run.status, run.return_value) == (TaskResultStatus.SUCCESSFUL, "delivered")

    assert remote.calls == 1
    again = TransmissionReceipt.objects.get(pk=receipt.pk)
    assert (again.state, again.runs, again.attempts, again.at) == ("delivered", 1, 1, receipt.at)
    req.refresh_from_db()
    assert (req.version, req.reasons) == before
    assert len(_transmit_audits(req.pk)) == 1
    assert len(_answers(mailoutbox)) == 1


@pytest.mark.django_db
def test_a_failed_transmission_tells_the_person_who_gets_the_file(
    policy: Any, remote: Remote, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    remote.status = 503  # the other controller is down: every attempt is retried, then given up
    req = _portability(remote.url)
    with django_capture_on_commit_callbacks(execute=True):
        result = request_fulfil(request_id=req.pk, principal=CLI)
    assert result.outcome == "granted"
    assert remote.calls == 3  # the bounded retries: three attempts
    failed = (
        "Direct transmission to the controller you named failed after 3 attempts; "
        "the data are available for you to download."
    )
    req.refresh_from_db()
    assert req.status == "answered" and req.reasons[-1] == failed
    receipt = TransmissionReceipt.objects.get(request_id=req.pk)
    assert (receipt.state, receipt.delivered, receipt.attempts, receipt.status_code) == (
        "failed",
        False,
        3,
        503,
    )
    (answer,) = _answers(mailoutbox)
    assert failed in answer.body
    with zipfile.ZipFile(Path(req.details["package"])) as zf:
        sent = json.loads(remote.bodies[0])
        assert json.loads(zf.read("data.json")) == sent  # the file holds what was to be sent
    (audit,) = _transmit_audits(req.pk)
    assert audit.payload == {
        "delivered": False,
        "attempts": 3,
        "status_code": 503,
        "items": len(sent["items"]),
    }


@pytest.mark.django_db
def test_the_fulfilment_commits_first_and_a_dead_run_is_taken_over(
    policy: Any,
    remote: Remote,
    settings: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from tutela.rights.portability import CLAIM_SECONDS, transmissions_resume

    req = _fulfilled_with_no_worker(remote.url, settings, django_capture_on_commit_callbacks)
    req.refresh_from_db()
    receipt = TransmissionReceipt.objects.get(request_id=req.pk)
    assert req.status == "answered" and Path(req.details["package"]).exists()
    assert (receipt.state, receipt.runs, remote.calls) == ("pending", 0, 0)
    assert receipt.body_sealed and not _answers(mailoutbox)

    # what a run that died mid-call leaves: ``sending``, claimed; while it is recent, it is left alone
    TransmissionReceipt.objects.filter(pk=receipt.pk).update(state="sending", runs=1, claimed_at=clock.now())
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert transmissions_resume(principal=CLI) == 1
    assert remote.calls == 0

    # overdue: a later run takes it over and delivers
    overdue = clock.now() - dt.timedelta(seconds=CLAIM_SECONDS + 60)
    TransmissionReceipt.objects.filter(pk=receipt.pk).update(claimed_at=overdue)
    with django_capture_on_commit_callbacks(execute=True):
        transmissions_resume(principal=CLI)
    receipt.refresh_from_db()
    assert remote.calls == 1
    assert (receipt.state, receipt.runs, receipt.delivered, receipt.body_sealed) == ("delivered", 2, True, "")
    (answer,) = _answers(mailoutbox)
    assert DELIVERED in answer.body


@pytest.mark.django_db
def test_runs_that_keep_dying_are_bounded(
    policy: Any,
    remote: Remote,
    settings: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from tutela.rights.portability import CLAIM_SECONDS, MAX_RUNS, transmissions_resume

    req = _fulfilled_with_no_worker(remote.url, settings, django_capture_on_commit_callbacks)
    overdue = clock.now() - dt.timedelta(seconds=CLAIM_SECONDS + 60)
    TransmissionReceipt.objects.filter(request_id=req.pk).update(
        state="sending", runs=MAX_RUNS, claimed_at=overdue
    )
    with django_capture_on_commit_callbacks(execute=True):
        transmissions_resume(principal=CLI)
    assert remote.calls == 0
    receipt = TransmissionReceipt.objects.get(request_id=req.pk)
    assert (receipt.state, receipt.delivered, receipt.body_sealed) == ("failed", False, "")
    (answer,) = _answers(mailoutbox)
    assert "the data are available for you to download." in answer.body
    assert len(_transmit_audits(req.pk)) == 1


@pytest.mark.django_db
def test_erasure_cancels_a_transmission_not_yet_made(
    policy: Any,
    remote: Remote,
    settings: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from tutela.rights.portability import transmissions_resume

    req = _fulfilled_with_no_worker(  # a former member: the erasure goes ahead
        remote.url, settings, django_capture_on_commit_callbacks, ended_on=dt.date(2024, 6, 30)
    )
    receipt = TransmissionReceipt.objects.get(request_id=req.pk)
    assert (receipt.state, bool(receipt.body_sealed)) == ("pending", True)

    erasure = open_request("erasure", "marie.dupont@example.be")
    assert request_fulfil(request_id=erasure.pk, principal=CLI).outcome in ("done", "partial")
    receipt.refresh_from_db()
    assert (receipt.state, receipt.delivered, receipt.body_sealed) == ("failed", False, "")

    # a worker that starts later finds nothing to send
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        transmissions_resume(principal=CLI)
    assert remote.calls == 0
    assert not _transmit_audits(req.pk)


@pytest.mark.django_db
def test_tutela_rights_retry_sends_what_no_worker_took_up(
    policy: Any,
    remote: Remote,
    settings: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from django.core.management import call_command

    req = _fulfilled_with_no_worker(remote.url, settings, django_capture_on_commit_callbacks)
    assert remote.calls == 0 and not _answers(mailoutbox)

    capsys.readouterr()
    with django_capture_on_commit_callbacks(execute=True):  # the letter goes when the outcome commits
        call_command("rights", "retry", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["transmissions_tried"] == 1 and report["transmissions_waiting"] == 0
    assert remote.calls == 1
    assert TransmissionReceipt.objects.get(request_id=req.pk).state == "delivered"
    (answer,) = _answers(mailoutbox)
    assert DELIVERED in answer.body

    call_command("rights", "retry", "--json")
    assert json.loads(capsys.readouterr().out)["transmissions_tried"] == 0 and remote.calls == 1
