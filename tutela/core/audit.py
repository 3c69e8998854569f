"""The audit trail: append-only, hash-chained, written in the same transaction as the change it records.

Each entry's hash covers its own fields, the hash of its payload and the previous entry's hash, so editing,
inserting or deleting a row breaks the chain at that point. Erasure redacts a payload but keeps its hash,
so the chain still verifies after redaction (see docs/decisions/0001-audit-chain.md).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from django.db import connection, transaction

from tutela.core import clock
from tutela.core.models import GENESIS_HASH, AuditEntry, AuditHead

_actor: contextvars.ContextVar[str] = contextvars.ContextVar("tutela_actor", default="system")

REDACTED = {"redacted": True}


def set_actor(actor: str) -> contextvars.Token[str]:
    """Name who is acting for the rest of this context (CLI user, staff user, API token, the system)."""
    return _actor.set(actor)


def current_actor() -> str:
    return _actor.get()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def payload_digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def audit_stamp(at: dt.datetime) -> str:
    """The form of an entry's time inside its hash (UTC, microseconds)."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_stamp = audit_stamp


def entry_digest(
    *,
    seq: int,
    at: dt.datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    subject_id: int | None,
    payload_hash: str,
    prev_hash: str,
) -> str:
    material = json.dumps(
        [seq, _stamp(at), actor, action, object_type, object_id, subject_id, payload_hash, prev_hash],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(material.encode()).hexdigest()


@dataclass(frozen=True)
class AuditRecord:
    """What a caller wants logged; the chain fields are added by :func:`audit_many`."""

    action: str
    object_type: str = ""
    object_id: str | int = ""
    subject_id: int | None = None
    payload: dict[str, Any] | None = None
    actor: str | None = None


def audit_log(
    action: str,
    *,
    object_type: str = "",
    object_id: str | int = "",
    subject_id: int | None = None,
    payload: dict[str, Any] | None = None,
    actor: str | None = None,
) -> AuditEntry:
    """Append one entry. Call inside the transaction that makes the change."""
    record = AuditRecord(action, object_type, object_id, subject_id, payload, actor)
    return audit_many([record])[0]


def audit_many(records: Iterable[AuditRecord]) -> list[AuditEntry]:
    """Append several entries at once (one lock, one bulk insert)."""
    records = list(records)
    if not records:
        return []
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            AuditHead.objects.get_or_create(pk=1)
            head = AuditHead.objects.select_for_update().get(pk=1)
        # millisecond precision: what every database and Django's JSON serialiser (backups) keep exactly
        at = clock.now()
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)
        prev = head.entry_hash
        seq = head.seq
        entries = []
        for record in records:
            seq += 1
            payload = record.payload or {}
            p_hash = payload_digest(payload)
            actor = record.actor or current_actor()
            object_id = str(record.object_id)
            digest = entry_digest(
                seq=seq,
                at=at,
                actor=actor,
                action=record.action,
                object_type=record.object_type,
                object_id=object_id,
                subject_id=record.subject_id,
                payload_hash=p_hash,
                prev_hash=prev,
            )
            entries.append(
                AuditEntry(
                    seq=seq,
                    at=at,
                    actor=actor,
                    action=record.action,
                    object_type=record.object_type,
                    object_id=object_id,
                    subject_id=record.subject_id,
                    payload=payload,
                    payload_hash=p_hash,
                    prev_hash=prev,
                    entry_hash=digest,
                )
            )
            prev = digest
        AuditEntry.objects.bulk_create(entries, batch_size=1000)
        AuditHead.objects.filter(pk=1).update(seq=seq, entry_hash=prev)
    return entries


def audit_redact_subject(subject_id: int) -> int:
    """Blank the payloads that concern one person, keeping their hashes so the chain still verifies."""
    with transaction.atomic():
        return AuditEntry.objects.filter(subject_id=subject_id, redacted_at__isnull=True).update(
            payload=REDACTED, redacted_at=clock.now()
        )


@dataclass
class ChainReport:
    entries: int
    intact: bool
    first_broken: int | None
    problem: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "intact": self.intact,
            "first_broken": self.first_broken,
            "problem": self.problem,
        }


def _rows(batch: int) -> Iterator[list[tuple[Any, ...]]]:
    """All entries in order, in pages read with keyset pagination (constant memory), by a raw cursor.

    Each row: seq, the hashed time form, actor, action, object_type, object_id, subject_id, the payload's
    JSON text, payload_hash, prev_hash, entry_hash, redacted. PostgreSQL formats the time itself.
    """
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    if connection.vendor == "postgresql":
        stamp = "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        payload = "payload::text"
    else:
        stamp, payload = "at", "payload"
    sql = (
        f"SELECT seq, {stamp}, actor, action, object_type, object_id, subject_id, {payload}, "  # noqa: S608
        f"payload_hash, prev_hash, entry_hash, redacted_at IS NOT NULL FROM {table} "
        "WHERE seq > %s ORDER BY seq LIMIT %s"
    )
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [last, batch])
            chunk = cursor.fetchall()
            if not chunk:
                return
            if connection.vendor != "postgresql":
                chunk = [(r[0], _stamp_of(r[1]), *r[2:]) for r in chunk]
            yield chunk
            last = chunk[-1][0]


def _stamp_of(value: Any) -> str:
    """The hashed time form of a timestamp read raw (SQLite keeps naive UTC text)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return audit_stamp(value)


def _json_string(value: str) -> str:
    return encode_basestring(value)  # type: ignore[no-any-return]


def audit_verify(*, batch: int = 50000, check_payloads: bool = True) -> ChainReport:
    """Recompute the whole chain; name the first entry where it breaks.

    The entry hash is recomputed from the same material as :func:`entry_digest` (a JSON array serialised
    with ``json.dumps``'s own string encoder, so byte for byte the same), without building the list and
    calling the encoder per row. A payload's digest is remembered by its stored JSON text: the same text is
    the same value, so the same canonical form.
    """
    prev = GENESIS_HASH
    expected_seq = 0
    count = 0
    digests: dict[str, str] = {}
    sha256 = hashlib.sha256
    js = _json_string
    for chunk in _rows(batch):
        for seq, stamp, actor, action, otype, oid, sid, payload, p_hash, prev_hash, e_hash, redacted in chunk:
            count += 1
            expected_seq += 1
            if seq != expected_seq:
                return ChainReport(count, False, expected_seq, f"entry {expected_seq} is missing")
            if prev_hash != prev:
                return ChainReport(count, False, seq, "does not link to the entry before it")
            if check_payloads and not redacted:
                known = digests.get(payload)
                if known is None:
                    known = payload_digest(json.loads(payload))
                    if len(digests) > 100_000:
                        digests.clear()
                    digests[payload] = known
                if known != p_hash:
                    return ChainReport(count, False, seq, "payload differs from its recorded hash")
            material = (
                f'[{seq},"{stamp}",{js(actor)},{js(action)},{js(otype)},{js(oid)},'
                f"{'null' if sid is None else int(sid)},{js(p_hash)},{js(prev_hash)}]"
            )
            if sha256(material.encode()).hexdigest() != e_hash:
                return ChainReport(count, False, seq, "entry fields differ from its recorded hash")
            prev = e_hash
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)
    if head_seq != expected_seq or head_hash != prev:
        return ChainReport(
            count,
            False,
            expected_seq + 1 if head_seq > expected_seq else head_seq or None,
            "the chain's recorded tip does not match its last entry (entries removed at the end?)",
        )
    return ChainReport(count, True, None, None)
