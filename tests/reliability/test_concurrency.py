"""Two processes at once on the same embedded database: no duplicate, no lost update, no crash.

Real processes through the real entry point (the way two operators or a cron job and an operator collide).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tutela.accounts.principal import SYSTEM

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db_threads_ok(transactional_db: Any, policy: Any) -> None:
    """Threads need committed data and their own connections: a transactional test database."""
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("in-memory SQLite is one connection; the file database is covered by the test above")


def _spawn(home: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(TUTELA_HOME=str(home), TUTELA_TASKS_BACKEND="immediate")
    return subprocess.Popen(
        [sys.executable, "-m", "tutela.cli", *args],
        env=env,
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _csv(path: Path, numbers: range) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "last_name", "last_interest_at"])
        for i in numbers:
            writer.writerow([f"overlap{i}@example.org", "Ann", f"Overlap{i}", "2026-10-01"])
    return path


def test_concurrent_imports_of_overlapping_files_create_no_duplicates(
    cli, tutela_home: Path, tmp_path: Path
) -> None:
    assert cli("init").returncode == 0
    first = _csv(tmp_path / "a.csv", range(0, 400))
    second = _csv(tmp_path / "b.csv", range(200, 600))
    common = ["--controller", "crm-asbl", "--subject-type", "prospect", "--source", "data-provider", "--json"]
    procs = [_spawn(tutela_home, "import", str(f), *common) for f in (first, second)]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert "Traceback" not in err
        assert proc.returncode == 0, err
    import sqlite3

    with sqlite3.connect(tutela_home / "tutela.sqlite3") as db:
        people = db.execute(
            "SELECT COUNT(DISTINCT subject_id) FROM tutela_data_item WHERE category = 'user.contact.email'"
        ).fetchone()[0]
        emails = db.execute(
            "SELECT COUNT(DISTINCT value) FROM tutela_data_item WHERE category = 'user.contact.email'"
        ).fetchone()[0]
        rows = db.execute(
            "SELECT COUNT(*) FROM tutela_data_item WHERE category = 'user.contact.email'"
        ).fetchone()[0]
    assert emails == 600
    assert people == 600 and rows == 600, f"{people} people and {rows} e-mail items for 600 addresses"
    assert cli("audit", "verify").returncode == 0


def test_concurrent_imports_on_the_configured_database(db_threads_ok: None, tmp_path: Path) -> None:
    """The same collision in two threads of one process, on whatever DATABASE_URL names (PostgreSQL in CI)."""
    import threading

    from django.db import connection

    from tutela.subjects.importing.service import import_file
    from tutela.subjects.models import DataItem

    first = _csv(tmp_path / "a.csv", range(0, 300))
    second = _csv(tmp_path / "b.csv", range(150, 450))
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run(path: Path) -> None:
        try:
            barrier.wait(timeout=30)
            import_file(
                principal=SYSTEM,
                path=path,
                controller="crm-asbl",
                subject_type="prospect",
                source="data-provider",
            )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(f,)) for f in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    emails = DataItem.objects.filter(category="user.contact.email")
    assert emails.values("value").distinct().count() == 450
    assert emails.count() == 450, "the same address imported twice by two concurrent imports"
    assert emails.values("subject_id").distinct().count() == 450


def test_sweep_and_erasure_of_the_same_people_at_once(cli, tutela_home: Path) -> None:
    """Prospects silent for years are both due for the sweep and asked to be erased: running both at once
    crashes neither, leaves nobody behind, closes every request, and keeps the chain intact."""
    import json

    assert cli("init").returncode == 0
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(TUTELA_HOME=str(tutela_home), TUTELA_TASKS_BACKEND="immediate")
    driver = [sys.executable, "-m", "tests.reliability.crash_driver"]
    setup = subprocess.run(
        [*driver, "setup", "40", "2023-01-01"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert setup.returncode == 0, setup.stderr
    sweep = _spawn(tutela_home, "retention", "sweep", "--json")
    erase = subprocess.Popen(
        [*driver, "erase"], env=env, cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    (s_out, s_err), (_e_out, e_err) = sweep.communicate(timeout=300), erase.communicate(timeout=300)
    assert "Traceback" not in s_err + e_err, s_err + e_err
    assert sweep.returncode == 0 and erase.returncode == 0, s_err + e_err
    state = subprocess.run([*driver, "state"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    after = json.loads(state.stdout)
    assert after["people_with_items"] == 0, after
    assert after["open"] == 0 and after["audit_intact"] is True, after
    assert json.loads(s_out)["dry_run"] is False
