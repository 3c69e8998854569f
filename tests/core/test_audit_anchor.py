"""Anchors: the signed head kept outside Tutela proves later that the database still extends it.

Scenarios of someone who can write the database: rewrite the chain without the key, cut its tail below the
anchored head (which the chain alone cannot show), rewrite it with a stolen key, forge the anchor itself.
"""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.core.test_audit_keyed import hmac_with, rebuild, sha256
from tutela.core.audit import audit_log, audit_verify
from tutela.core.audit_proof import anchor_read, audit_anchor, audit_verify_anchored
from tutela.core.errors import InvalidInput
from tutela.core.models import AuditEntry, AuditHead


def _write(n: int) -> None:
    for i in range(n):
        audit_log("test.event", object_type="thing", object_id=i, payload={"i": i})


def _cut_to(seq: int) -> None:
    """Remove every entry after ``seq`` and make the recorded tip agree: invisible to the chain alone."""
    AuditEntry.objects.filter(seq__gt=seq).delete()
    last = AuditEntry.objects.get(seq=seq)
    AuditHead.objects.filter(pk=1).update(seq=seq, entry_hash=last.entry_hash)


@pytest.mark.django_db(transaction=True)
class TestAnchorsInProcess:
    def test_an_anchor_names_the_head_that_includes_its_own_entry(self) -> None:
        _write(3)
        anchor = audit_anchor()
        head = AuditHead.objects.get(pk=1)
        assert (anchor["seq"], anchor["head"]) == (head.seq, head.entry_hash) == (4, head.entry_hash)
        assert AuditEntry.objects.get(seq=4).action == "audit.anchor"
        report, result = audit_verify_anchored(anchor)
        assert report.intact and result is not None and result["extends"] and result["signed"]
        _write(2)  # the chain grows past the anchor: it still extends it
        assert audit_verify_anchored(anchor)[0].intact

    def test_a_rewrite_without_the_key_is_broken(self) -> None:
        _write(3)
        anchor = audit_anchor()
        AuditEntry.objects.filter(seq=2).update(actor="someone-else")
        rebuild(sha256, start=2)
        report, _ = audit_verify_anchored(anchor)
        assert not report.intact and report.first_broken == 2

    def test_a_tail_cut_below_the_anchor_is_broken(self) -> None:
        _write(4)
        anchor = audit_anchor()  # entry 5
        _write(3)
        _cut_to(3)
        assert audit_verify().intact  # the chain alone cannot tell: this is what the anchor is for
        report, result = audit_verify_anchored(anchor)
        assert not report.intact and report.first_broken == 4
        assert result is not None and result["signed"] and not result["extends"]
        assert "gone" in (report.problem or "")

    def test_a_rewrite_with_the_stolen_key_is_broken_at_the_anchor(self, settings: Any) -> None:
        _write(4)
        anchor = audit_anchor()  # entry 5
        AuditEntry.objects.filter(seq=2).update(actor="someone-else")
        rebuild(hmac_with(settings.TUTELA_AUDIT_KEY), start=2)
        assert audit_verify().intact
        report, result = audit_verify_anchored(anchor)
        assert not report.intact and report.first_broken == 5
        assert result is not None and not result["extends"] and "rewritten" in (report.problem or "")

    @pytest.mark.parametrize(
        "forge",
        [
            lambda a: {**a, "head": "f" * 64},
            lambda a: {**a, "seq": a["seq"] - 1},
            lambda a: {**a, "at": "2030-01-01T00:00:00+00:00"},
            lambda a: {**a, "signature": "0" * 64},
        ],
        ids=["head", "seq", "at", "signature"],
    )
    def test_a_forged_anchor_is_refused(self, forge: Any) -> None:
        _write(3)
        anchor = forge(audit_anchor())
        report, result = audit_verify_anchored(anchor)
        assert not report.intact and result is not None and result["signed"] is False
        assert "signature" in (report.problem or "")

    def test_an_anchor_signed_with_another_key_is_refused(self, settings: Any) -> None:
        _write(2)
        settings.TUTELA_AUDIT_KEY = "another deployment's audit key, 32+ chars"
        foreign = audit_anchor()
        settings.TUTELA_AUDIT_KEY = "the deployment's own audit key, 32+ characters"
        # the chain itself no longer verifies under this key either; the anchor is refused on its own count
        _, result = audit_verify_anchored(foreign)
        assert result is not None and result["signed"] is False

    def test_an_anchor_file_that_is_not_one_names_the_fault(self, tmp_path: Path) -> None:
        cases = {
            "missing.json": None,
            "text.json": "seq=3",
            "list.json": "[1, 2]",
            "keys.json": json.dumps({"seq": 3, "head": "a"}),
            "seq.json": json.dumps({"seq": "3", "head": "a", "at": "b", "signature": "c"}),
        }
        for name, text in cases.items():
            path = tmp_path / name
            if text is not None:
                path.write_text(text)
            with pytest.raises(InvalidInput) as err:
                anchor_read(path)
            assert name in err.value.message


# ---------------------------------------------------------------- the command line (embedded SQLite)
def _db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "tutela.sqlite3")


def test_cli_anchor_and_verify(cli: Any, tutela_home: Path, tmp_path: Path) -> None:
    assert cli("init").returncode == 0
    printed = cli("audit", "anchor", "--json")
    assert printed.returncode == 0, printed.stderr
    anchor = printed.json()
    assert {"seq", "head", "at", "signature"} <= set(anchor)
    with _db(tutela_home) as db:
        assert db.execute(
            "SELECT entry_hash FROM tutela_audit_entry WHERE seq = ?", [anchor["seq"]]
        ).fetchone() == (anchor["head"],)

    out = tmp_path / "anchors" / "head.json"
    written = cli("audit", "anchor", "--out", str(out), "--json")
    assert written.returncode == 0 and json.loads(out.read_text()) == written.json()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    # without --json and --out, the anchor itself is printed, to redirect into a file
    plain = cli("audit", "anchor")
    assert plain.returncode == 0 and set(json.loads(plain.stdout)) == {"seq", "head", "at", "signature"}

    ok = cli("audit", "verify", "--anchor", str(out), "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    body = ok.json()
    assert body["intact"] is True and body["first_broken"] is None and body["anchor"]["extends"] is True

    # cut the tail below the anchored head and make the tip agree: only the anchor can tell
    seq = written.json()["seq"]
    with _db(tutela_home) as db:
        db.execute("DELETE FROM tutela_audit_entry WHERE seq >= ?", [seq])
        (last_hash,) = db.execute(
            "SELECT entry_hash FROM tutela_audit_entry WHERE seq = ?", [seq - 1]
        ).fetchone()
        db.execute("UPDATE tutela_audit_head SET seq = ?, entry_hash = ? WHERE id = 1", [seq - 1, last_hash])
    alone = cli("audit", "verify", "--json")
    assert alone.returncode == 0 and alone.json()["intact"] is True
    cut = cli("audit", "verify", "--anchor", str(out), "--json")
    assert cut.returncode == 1 and cut.json()["intact"] is False and cut.json()["first_broken"] == seq
    human = cli("audit", "verify", "--anchor", str(out))
    assert human.returncode == 1 and "BROKEN" in human.stdout


def test_cli_refuses_forged_and_malformed_anchors(cli: Any, tmp_path: Path) -> None:
    assert cli("init").returncode == 0
    out = tmp_path / "head.json"
    assert cli("audit", "anchor", "--out", str(out)).returncode == 0
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**json.loads(out.read_text()), "head": "0" * 64}))
    refused = cli("audit", "verify", "--anchor", str(forged), "--json")
    assert refused.returncode == 1 and refused.json()["intact"] is False
    assert "signature" in refused.json()["problem"]

    junk = tmp_path / "junk.json"
    junk.write_text("not json")
    bad = cli("audit", "verify", "--anchor", str(junk), "--json")
    assert bad.returncode == 2 and "junk.json" in bad.stderr and json.loads(bad.stdout)["error"]
    missing = cli("audit", "verify", "--anchor", str(tmp_path / "nowhere.json"))
    assert missing.returncode == 2 and "nowhere.json" in missing.stderr


def test_cli_rewrite_without_the_key_is_found(cli: Any, tutela_home: Path) -> None:
    """The finding: a script edits an entry and recomputes the chain (plain SHA-256) and its tip."""
    import datetime as dt
    import hashlib

    assert cli("init").returncode == 0
    assert cli("audit", "anchor").returncode == 0
    with _db(tutela_home) as db:
        db.execute("UPDATE tutela_audit_entry SET actor = 'someone-else' WHERE seq = 1")
        rows = db.execute(
            "SELECT seq, at, actor, action, object_type, object_id, subject_id, payload_hash "
            "FROM tutela_audit_entry ORDER BY seq"
        ).fetchall()
        prev = "0" * 64
        for seq, at, actor, action, otype, oid, sid, p_hash in rows:
            stamp = dt.datetime.fromisoformat(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            material = json.dumps(
                [seq, stamp, actor, action, otype, oid, sid, p_hash, prev], separators=(",", ":")
            )
            digest = hashlib.sha256(material.encode()).hexdigest()
            db.execute(
                "UPDATE tutela_audit_entry SET prev_hash = ?, entry_hash = ? WHERE seq = ?",
                [prev, digest, seq],
            )
            prev = digest
        db.execute("UPDATE tutela_audit_head SET entry_hash = ? WHERE id = 1", [prev])
    report = cli("audit", "verify", "--json")
    assert report.returncode == 1 and report.json()["intact"] is False and report.json()["first_broken"] == 1


def test_cli_audit_key_comes_from_outside_the_database(cli: Any, tutela_home: Path, tmp_path: Path) -> None:
    assert cli("init").returncode == 0
    generated = tutela_home / "secrets" / "audit_key"
    assert stat.S_IMODE(generated.stat().st_mode) == 0o600 and len(generated.read_text().strip()) >= 32
    with _db(tutela_home) as db:
        (stored,) = db.execute(
            "SELECT count(*) FROM tutela_audit_entry WHERE payload LIKE ?",
            ["%" + generated.read_text().strip() + "%"],
        ).fetchone()
    assert stored == 0
    # the same key from a file verifies; another key does not; a short one is refused at start
    key_file = tmp_path / "audit.key"
    key_file.write_text(generated.read_text())
    assert cli("audit", "verify", env={"TUTELA_AUDIT_KEY_FILE": str(key_file)}).returncode == 0
    other = cli(
        "audit", "verify", "--json", env={"TUTELA_AUDIT_KEY": "k2Vq9-another-audit-key-of-40-characters"}
    )
    assert other.returncode == 1 and other.json()["first_broken"] == 1
    short = cli("audit", "verify", env={"TUTELA_AUDIT_KEY": "short"})
    assert short.returncode == 2 and "TUTELA_AUDIT_KEY" in short.stderr
