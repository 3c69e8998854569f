"""The audit trail: append-only, keyed hash chain, written in the same transaction as the change it records.

Each entry's hash is an HMAC-SHA256, under a key kept outside the database (``TUTELA_AUDIT_KEY``), of its
own fields, the hash of its payload and the previous entry's hash: editing, inserting or deleting a row
breaks the chain at that point, and whoever can write the database but does not hold the key cannot rebuild
it. Entries written before the chain was keyed (below ``AuditHead.keyed_from``) keep their plain SHA-256
hashes and are pinned by the first keyed entry (docs/decisions/0007-keyed-audit-chain.md). Erasure redacts a
payload but keeps its hash, so the chain still verifies after redaction (docs/decisions/0001-audit-chain.md).

Who acts is named per context: the web middleware binds "anonymous" for each request and the login layers
name the staff user or token; commands, tasks and the system name themselves with :func:`acting_as`; a
service may pass ``actor=principal.actor`` explicitly, which wins over the context.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection, transaction
from django.dispatch import receiver

from tutela.core import clock
from tutela.core.models import GENESIS_HASH, AuditEntry, AuditHead

_actor: contextvars.ContextVar[str] = contextvars.ContextVar("tutela_actor", default="system")

REDACTED = {"redacted": True}
#: the actor of what Tutela writes when it upgrades its own chain
UPGRADE_ACTOR = "system:upgrade"


def set_actor(actor: str) -> contextvars.Token[str]:
    """Name who is acting for the rest of this context (CLI user, staff user, API token, the system).

    Keep the token and give it to :func:`reset_actor` when the work ends, or use :func:`acting_as`."""
    return _actor.set(actor)


def reset_actor(token: contextvars.Token[str]) -> None:
    """Put back the actor that was current before the :func:`set_actor` call that returned ``token``."""
    _actor.reset(token)


@contextmanager
def acting_as(actor: str) -> Iterator[str]:
    """``with acting_as("system:retention"): …``: the actor for the block, the previous one after it."""
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def current_actor() -> str:
    return _actor.get()


# ---------------------------------------------------------------- the audit key
@lru_cache(maxsize=1)
def _subkeys() -> dict[str, bytes]:
    """Keys derived from ``TUTELA_AUDIT_KEY``, one per use, so a signature of one kind is never valid as
    another (an anchor is not an entry hash, a stored check is not an anchor)."""
    master = str(settings.TUTELA_AUDIT_KEY).encode()
    return {
        use: hmac.digest(master, f"tutela-audit-{use}".encode(), "sha256")
        for use in ("chain", "anchor", "check")
    }


def reset_audit_key_cache() -> None:
    _subkeys.cache_clear()
    _chain_hasher.cache_clear()


@receiver(setting_changed)
def _audit_key_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "TUTELA_AUDIT_KEY":
        reset_audit_key_cache()


def _hmac_hexer(key: bytes) -> Callable[[bytes], str]:
    """HMAC-SHA256 (RFC 2104) of many messages under one key, with the keyed inner and outer states
    computed once: the verification runs it for every entry."""
    if len(key) > 64:  # SHA-256's block size; longer keys are hashed first, as hmac does
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def hexdigest(message: bytes) -> str:
        i = inner.copy()
        i.update(message)
        o = outer.copy()
        o.update(i.digest())
        return o.hexdigest()

    return hexdigest


@lru_cache(maxsize=1)
def _chain_hasher() -> Callable[[bytes], str]:
    return _hmac_hexer(_subkeys()["chain"])


def chain_hasher() -> Callable[[str], str]:
    """The keyed hash of an entry's material (:func:`entry_material`), for code that writes many entries."""
    hexdigest = _chain_hasher()
    return lambda material: hexdigest(material.encode())


def sign(use: str, parts: list[Any]) -> str:
    """HMAC-SHA256 under the audit key derived for ``use`` ("anchor", "check") of a JSON array of parts."""
    material = json.dumps(parts, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(_subkeys()[use], material.encode(), hashlib.sha256).hexdigest()


def signature_valid(use: str, parts: list[Any], signature: str) -> bool:
    return hmac.compare_digest(sign(use, parts), str(signature))


# ---------------------------------------------------------------- entries
def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def payload_digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def audit_stamp(at: dt.datetime) -> str:
    """The form of an entry's time inside its hash (UTC, microseconds)."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_stamp = audit_stamp


def entry_material(
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
    """What an entry's hash covers: a JSON array of its fields, its payload's hash and the previous hash."""
    return json.dumps(
        [seq, _stamp(at), actor, action, object_type, object_id, subject_id, payload_hash, prev_hash],
        separators=(",", ":"),
        ensure_ascii=False,
    )


def entry_digest(*, keyed: bool = True, **fields: Any) -> str:
    """An entry's hash: HMAC-SHA256 under the audit key, or (``keyed=False``) the plain SHA-256 of the
    entries written before the chain was keyed. ``fields``: those of :func:`entry_material`."""
    material = entry_material(**fields)
    if keyed:
        return chain_hasher()(material)
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
    """Append several entries at once (one lock, one bulk insert).

    Each record's ``actor`` wins; without one, the actor of the context (:func:`current_actor`)."""
    records = list(records)
    if not records:
        return []
    keyed_hash = chain_hasher()
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            AuditHead.objects.get_or_create(pk=1)
            head = AuditHead.objects.select_for_update().get(pk=1)
        at = _entry_time()
        prev = head.entry_hash
        seq = head.seq
        entries = []
        for record in records:
            seq += 1
            payload = record.payload or {}
            p_hash = payload_digest(payload)
            actor = record.actor or current_actor()
            object_id = str(record.object_id)
            digest = keyed_hash(
                entry_material(
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


def _entry_time() -> dt.datetime:
    # millisecond precision: what every database and Django's JSON serialiser (backups) keep exactly
    at = clock.now()
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def chain_upgrade_legacy(head_model: Any = AuditHead, entry_model: Any = AuditEntry) -> int | None:
    """Key a chain written by a Tutela that hashed with plain SHA-256: the entries stay as they are, and one
    keyed entry appended after them pins their tip (``audit.chain.keyed``); from it on, every entry is keyed.

    Runs in the migration that introduced the key (with the migration's models) and after restoring a
    backup made before it. Does nothing on a chain already keyed or empty; returns the new entry's number.
    """
    with transaction.atomic():
        head = head_model.objects.select_for_update().filter(pk=1).first()
        if head is None or head.seq == 0 or head.keyed_from != 1:
            return None
        first = entry_model.objects.filter(seq=1).first()
        if first is None or first.entry_hash != _stored_digest(first, keyed=False):
            return None  # not a legacy chain (or broken at its first entry: verification will say so)
        seq = head.seq + 1
        at = _entry_time()
        payload = {"legacy_entries": head.seq, "legacy_head": head.entry_hash}
        p_hash = payload_digest(payload)
        fields: dict[str, Any] = {
            "seq": seq,
            "at": at,
            "actor": UPGRADE_ACTOR,
            "action": "audit.chain.keyed",
            "object_type": "audit_chain",
            "object_id": "",
            "subject_id": None,
            "payload_hash": p_hash,
            "prev_hash": head.entry_hash,
        }
        digest = entry_digest(**fields)
        entry_model.objects.create(**fields, payload=payload, entry_hash=digest)
        head_model.objects.filter(pk=1).update(seq=seq, entry_hash=digest, keyed_from=seq)
    return seq


def _stored_digest(entry: Any, *, keyed: bool) -> str:
    return entry_digest(
        keyed=keyed,
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        subject_id=entry.subject_id,
        payload_hash=entry.payload_hash,
        prev_hash=entry.prev_hash,
    )


def audit_redact_subject(subject_id: int) -> int:
    """Blank the payloads that concern one person, keeping their hashes so the chain still verifies."""
    with transaction.atomic():
        return AuditEntry.objects.filter(subject_id=subject_id, redacted_at__isnull=True).update(
            payload=REDACTED, redacted_at=clock.now()
        )


# ---------------------------------------------------------------- verification
@dataclass
class ChainReport:
    entries: int
    intact: bool
    first_broken: int | None
    problem: str | None
    #: the last entry found intact (number and hash): where a later verification of the tail starts
    seq: int = 0
    head: str = GENESIS_HASH
    #: False when ``limit`` stopped the verification before the chain's tip
    complete: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "intact": self.intact,
            "first_broken": self.first_broken,
            "problem": self.problem,
        }


def _rows(batch: int, after: int, upto: int) -> Iterator[list[tuple[Any, ...]]]:
    """The entries after ``after`` up to ``upto``, in order, in pages read with keyset pagination (constant
    memory), by a raw cursor.

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
        "WHERE seq > %s AND seq <= %s ORDER BY seq LIMIT %s"
    )
    last = after
    with connection.cursor() as cursor:
        while last < upto:
            cursor.execute(sql, [last, upto, batch])
            chunk = cursor.fetchall()
            if not chunk:
                return
            if connection.vendor != "postgresql":
                chunk = [(r[0], _stamp_of(r[1]), *r[2:]) for r in chunk]
            yield chunk
            if len(chunk) < batch:
                return
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


def audit_verify(
    *,
    batch: int = 50000,
    check_payloads: bool = True,
    after: int = 0,
    after_hash: str = GENESIS_HASH,
    limit: int | None = None,
) -> ChainReport:
    """Recompute the chain (or its tail after entry ``after``, known to hash ``after_hash``) up to the tip
    recorded when the verification starts; name the first entry where it breaks. ``limit`` bounds the
    number of entries read (the report then says ``complete=False`` unless the tip was reached).

    The entry hash is recomputed from the same material as :func:`entry_material` (a JSON array serialised
    with ``json.dumps``'s own string encoder, so byte for byte the same), without building the list and
    calling the encoder per row. A payload's digest is remembered by its stored JSON text: the same text is
    the same value, so the same canonical form.
    """
    tip = AuditHead.objects.filter(pk=1).values_list("seq", "entry_hash", "keyed_from").first()
    head_seq, head_hash, keyed_from = tip if tip else (0, GENESIS_HASH, 1)
    if head_seq and not 1 <= keyed_from <= head_seq:
        # a chain's last entry is always keyed: a tip outside the keyed part would let plain SHA-256 stand
        return ChainReport(0, False, keyed_from if keyed_from > 0 else 1, "the chain's keyed part was moved")
    if after:
        at_start = AuditEntry.objects.filter(seq=after).values_list("entry_hash", flat=True).first()
        if at_start != after_hash:
            return ChainReport(0, False, after, "the entry last found intact was changed or removed")
    upto = head_seq if limit is None else min(head_seq, after + limit)
    prev = after_hash
    expected_seq = after
    count = 0
    digests: dict[str, str] = {}
    sha256 = hashlib.sha256
    keyed = _chain_hasher()
    js = _json_string
    for chunk in _rows(min(batch, max(upto - after, 1)), after, upto):
        for seq, stamp, actor, action, otype, oid, sid, payload, p_hash, prev_hash, e_hash, redacted in chunk:
            count += 1
            expected_seq += 1
            if seq != expected_seq:
                return ChainReport(
                    count, False, expected_seq, f"entry {expected_seq} is missing", expected_seq - 1, prev
                )
            if prev_hash != prev:
                return ChainReport(count, False, seq, "does not link to the entry before it", seq - 1, prev)
            if check_payloads and not redacted:
                known = digests.get(payload)
                if known is None:
                    known = payload_digest(json.loads(payload))
                    if len(digests) > 100_000:
                        digests.clear()
                    digests[payload] = known
                if known != p_hash:
                    return ChainReport(
                        count, False, seq, "payload differs from its recorded hash", seq - 1, prev
                    )
            material = (
                f'[{seq},"{stamp}",{js(actor)},{js(action)},{js(otype)},{js(oid)},'
                f"{'null' if sid is None else int(sid)},{js(p_hash)},{js(prev_hash)}]"
            ).encode()
            digest = keyed(material) if seq >= keyed_from else sha256(material).hexdigest()
            if digest != e_hash:
                return ChainReport(
                    count, False, seq, "entry fields differ from its recorded hash", seq - 1, prev
                )
            prev = e_hash
    if upto < head_seq:
        if expected_seq < upto:
            return ChainReport(count, False, expected_seq + 1, f"entry {expected_seq + 1} is missing")
        return ChainReport(count, True, None, None, expected_seq, prev, complete=False)
    if head_seq != expected_seq or head_hash != prev:
        return ChainReport(
            count,
            False,
            expected_seq + 1 if head_seq > expected_seq else head_seq or None,
            "the chain's recorded tip does not match its last entry (entries removed at the end?)",
            after,
            after_hash,
        )
    return ChainReport(count, True, None, None, expected_seq, prev)
