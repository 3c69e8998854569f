"""Backups and the keyed chain: a round trip verifies with the same audit key, a backup made before the
chain was keyed is keyed when restored, and another audit key does not verify the restored chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any


def _backup(cli: Any, tmp_path: Path) -> tuple[Path, Path]:
    pw = tmp_path / "pass"
    pw.write_text("correct horse battery staple\n")
    out = tmp_path / "tutela.backup"
    made = cli("backup", "--out", str(out), "--passphrase-file", str(pw), "--json")
    assert made.returncode == 0, made.stderr
    return out, pw


def _fresh(tutela_home: Path, tmp_path: Path, *, same_keys: bool = True) -> dict[str, str]:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copytree(tutela_home / "secrets", fresh / "secrets")
    if not same_keys:
        (fresh / "secrets" / "audit_key").unlink()  # a new audit key is generated
    return {"TUTELA_HOME": str(fresh)}


def _make_legacy(home: Path) -> int:
    """Rewrite the chain as a Tutela before the keyed chain had written it: plain SHA-256, keyed_from 1."""
    with sqlite3.connect(home / "tutela.sqlite3") as db:
        rows = db.execute(
            "SELECT seq, at, actor, action, object_type, object_id, subject_id, payload_hash "
            "FROM tutela_audit_entry ORDER BY seq"
        ).fetchall()
        prev = "0" * 64
        for seq, at, actor, action, otype, oid, sid, p_hash in rows:
            stamp = dt.datetime.fromisoformat(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            material = json.dumps(
                [seq, stamp, actor, action, otype, oid, sid, p_hash, prev],
                separators=(",", ":"),
                ensure_ascii=False,
            )
            digest = hashlib.sha256(material.encode()).hexdigest()
            db.execute(
                "UPDATE tutela_audit_entry SET prev_hash = ?, entry_hash = ? WHERE seq = ?",
                [prev, digest, seq],
            )
            prev = digest
        db.execute("UPDATE tutela_audit_head SET entry_hash = ?, keyed_from = 1 WHERE id = 1", [prev])
    return len(rows)


def test_a_backup_made_before_the_keyed_chain_is_keyed_when_restored(
    cli: Any, tutela_home: Path, tmp_path: Path
) -> None:
    assert cli("init").returncode == 0
    legacy = _make_legacy(tutela_home)
    assert legacy >= 1
    assert cli("audit", "verify").returncode == 1  # as an old database looks to this Tutela before restoring
    out, pw = _backup(cli, tmp_path)
    env = _fresh(tutela_home, tmp_path)
    restored = cli("restore", str(out), "--passphrase-file", str(pw), "--json", env=env)
    assert restored.returncode == 0, restored.stderr
    report = cli("audit", "verify", "--json", env=env)
    assert report.returncode == 0, report.stdout
    assert report.json()["entries"] == legacy + 1
    with sqlite3.connect(Path(env["TUTELA_HOME"]) / "tutela.sqlite3") as db:
        action, payload = db.execute(
            "SELECT action, payload FROM tutela_audit_entry WHERE seq = ?", [legacy + 1]
        ).fetchone()
        (keyed_from,) = db.execute("SELECT keyed_from FROM tutela_audit_head").fetchone()
    assert action == "audit.chain.keyed" and json.loads(payload)["legacy_entries"] == legacy
    assert keyed_from == legacy + 1


def test_a_restore_under_another_audit_key_does_not_verify(
    cli: Any, tutela_home: Path, tmp_path: Path
) -> None:
    assert cli("init").returncode == 0
    out, pw = _backup(cli, tmp_path)
    env = _fresh(tutela_home, tmp_path, same_keys=False)
    assert cli("restore", str(out), "--passphrase-file", str(pw), env=env).returncode == 0
    report = cli("audit", "verify", "--json", env=env)
    assert report.returncode == 1 and report.json()["first_broken"] == 1
