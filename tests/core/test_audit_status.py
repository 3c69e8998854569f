"""A broken chain makes /healthz report degraded, cheaply: the signed last verification plus the tail since."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tutela.core.audit import audit_log, current_actor
from tutela.core.audit_proof import audit_check_full, audit_status
from tutela.core.models import AuditCheck, AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


def _write(n: int) -> None:
    for i in range(n):
        audit_log("test.event", object_type="thing", object_id=i, payload={"i": i})


def _health() -> Any:
    return Client().get("/healthz")


def test_healthz_reports_an_intact_chain(policy: Any) -> None:
    _write(3)
    r = _health()
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["audit"]["intact"] is True
    assert body["audit"]["verified_to"] == AuditEntry.objects.count() and body["audit"]["pending"] == 0
    assert {"version", "database", "policy_version"} <= set(body)


def test_an_entry_edited_after_the_last_verification_makes_healthz_degraded(policy: Any) -> None:
    _write(2)
    assert _health().status_code == 200
    _write(3)
    edited = AuditEntry.objects.order_by("-seq")[1]
    AuditEntry.objects.filter(seq=edited.seq).update(actor="someone-else")
    r = _health()
    assert r.status_code == 503
    assert r.json()["status"] == "degraded"
    assert r.json()["audit"] == {**r.json()["audit"], "intact": False, "first_broken": edited.seq}


def test_an_old_entry_edited_is_found_by_the_next_full_verification(policy: Any) -> None:
    """The tail check reads only what was written since the last verification; the full one reads all."""
    _write(4)
    assert audit_status()["intact"]
    AuditEntry.objects.filter(seq=2).update(action="test.other")
    assert _health().status_code == 200  # not read again until the next full verification
    assert not audit_check_full().intact
    r = _health()
    assert r.status_code == 503 and r.json()["audit"]["first_broken"] == 2


def test_a_broken_result_stays_until_a_full_verification_clears_it(policy: Any) -> None:
    _write(3)
    original = AuditEntry.objects.get(seq=3).actor
    AuditEntry.objects.filter(seq=3).update(actor="x")
    assert not audit_status()["intact"]
    AuditEntry.objects.filter(seq=3).update(actor=original)  # put back as it was
    assert not audit_status()["intact"]
    assert audit_check_full().intact
    assert audit_status()["intact"] and _health().status_code == 200


@pytest.mark.parametrize(
    "alter",
    [{"intact": True, "first_broken": None, "problem": ""}, {"seq": 0}, {"entry_hash": "0" * 64}],
    ids=["cleared", "moved back", "other hash"],
)
def test_a_stored_result_altered_in_the_database_reads_as_broken(policy: Any, alter: dict[str, Any]) -> None:
    _write(3)
    AuditEntry.objects.filter(seq=2).update(actor="x")
    assert not audit_check_full().intact
    AuditCheck.objects.filter(pk=1).update(**alter)
    status = audit_status()
    assert not status["intact"] and "altered" in (status["problem"] or "")
    assert _health().status_code == 503


def test_a_removed_entry_last_found_intact_is_found(policy: Any) -> None:
    _write(4)
    assert audit_status()["intact"]
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None
    seq = last.seq
    last.delete()
    status = audit_status()
    assert not status["intact"] and status["first_broken"] == seq


def test_the_tail_is_verified_a_bounded_number_at_a_time() -> None:
    _write(2)
    assert audit_status(tail_limit=10)["verified_to"] == 2
    _write(5)
    first = audit_status(tail_limit=2)
    assert first["intact"] and first["verified_to"] == 4 and first["pending"] == 3
    second = audit_status(tail_limit=10)
    assert second["verified_to"] == 7 and second["pending"] == 0


def test_the_nightly_sweep_verifies_the_whole_chain(policy: Any) -> None:
    from tutela.retention.tasks import retention_sweep_task

    _write(3)
    assert audit_status()["intact"]
    AuditEntry.objects.filter(seq=2).update(action="test.other")
    assert audit_status()["intact"]  # an old entry: the tail check does not read it again
    before = current_actor()
    result = retention_sweep_task.call()
    assert current_actor() == before  # the sweep's actor does not outlive it
    assert result["audit_intact"] is False
    check = AuditCheck.objects.get(pk=1)
    assert check.full_at is not None and not check.intact and check.first_broken == 2
    assert _health().status_code == 503
