"""Encrypted backups of Tutela's data, and their restoration.

A backup is the JSON serialisation of every table (Django's dumpdata), gzip-compressed and sealed in
AES-256-GCM frames under a key derived with scrypt from a passphrase. Frames are 1 MiB, each with a nonce made
of a random prefix and the frame counter and with the counter and a "last frame" flag bound as associated
data, so frames cannot be reordered, dropped or truncated unnoticed. Sealed personal data stay sealed inside
the backup: the data key ring is NOT in it and must be kept separately (docs/operations.md).
"""

from __future__ import annotations

import gzip
import io
import os
import secrets
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction

from tutela.core.errors import InvalidInput

MAGIC = b"TUTELA-BACKUP-1\n"
FRAME = 1024 * 1024
SCRYPT_N = 2**15
#: tables that are rebuilt by `tutela init` or hold nothing worth keeping
#: (the audit chain's last verification is recomputed where the backup is restored, with its own key)
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "admin.logentry", "axes", "core.auditcheck"]


def _key(passphrase: str, salt: bytes) -> bytes:
    if len(passphrase) < 12:
        raise InvalidInput("the backup passphrase must have at least 12 characters")
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=8, p=1).derive(passphrase.encode())


def _frames(stream: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    current = stream.read(FRAME)
    while True:
        following = stream.read(FRAME)
        yield current, not following
        if not following:
            return
        current = following


def backup_write(*, out: Path, passphrase: str) -> dict[str, object]:
    """Write an encrypted backup of the whole database to ``out`` (atomically: a temp file, then rename)."""
    salt = secrets.token_bytes(16)
    prefix = secrets.token_bytes(4)
    aead = AESGCM(_key(passphrase, salt))
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "dump.json.gz"
        with gzip.open(dump, "wt", encoding="utf-8") as handle:
            call_command("dumpdata", exclude=EXCLUDED, natural_foreign=True, stdout=handle, verbosity=0)
        partial = out.with_name(out.name + ".partial")
        frames = 0
        with dump.open("rb") as plain, partial.open("wb") as sealed:
            sealed.write(MAGIC + salt + prefix)
            for index, (chunk, last) in enumerate(_frames(plain)):
                nonce = prefix + struct.pack(">Q", index)
                aad = struct.pack(">Q?", index, last)
                body = aead.encrypt(nonce, chunk, aad)
                sealed.write(struct.pack(">I?", len(body), last) + body)
                frames += 1
        os.chmod(partial, 0o600)
        partial.replace(out)
    return {"path": str(out), "bytes": out.stat().st_size, "frames": frames}


def _decrypt(source: Path, passphrase: str, sink: BinaryIO) -> None:
    try:
        handle = source.open("rb")
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read it ({exc.strerror})") from None
    with handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise InvalidInput(f"{source}: not a Tutela backup")
        salt, prefix = handle.read(16), handle.read(4)
        aead = AESGCM(_key(passphrase, salt))
        index = 0
        while True:
            header = handle.read(5)
            if len(header) < 5:
                raise InvalidInput(f"{source}: the backup is truncated (frame {index} missing)")
            length, last = struct.unpack(">I?", header)
            body = handle.read(length)
            try:
                sink.write(
                    aead.decrypt(prefix + struct.pack(">Q", index), body, struct.pack(">Q?", index, last))
                )
            except InvalidTag:
                raise InvalidInput(
                    f"{source}: wrong passphrase, or the backup was altered (frame {index})"
                ) from None
            index += 1
            if last:
                break
        if handle.read(1):
            raise InvalidInput(f"{source}: unexpected data after the last frame")


def _database_is_empty() -> bool:
    from tutela.core.models import AuditEntry
    from tutela.policy.models import PolicyVersion

    return not AuditEntry.objects.exists() and not PolicyVersion.objects.exists()


def backup_restore(*, source: Path, passphrase: str) -> dict[str, object]:
    """Restore a backup into an empty, migrated database; all or nothing."""
    if not _database_is_empty():
        raise InvalidInput(
            "the database is not empty: restore into a fresh database (after `tutela init "
            "--no-policy`, or `tutela migrate`)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        compressed = io.BytesIO()
        _decrypt(source, passphrase, compressed)
        compressed.seek(0)
        fixture = Path(tmp) / "restore.json"
        with gzip.open(compressed, "rb") as unpacked, fixture.open("wb") as plain:
            while chunk := unpacked.read(FRAME):
                plain.write(chunk)
        os.chmod(fixture, 0o600)
        with transaction.atomic():
            # the tip row is created by a migration; the backup brings its own
            from tutela.core.audit import chain_upgrade_legacy
            from tutela.core.models import AuditCheck, AuditHead

            AuditHead.objects.all().delete()
            AuditCheck.objects.all().delete()
            call_command("loaddata", str(fixture), verbosity=0)
            # a backup made before the chain was keyed: its entries keep their hashes, a keyed entry pins them
            chain_upgrade_legacy()
    models = [m for m in apps.get_models() if m._meta.app_label not in ("contenttypes", "sessions")]
    return {"restored_from": str(source), "database": connection.vendor, "models": len(models)}
