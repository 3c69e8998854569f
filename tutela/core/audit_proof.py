"""Proofs about the audit chain: signed anchors for an external store, and the last verification, kept cheap.

An anchor is the chain's head (number and hash of its last entry) at a moment, signed with HMAC-SHA256 under
a key derived from the audit key. Kept outside Tutela (another machine, write-once storage), it proves later
that the database still extends that head: the entry at that number must still carry that hash, which
nobody can fake by rebuilding the chain, even with the key, once the anchor is out of reach.

The last verification is stored signed in one row (``AuditCheck``): the health check and the dashboard read
it and verify only the entries written since, a bounded number per call, so they stay fast on a chain of
millions. A full verification (``tutela audit verify``, the nightly sweep) checks everything again and
replaces it. See docs/decisions/0007-keyed-audit-chain.md.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.db import transaction

from tutela.core import clock
from tutela.core.audit import (
    ChainReport,
    audit_log,
    audit_stamp,
    audit_verify,
    sign,
    signature_valid,
)
from tutela.core.errors import InvalidInput
from tutela.core.models import GENESIS_HASH, AuditCheck, AuditEntry, AuditHead

#: entries the health check and the dashboard verify per call beyond the last verification
TAIL_LIMIT = 100_000
ANCHOR_KEYS = ("seq", "head", "at", "signature")


# ---------------------------------------------------------------- anchors
def _anchor_parts(seq: int, head: str, at: str) -> list[Any]:
    return ["tutela-audit-anchor", int(seq), str(head), str(at)]


def audit_anchor(*, out: Path | None = None) -> dict[str, Any]:
    """Record that the head is being anchored (an entry of its own), then sign the head that includes it.

    With ``out``, the anchor is also written to that file (created 0600, replaced atomically)."""
    with transaction.atomic():
        audit_log(
            "audit.anchor",
            object_type="audit_chain",
            payload={"out": out.name if out else None},
        )
        seq, head = AuditHead.objects.values_list("seq", "entry_hash").get(pk=1)
    at = clock.now().astimezone(dt.UTC).isoformat(timespec="seconds")
    anchor = {"seq": seq, "head": head, "at": at, "signature": sign("anchor", _anchor_parts(seq, head, at))}
    if out is not None:
        _write_private(out, json.dumps(anchor, indent=2) + "\n")
    return anchor


def _write_private(path: Path, text: str) -> None:
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(partial, 0o600)
    partial.replace(path)


def anchor_read(path: Path) -> dict[str, Any]:
    """An anchor file as written by :func:`audit_anchor`; InvalidInput naming what is wrong otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the anchor ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not an anchor (not UTF-8 text)") from None
    try:
        anchor = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"{path}: not an anchor (not JSON: {exc})") from None
    if not isinstance(anchor, dict):
        raise InvalidInput(f"{path}: not an anchor (expected a JSON object)")
    missing = [key for key in ANCHOR_KEYS if key not in anchor]
    if missing:
        raise InvalidInput(f"{path}: not an anchor (missing {', '.join(missing)})")
    seq = anchor["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise InvalidInput(f"{path}: seq must be a whole number from 0")
    for key in ("head", "at", "signature"):
        if not isinstance(anchor[key], str):
            raise InvalidInput(f"{path}: {key} must be a string")
    return anchor


def anchor_check(anchor: dict[str, Any]) -> tuple[bool, bool, str | None]:
    """Is the anchor signed with this audit key, and does the database still hold its head?

    Returns (signature valid, chain extends the anchor, the problem in words)."""
    seq, head, at = anchor["seq"], anchor["head"], anchor["at"]
    if not signature_valid("anchor", _anchor_parts(seq, head, at), anchor["signature"]):
        return (
            False,
            False,
            "the anchor's signature is not valid with this audit key: forged, altered or foreign",
        )
    if seq == 0:
        if head != GENESIS_HASH:
            return True, False, "the anchor of an empty chain names a head"
        return True, True, None
    held = AuditEntry.objects.filter(seq=seq).values_list("entry_hash", flat=True).first()
    if held is None:
        return True, False, f"entry {seq} of the anchor is gone: the chain was cut below the anchored head"
    if held != head:
        return True, False, f"entry {seq} no longer has the anchored hash: the chain was rewritten"
    return True, True, None


def audit_verify_anchored(anchor: dict[str, Any] | None = None) -> tuple[ChainReport, dict[str, Any] | None]:
    """The full verification (recorded as the last one), and with an anchor, whether the chain extends it.

    A chain that does not extend a validly signed anchor is broken at the anchored entry (unless it breaks
    earlier); an anchor whose signature fails proves nothing and the verification fails with it."""
    report = audit_check_full()
    if anchor is None:
        return report, None
    signed, extends, problem = anchor_check(anchor)
    result = {"seq": anchor["seq"], "head": anchor["head"], "at": anchor["at"], "signed": signed}
    result.update(extends=extends, problem=problem)
    if not extends:
        first_broken = report.first_broken
        if signed and report.intact:
            # cut below the anchor: the first entry gone; rewritten: the anchored entry itself
            first_broken = min(anchor["seq"], report.seq + 1) or None
        reasons = "; ".join(p for p in (report.problem, problem) if p)
        report = ChainReport(report.entries, False, first_broken, reasons, report.seq, report.head)
    return report, result


# ---------------------------------------------------------------- the last verification
def _check_parts(row: AuditCheck) -> list[Any]:
    return [
        "tutela-audit-check",
        int(row.seq),
        row.entry_hash,
        bool(row.intact),
        row.first_broken,
        row.problem or "",
        audit_stamp(row.checked_at),
        audit_stamp(row.full_at) if row.full_at else None,
    ]


def _now() -> dt.datetime:
    at = clock.now()
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def _record(report: ChainReport, *, full: bool, replaces: AuditCheck | None = None) -> AuditCheck:
    """Store a verification's result, signed.

    A full verification always replaces what was there. A tail check replaces only the intact result it
    started from (``replaces``; one conditional UPDATE: a full verification or another tail check may have
    stored a newer result meanwhile), or stores the first result of a database that has none."""
    now = _now()
    row = AuditCheck(
        pk=1,
        seq=report.seq,
        entry_hash=report.head,
        intact=report.intact,
        first_broken=report.first_broken,
        problem=report.problem or "",
        checked_at=now,
        full_at=now if full else (replaces.full_at if replaces is not None else None),
    )
    row.signature = sign("check", _check_parts(row))
    values = {
        name: getattr(row, name)
        for name in (
            "seq",
            "entry_hash",
            "intact",
            "first_broken",
            "problem",
            "checked_at",
            "full_at",
            "signature",
        )
    }
    if full:
        AuditCheck.objects.update_or_create(pk=1, defaults=values)
    elif replaces is None:
        AuditCheck.objects.bulk_create([row], ignore_conflicts=True)
    else:
        AuditCheck.objects.filter(pk=1, signature=replaces.signature, intact=True).update(**values)
    return row


def audit_check_full() -> ChainReport:
    """Verify the whole chain and keep the result as the last verification."""
    report = audit_verify()
    _record(report, full=True)
    return report


def audit_status(*, tail_limit: int = TAIL_LIMIT) -> dict[str, Any]:
    """The chain's state for the health check and the dashboard, cheaply: the stored last verification
    (refused when its signature does not hold), plus at most ``tail_limit`` entries written since."""
    row = AuditCheck.objects.filter(pk=1).first()
    if row is not None and not signature_valid("check", _check_parts(row), row.signature):
        return _status(False, None, "the stored verification result was altered", row)
    if row is not None and not row.intact:
        return _status(False, row.first_broken, row.problem, row)
    start = (row.seq, row.entry_hash) if row is not None else (0, GENESIS_HASH)
    report = audit_verify(after=start[0], after_hash=start[1], limit=tail_limit)
    if report.entries or not report.intact or row is None:
        row = _record(report, full=False, replaces=row)
    if not report.intact:
        return _status(False, report.first_broken, report.problem, row)
    pending = 0 if report.complete else _head_seq() - report.seq
    return _status(True, None, None, row, pending=pending)


def _head_seq() -> int:
    return AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0


def _status(
    intact: bool, first_broken: int | None, problem: str | None, row: AuditCheck | None, pending: int = 0
) -> dict[str, Any]:
    return {
        "intact": intact,
        "first_broken": first_broken,
        "problem": problem,
        "verified_to": row.seq if row is not None and intact else None,
        "pending": pending,
        "checked_at": row.checked_at.isoformat() if row is not None else None,
        "last_full_check": row.full_at.isoformat() if row is not None and row.full_at else None,
    }
