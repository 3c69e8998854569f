"""The audit trail is a keyed hash chain: any edit, insertion or deletion is found, and redaction is not one."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.db import connection

from tutela.core.audit import audit_log, audit_redact_subject, audit_verify
from tutela.core.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


def _write(n: int, subject_id: int | None = None) -> None:
    for i in range(n):
        audit_log("test.event", object_type="thing", object_id=i, subject_id=subject_id, payload={"i": i})


def test_a_fresh_chain_verifies() -> None:
    _write(5)
    report = audit_verify()
    assert report.intact and report.entries == 5 and report.first_broken is None


def test_entries_link_by_a_keyed_hash_of_the_previous_one(settings) -> None:
    _write(3)
    rows = list(AuditEntry.objects.order_by("seq"))
    assert rows[0].prev_hash == "0" * 64
    assert rows[1].prev_hash == rows[0].entry_hash and rows[2].prev_hash == rows[1].entry_hash
    # the payload hash is the SHA-256 of the canonical JSON, computed here independently
    expected = hashlib.sha256(json.dumps({"i": 2}, separators=(",", ":")).encode()).hexdigest()
    assert rows[2].payload_hash == expected
    # the entry hash is HMAC-SHA256 under the chain key derived from TUTELA_AUDIT_KEY (RFC 2104, stdlib)
    chain_key = hmac.new(settings.TUTELA_AUDIT_KEY.encode(), b"tutela-audit-chain", hashlib.sha256).digest()
    e = rows[2]
    stamp = e.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    material = json.dumps(
        [
            e.seq,
            stamp,
            e.actor,
            e.action,
            e.object_type,
            e.object_id,
            e.subject_id,
            e.payload_hash,
            e.prev_hash,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert e.entry_hash == hmac.new(chain_key, material.encode(), hashlib.sha256).hexdigest()
    assert e.entry_hash != hashlib.sha256(material.encode()).hexdigest()


def test_a_payload_edited_in_the_database_is_detected() -> None:
    _write(4)
    with connection.cursor() as cur:
        cur.execute("UPDATE tutela_audit_entry SET payload = %s WHERE seq = 3", [json.dumps({"i": 99})])
    report = audit_verify()
    assert not report.intact and report.first_broken == 3


def test_an_actor_edited_in_the_database_is_detected() -> None:
    _write(4)
    with connection.cursor() as cur:
        cur.execute("UPDATE tutela_audit_entry SET actor = 'someone-else' WHERE seq = 2")
    report = audit_verify()
    assert not report.intact and report.first_broken == 2


def test_a_deleted_entry_is_detected() -> None:
    _write(5)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM tutela_audit_entry WHERE seq = 2")
    report = audit_verify()
    assert not report.intact and report.first_broken == 2


def test_removing_the_last_entries_is_detected() -> None:
    _write(5)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM tutela_audit_entry WHERE seq >= 4")
    report = audit_verify()
    assert not report.intact


def test_redaction_keeps_the_chain_verifiable() -> None:
    _write(2, subject_id=7)
    _write(2, subject_id=8)
    assert audit_redact_subject(7) == 2
    redacted = AuditEntry.objects.filter(subject_id=7)
    assert all(e.payload == {"redacted": True} for e in redacted)
    assert AuditEntry.objects.filter(subject_id=8, payload__i=1).exists()
    assert audit_verify().intact
