"""The sweep through the real `tutela` command, and a sweep killed with SIGKILL that resumes cleanly."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from tutela.core import clock

ROOT = Path(__file__).resolve().parents[2]


def seed(db: Path, *, due: int, recent: int, active_members: int = 0) -> None:
    """People written straight into the embedded database: ``due`` prospects silent for two years (two
    items each), ``recent`` prospects interested last month, ``active_members`` running contracts."""
    today = clock.today()
    old = today.replace(year=today.year - 2).isoformat()
    fresh = (today - dt.timedelta(days=30)).isoformat()
    stamp = "2020-01-01 10:00:00"
    with sqlite3.connect(db) as conn:
        next_id = (conn.execute("SELECT COALESCE(MAX(id), 0) FROM tutela_subject").fetchone()[0] or 0) + 1
        people: list[tuple[int, str, str, list[str]]] = []
        for n in range(due):
            people.append((next_id + n, "prospect", old, ["prospecting"]))
        for n in range(recent):
            people.append((next_id + due + n, "prospect", fresh, ["prospecting"]))
        for n in range(active_members):
            people.append((next_id + due + recent + n, "member", "", ["member-management"]))
        conn.executemany(
            "INSERT INTO tutela_subject (id, public_id, language, created_at, updated_at, version) VALUES (?, ?, 'en', ?, ?, 1)",
            [(pid, uuid.uuid4().hex, stamp, stamp) for pid, *_ in people],
        )
        conn.executemany(
            "INSERT INTO tutela_relationship (subject_id, controller, kind, started_on, ended_on, last_interest_on, created_at, updated_at)"
            " VALUES (?, 'crm-asbl', ?, '2019-01-01', NULL, ?, ?, ?)",
            [(pid, kind, interest or None, stamp, stamp) for pid, kind, interest, _ in people],
        )
        rows = []
        for pid, _kind, interest, purposes in people:
            collected = (interest or "2019-01-01") + " 09:00:00"
            for category, value in (
                ("user.name", f"Person {pid}"),
                ("user.contact.phone_number", f"+3222{pid:06d}"),
            ):
                rows.append((pid, category, value, collected, json.dumps(purposes), stamp, stamp))
        conn.executemany(
            "INSERT INTO tutela_data_item (subject_id, controller, category, value, value_sealed, lookup, source, source_detail,"
            " collected_at, purposes, status, provided_by_subject, on_behalf_of, instruction_ref, created_at, updated_at)"
            " VALUES (?, 'crm-asbl', ?, ?, '', NULL, 'direct', '', ?, ?, 'active', 0, '', '', ?, ?)",
            rows,
        )


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_sweep_through_the_cli_with_json(cli: Any, tutela_home: Path) -> None:
    assert cli("init").returncode == 0
    db = tutela_home / "tutela.sqlite3"
    seed(db, due=5, recent=3, active_members=2)
    items_before = count(db, "SELECT COUNT(*) FROM tutela_data_item")

    dry = cli("retention", "sweep", "--dry-run", "--json", "--report", str(tutela_home / "dry.csv"))
    assert dry.returncode == 0, dry.stderr
    assert {k: dry.json()[k] for k in ("due", "erased", "held", "dry_run")} == {
        "due": 10,
        "erased": 10,
        "held": 0,
        "dry_run": True,
    }
    assert count(db, "SELECT COUNT(*) FROM tutela_data_item") == items_before
    assert (tutela_home / "dry.csv").read_text(encoding="utf-8").count("\n") == 11  # header + 10 rows

    out = cli("retention", "sweep", "--json")
    assert out.returncode == 0, out.stderr
    data = out.json()
    assert set(data) >= {"due", "erased", "anonymised", "archived", "held", "dry_run"}
    assert (data["due"], data["erased"], data["dry_run"]) == (10, 10, False)
    assert count(db, "SELECT COUNT(*) FROM tutela_data_item") == items_before - 10
    assert count(db, "SELECT COUNT(*) FROM tutela_subject") == 5

    again = cli("retention", "sweep", "--json").json()
    assert again["due"] == 0
    status = cli("retention", "status", "--json").json()
    assert status["last"]["status"] == "done" and status["last"]["erased"] == 0 and status["next"]
    assert cli("audit", "verify", "--json").json()["intact"] is True


def test_bad_options_exit_2_without_traceback(cli: Any, tutela_home: Path) -> None:
    assert cli("init").returncode == 0
    assert cli("retention", "sweep", "--batch", "0").returncode == 2
    assert cli("retention", "sweep", "--report", "x.csv").returncode == 2
    refused = cli("archive", "open", "item:1", "--ground", "court", "--reference", "R", "--json")
    assert refused.returncode == 2 and "archive" in refused.json()["error"]
    assert cli("archive", "open", "banana", "--ground", "court", "--reference", "R").returncode == 2
    bad_hold = cli("hold", "place", "--case", "C", "--reason", "R", "--json")
    assert bad_hold.returncode == 2 and bad_hold.json()["errors"]
    assert cli("hold", "release", "99", "--reason", "x").returncode == 2


def test_hold_commands(cli: Any, tutela_home: Path) -> None:
    assert cli("init").returncode == 0
    seed(tutela_home / "tutela.sqlite3", due=2, recent=0)
    first = count(tutela_home / "tutela.sqlite3", "SELECT MIN(id) FROM tutela_subject")
    placed = cli("hold", "place", "--subject", str(first), "--case", "RG 1", "--reason", "dispute", "--json")
    assert placed.returncode == 0, placed.stderr
    assert [h["subject_id"] for h in cli("hold", "list", "--json").json()["holds"]] == [first]
    swept = cli("retention", "sweep", "--json").json()
    assert (swept["erased"], swept["held"]) == (2, 2)
    released = cli("hold", "release", str(placed.json()["id"]), "--reason", "settled", "--json")
    assert released.returncode == 0 and released.json()["active"] is False
    assert cli("hold", "list", "--json").json()["holds"] == []
    assert len(cli("hold", "list", "--all", "--json").json()["holds"]) == 1
    assert cli("retention", "sweep", "--json").json()["erased"] == 2


def test_a_sweep_killed_mid_run_resumes_with_nothing_half_done(cli: Any, tutela_home: Path) -> None:
    assert cli("init").returncode == 0
    db = tutela_home / "tutela.sqlite3"
    seed(db, due=1500, recent=100)  # 3000 due items, 200 kept
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        {
            "TUTELA_HOME": str(tutela_home),
            "TUTELA_TASKS_BACKEND": "immediate",
            "TUTELA_RETENTION_TEST_PAUSE_AFTER": "3",
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "tutela.cli", "retention", "sweep", "--batch", "400", "--json"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        seen = []
        while len(seen) < 3:  # three batches committed, the process now sleeps before the fourth
            line = proc.stderr.readline()
            assert line, "the sweep ended before three batches"
            if "committed" in line:
                seen.append(line)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    left = count(db, "SELECT COUNT(*) FROM tutela_data_item")
    assert left == 3200 - 3 * 400  # whole batches only
    assert count(db, "SELECT erased FROM tutela_retention_sweep_run") == 1200
    assert count(db, "SELECT COUNT(*) FROM tutela_retention_sweep_run WHERE status = 'running'") == 1
    assert count(db, "SELECT COUNT(*) FROM tutela_audit_entry WHERE action = 'retention.erase'") == 3
    # no person left half-erased: everyone still there has both items
    assert (
        count(
            db,
            "SELECT COUNT(*) FROM tutela_subject s WHERE (SELECT COUNT(*) FROM tutela_data_item i WHERE i.subject_id = s.id) <> 2",
        )
        == 0
    )

    resumed = cli("retention", "sweep", "--batch", "400", "--json")
    assert resumed.returncode == 0, resumed.stderr
    data = resumed.json()
    assert data["resumed"] is True
    assert (data["erased"], data["due"]) == (3000, 3000)
    assert count(db, "SELECT COUNT(*) FROM tutela_data_item") == 200
    assert count(db, "SELECT COUNT(*) FROM tutela_subject") == 100
    assert count(db, "SELECT COUNT(*) FROM tutela_retention_sweep_run") == 1
    assert (
        count(
            db,
            "SELECT SUM(json_extract(payload, '$.items')) FROM tutela_audit_entry WHERE action = 'retention.erase'",
        )
        == 3000
    )
    assert cli("retention", "sweep", "--json").json()["due"] == 0
    assert cli("audit", "verify", "--json").json()["intact"] is True
