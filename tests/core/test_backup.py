"""Backups round-trip through the real CLI, encrypted, with the audit chain still verifying."""

from __future__ import annotations

import shutil
from pathlib import Path


def test_backup_and_restore_round_trip(cli, tutela_home: Path, tmp_path: Path) -> None:
    assert cli("init").returncode == 0
    assert cli("user", "bootstrap").returncode == 0
    pw = tmp_path / "pass"
    pw.write_text("correct horse battery staple\n")
    out = tmp_path / "tutela.backup"
    made = cli("backup", "--out", str(out), "--passphrase-file", str(pw), "--json")
    assert made.returncode == 0, made.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"TUTELA-BACKUP-1") and b"policy_version" not in raw and b"dpo" not in raw
    before = cli("audit", "verify", "--json").json()

    # a fresh home: new database, same keys (keys are backed up separately)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copytree(tutela_home / "secrets", fresh / "secrets")
    env = {"TUTELA_HOME": str(fresh)}
    restored = cli("restore", str(out), "--passphrase-file", str(pw), "--json", env=env)
    assert restored.returncode == 0, restored.stderr
    after = cli("audit", "verify", "--json", env=env).json()
    assert after["intact"] is True and after["entries"] == before["entries"]
    assert cli("user", "list", "--json", env=env).json()[0]["username"] == "dpo"


def test_wrong_passphrase_and_altered_backup_are_refused(cli, tmp_path: Path) -> None:
    assert cli("init").returncode == 0
    pw = tmp_path / "pass"
    pw.write_text("correct horse battery staple")
    out = tmp_path / "b.backup"
    assert cli("backup", "--out", str(out), "--passphrase-file", str(pw)).returncode == 0
    bad = tmp_path / "bad"
    bad.write_text("another long passphrase")
    fresh = {"TUTELA_HOME": str(tmp_path / "h2")}
    wrong = cli("restore", str(out), "--passphrase-file", str(bad), env=fresh)
    assert wrong.returncode == 2 and "wrong passphrase" in wrong.stderr
    data = bytearray(out.read_bytes())
    data[60] ^= 0xFF
    out.write_bytes(bytes(data))
    altered = cli("restore", str(out), "--passphrase-file", str(pw), env=fresh)
    assert altered.returncode == 2 and "altered" in altered.stderr
    truncated = tmp_path / "t.backup"
    truncated.write_bytes(bytes(data[:40]))
    assert cli("restore", str(truncated), "--passphrase-file", str(pw), env=fresh).returncode == 2


def test_restore_refuses_a_database_that_is_not_empty(cli, tmp_path: Path) -> None:
    assert cli("init").returncode == 0
    pw = tmp_path / "pass"
    pw.write_text("correct horse battery staple")
    out = tmp_path / "b.backup"
    assert cli("backup", "--out", str(out), "--passphrase-file", str(pw)).returncode == 0
    again = cli("restore", str(out), "--passphrase-file", str(pw))
    assert again.returncode == 2 and "not empty" in again.stderr
