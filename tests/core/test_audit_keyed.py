"""The chain is keyed: whoever can write the database but lacks the audit key cannot rebuild it unnoticed.

The tampering here is what a script with database access does: edit an entry, then recompute every hash after
it (with plain SHA-256, as the chain used to be, or with a guessed key) and the recorded tip. Hashes are
recomputed with the standard library, not with Tutela's code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.db import connection

from tutela.core.audit import audit_log, audit_redact_subject, audit_verify
from tutela.core.models import AuditEntry, AuditHead

pytestmark = pytest.mark.django_db(transaction=True)

Hasher = Callable[[bytes], str]


def sha256(material: bytes) -> str:
    return hashlib.sha256(material).hexdigest()


def hmac_with(master: str) -> Hasher:
    chain_key = hmac.new(master.encode(), b"tutela-audit-chain", hashlib.sha256).digest()
    return lambda material: hmac.new(chain_key, material, hashlib.sha256).hexdigest()


def material_of(e: AuditEntry, prev: str) -> bytes:
    stamp = e.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    fields = [e.seq, stamp, e.actor, e.action, e.object_type, e.object_id, e.subject_id, e.payload_hash, prev]
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()


def rebuild(hasher: Hasher, *, start: int = 1, upto: int | None = None) -> None:
    """Recompute the hashes and links from entry ``start`` on (to ``upto``) and the recorded tip."""
    prev = AuditEntry.objects.filter(seq=start - 1).values_list("entry_hash", flat=True).first() or "0" * 64
    for e in AuditEntry.objects.filter(seq__gte=start).order_by("seq"):
        if upto is not None and e.seq > upto:
            break
        digest = hasher(material_of(e, prev))
        AuditEntry.objects.filter(seq=e.seq).update(prev_hash=prev, entry_hash=digest)
        prev = digest
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None
    AuditHead.objects.filter(pk=1).update(seq=last.seq, entry_hash=last.entry_hash)


def _write(n: int, subject_id: int | None = None) -> None:
    for i in range(n):
        audit_log("test.event", object_type="thing", object_id=i, subject_id=subject_id, payload={"i": i})


def test_an_edit_with_the_chain_recomputed_in_plain_sha256_is_found() -> None:
    _write(6)
    AuditEntry.objects.filter(seq=3).update(actor="someone-else")
    rebuild(sha256, start=3)
    report = audit_verify()
    assert not report.intact and report.first_broken == 3, report


def test_an_edit_with_the_chain_recomputed_under_a_guessed_key_is_found() -> None:
    _write(6)
    AuditEntry.objects.filter(seq=4).update(action="test.harmless")
    rebuild(hmac_with("a key that is not the audit key, guessed by the attacker"), start=4)
    report = audit_verify()
    assert not report.intact and report.first_broken == 4


def test_the_same_rebuild_with_the_real_key_verifies(settings) -> None:
    """The control of the two tests above: their rebuild is right, only the key was missing."""
    _write(6)
    AuditEntry.objects.filter(seq=4).update(action="test.harmless")
    rebuild(hmac_with(settings.TUTELA_AUDIT_KEY), start=4)
    assert audit_verify().intact


def test_another_audit_key_does_not_verify_the_chain(settings) -> None:
    _write(3)
    assert audit_verify().intact
    settings.TUTELA_AUDIT_KEY = "x" * 48
    report = audit_verify()
    assert not report.intact and report.first_broken == 1


@pytest.mark.parametrize("keyed_part", ["none", "last entry only"])
def test_moving_the_keyed_part_does_not_let_plain_hashes_stand(keyed_part: str) -> None:
    """A downgrade: the whole chain rehashed in plain SHA-256, and the head told that the keyed part starts
    after the tip (or at the last entry, kept as it was)."""
    _write(5)
    if keyed_part == "none":
        rebuild(sha256)
        AuditHead.objects.filter(pk=1).update(keyed_from=6)
    else:
        rebuild(sha256, upto=4)
        AuditHead.objects.filter(pk=1).update(keyed_from=5)
    assert not audit_verify().intact


def test_redaction_of_a_keyed_chain_still_verifies() -> None:
    _write(3, subject_id=41)
    _write(2, subject_id=42)
    assert audit_redact_subject(41) == 3
    assert audit_verify().intact
    AuditEntry.objects.filter(subject_id=41).update(object_type="changed")
    assert not audit_verify().intact


def _legacy_entries(n: int) -> tuple[int, str]:
    """Entries as a Tutela before the keyed chain wrote them: plain SHA-256 (raw SQL, the 0002 schema)."""
    prev = "0" * 64
    at = dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.UTC)
    table = "tutela_audit_entry"
    for seq in range(1, n + 1):
        payload = json.dumps({"n": seq}, separators=(",", ":"))
        p_hash = hashlib.sha256(payload.encode()).hexdigest()
        fields = [
            seq,
            at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "cli:ops",
            "legacy.event",
            "thing",
            str(seq),
            None,
        ]
        material = json.dumps([*fields, p_hash, prev], separators=(",", ":")).encode()
        digest = hashlib.sha256(material).hexdigest()
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {table} (seq, at, actor, action, object_type, object_id, subject_id, payload, "
                "payload_hash, prev_hash, entry_hash) VALUES (%s, %s, %s, %s, %s, %s, NULL, %s, %s, %s, %s)",
                [seq, at, "cli:ops", "legacy.event", "thing", str(seq), payload, p_hash, prev, digest],
            )
        prev = digest
    with connection.cursor() as cur:
        cur.execute("DELETE FROM tutela_audit_head")
        cur.execute("INSERT INTO tutela_audit_head (id, seq, entry_hash) VALUES (1, %s, %s)", [n, prev])
    return n, prev


def test_a_chain_written_before_the_key_keeps_verifying_after_the_upgrade() -> None:
    call_command("migrate", "core", "0002", verbosity=0)
    try:
        legacy_n, legacy_head = _legacy_entries(4)
    finally:
        call_command("migrate", "core", verbosity=0)
    head = AuditHead.objects.get(pk=1)
    # one keyed entry pins the legacy tip; every entry from it on is keyed
    assert head.keyed_from == legacy_n + 1 == head.seq
    pin = AuditEntry.objects.get(seq=legacy_n + 1)
    assert pin.action == "audit.chain.keyed" and pin.prev_hash == legacy_head
    assert pin.payload == {"legacy_entries": legacy_n, "legacy_head": legacy_head}
    report = audit_verify()
    assert report.intact and report.entries == legacy_n + 1, report
    _write(2)
    assert audit_verify().intact

    # the legacy entries are pinned: editing one and recomputing the plain hashes below the pin is found
    AuditEntry.objects.filter(seq=2).update(actor="someone-else")
    rebuild(sha256, start=2, upto=legacy_n)
    broken = audit_verify()
    assert not broken.intact and broken.first_broken == legacy_n + 1


def test_the_upgrade_leaves_a_keyed_chain_alone() -> None:
    from tutela.core.audit import chain_upgrade_legacy

    _write(3)
    assert chain_upgrade_legacy() is None
    assert AuditHead.objects.get(pk=1).keyed_from == 1 and AuditEntry.objects.count() == 3
