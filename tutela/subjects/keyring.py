"""Key rotation for sealed values: add a key first in the ring, then re-encrypt every sealed item under it.

The ring's first key encrypts and every key decrypts (``tutela.core.crypto``), so rotation can run while
Tutela serves: values move to the new key batch by batch, each batch in its own transaction with its audit
entry; a rotation stopped half-way resumes where it stopped (items already under the current key are
skipped). Keys from the environment (``TUTELA_DATA_KEYS``) cannot be written by Tutela: the operator puts
the new key first there and restarts, then runs the rotation to re-encrypt.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from tutela.core import crypto
from tutela.core.audit import audit_log
from tutela.core.errors import InvalidInput
from tutela.subjects.models import DataItem


def key_source() -> str:
    return "environment" if os.environ.get("TUTELA_DATA_KEYS") else "file"


def key_add() -> str:
    """Put a fresh key first in the key-ring file (mode 0600); returns its id."""
    if key_source() == "environment":
        raise InvalidInput(
            "the data keys come from TUTELA_DATA_KEYS: Tutela cannot add one there. Generate a key line "
            '(`python -c "from tutela.core.crypto import new_key_line; print(new_key_line())"`), put it FIRST '
            "in TUTELA_DATA_KEYS (comma-separated, keep the old keys after it), restart Tutela's processes, "
            "then run `tutela keys rotate --no-new-key` to re-encrypt"
        )
    crypto.keyring()  # creates the embedded default's file when missing
    path = crypto.keyring_path()
    line = crypto.new_key_line()
    old = path.read_text(encoding="utf-8")
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(line + "\n" + old)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    crypto.reset_keyring_cache()
    kid = crypto.keyring().current_id
    with transaction.atomic():
        audit_log(
            "keys.add", object_type="data_key", object_id=kid, payload={"key_id": kid, "path": path.name}
        )
    return kid


@dataclass
class RotationReport:
    key_id: str
    added: bool
    reencrypted: int = 0
    failed: list[int] = field(default_factory=list)
    batches: int = 0
    otp_seeds: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "added": self.added,
            "reencrypted": self.reencrypted,
            "failed": self.failed,
            "batches": self.batches,
            "otp_seeds": self.otp_seeds,
        }


def _stale() -> Any:
    current = crypto.keyring().current_id
    return DataItem.objects.exclude(value_sealed="").exclude(
        value_sealed__startswith=f"{crypto.PREFIX}:{current}:"
    )


def keys_rotate(
    *,
    batch: int = 1000,
    new_key: bool = True,
    on_total: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> RotationReport:
    """Add a key (unless ``new_key`` is False) and re-encrypt every sealed value not yet under it."""
    if batch < 1 or batch > 100_000:
        raise InvalidInput("--batch must be between 1 and 100000")
    kid = key_add() if new_key else crypto.keyring().current_id
    report = RotationReport(key_id=kid, added=new_key)
    if on_total:
        on_total(_stale().count())
    last = 0
    while True:
        rows = list(
            _stale().filter(pk__gt=last).order_by("pk").values_list("pk", "category", "value_sealed")[:batch]
        )
        if not rows:
            break
        last = rows[-1][0]
        updates: list[DataItem] = []
        for pk, category, sealed in rows:
            try:
                clear = crypto.decrypt(sealed, context=category)
            except crypto.DecryptionError:
                report.failed.append(pk)
                continue
            updates.append(DataItem(pk=pk, value_sealed=crypto.encrypt(clear, context=category)))
        with transaction.atomic():
            DataItem.objects.bulk_update(updates, ["value_sealed"], batch_size=500)
            report.batches += 1
            report.reencrypted += len(updates)
            audit_log(
                "keys.rotate.batch",
                object_type="data_key",
                object_id=kid,
                payload={
                    "key_id": kid,
                    "batch": report.batches,
                    "reencrypted": len(updates),
                    "last_item": last,
                },
            )
        if on_batch:
            on_batch(len(rows))
    from tutela.accounts.seeds import seeds_reseal

    report.otp_seeds = seeds_reseal(batch=batch)  # staff TOTP seeds are sealed under the same ring
    with transaction.atomic():
        audit_log(
            "keys.rotate",
            object_type="data_key",
            object_id=kid,
            payload={
                "key_id": kid,
                "added": new_key,
                "reencrypted": report.reencrypted,
                "failed": len(report.failed),
                "batches": report.batches,
                "otp_seeds": report.otp_seeds,
            },
        )
    return report


def keys_status() -> dict[str, Any]:
    from tutela.accounts.seeds import seeds_status

    ring = crypto.keyring()
    sealed = DataItem.objects.exclude(value_sealed="")
    by_key = {
        kid: sealed.filter(value_sealed__startswith=f"{crypto.PREFIX}:{kid}:").count() for kid, _ in ring.keys
    }
    total = sealed.count()
    return {
        "current": ring.current_id,
        "keys": [kid for kid, _ in ring.keys],
        "source": key_source(),
        "path": str(crypto.keyring_path()) if key_source() == "file" else None,
        "sealed": total,
        "by_key": by_key,
        "unknown_key": total - sum(by_key.values()),
        "to_rotate": total - by_key.get(ring.current_id, 0),
        "otp_seeds": seeds_status(),
    }
