"""Killing Tutela with SIGKILL in the middle of a batch of erasures leaves no half-erased person, loses no
request, keeps the audit chain intact, and a second run finishes the work."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 60


def _driver(home: Path, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(TUTELA_HOME=str(home), TUTELA_TASKS_BACKEND="immediate")
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.crash_driver", *args],
        env=env,
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,  # type: ignore[call-overload]
    )


def _state(home: Path) -> dict[str, object]:
    proc = _driver(home, "state")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return json.loads(out)


def test_sigkill_during_erasures_leaves_nothing_half_done(cli, tutela_home: Path) -> None:
    assert cli("init").returncode == 0
    setup = _driver(tutela_home, "setup", str(PEOPLE))
    out, err = setup.communicate(timeout=300)
    assert setup.returncode == 0 and "ready" in out, err
    before = _state(tutela_home)
    assert before["open"] == PEOPLE and before["people_with_items"] == PEOPLE
    items_per_person = before["item_counts"]
    assert isinstance(items_per_person, list) and len(items_per_person) == 1

    eraser = _driver(tutela_home, "erase")
    assert eraser.stdout is not None
    for line in eraser.stdout:  # let a few erasures commit, then kill without warning
        if line.startswith("done 5"):
            break
    eraser.send_signal(signal.SIGKILL)
    eraser.wait(timeout=30)

    middle = _state(tutela_home)
    assert middle["audit_intact"] is True
    assert 5 <= middle["answered"] < PEOPLE, middle
    assert middle["answered"] + middle["open"] == PEOPLE, "a request was lost"
    assert middle["tombstones"] == middle["answered"], (
        "an answered erasure without its tombstone, or the reverse"
    )
    assert middle["people_with_items"] == PEOPLE - middle["answered"]
    assert middle["item_counts"] == items_per_person, "somebody was half-erased"

    again = _driver(tutela_home, "erase")
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    after = _state(tutela_home)
    assert after == {
        **after,
        "answered": PEOPLE,
        "open": 0,
        "tombstones": PEOPLE,
        "people_with_items": 0,
        "audit_intact": True,
    }


def test_sigkill_during_key_rotation_then_resume(cli, tutela_home: Path) -> None:
    """Wherever the kill lands, every sealed value still opens (under the old or the new key), the chain
    verifies, and `tutela keys rotate --no-new-key` finishes the work."""
    import time

    assert cli("init").returncode == 0
    assert cli("bench", "generate", "--subjects", "1500").returncode == 0
    before = cli("keys", "status", "--json").json()
    assert before["sealed"] > 0
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(TUTELA_HOME=str(tutela_home), TUTELA_TASKS_BACKEND="immediate")
    rotation = subprocess.Popen(
        [sys.executable, "-m", "tutela.cli", "keys", "rotate", "--batch", "50"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(4)  # the assertions below hold wherever the kill lands: before, during or after the batches
    rotation.send_signal(signal.SIGKILL)
    rotation.wait(timeout=30)

    middle = cli("keys", "status", "--json").json()
    assert middle["sealed"] == before["sealed"], "a sealed value was lost"
    assert cli("audit", "verify").returncode == 0
    resumed = cli("keys", "rotate", "--no-new-key", "--json")
    assert resumed.returncode == 0, resumed.stderr
    after = cli("keys", "status", "--json").json()
    assert after["sealed"] == before["sealed"] and after["to_rotate"] == 0
    assert after["by_key"][after["current"]] == before["sealed"], after
    assert all(n == 0 for kid, n in after["by_key"].items() if kid != after["current"]), after
    assert cli("audit", "verify").returncode == 0


def test_sigkill_during_an_import_leaves_all_or_nothing(cli, tutela_home: Path, tmp_path: Path) -> None:
    """Wherever the kill lands, the file's people are either all there or none; the re-run imports them once."""
    import csv
    import sqlite3
    import time

    rows = 15000
    source = tmp_path / "big.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "last_name", "last_interest_at"])
        for i in range(rows):
            writer.writerow([f"killed{i}@example.org", "Ann", f"Killed{i}", "2026-10-01"])
    assert cli("init").returncode == 0
    args = [
        "import",
        str(source),
        "--controller",
        "crm-asbl",
        "--subject-type",
        "prospect",
        "--source",
        "data-provider",
    ]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(TUTELA_HOME=str(tutela_home), TUTELA_TASKS_BACKEND="immediate")
    importer = subprocess.Popen(
        [sys.executable, "-m", "tutela.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(3)
    importer.send_signal(signal.SIGKILL)
    importer.wait(timeout=30)

    def people() -> int:
        with sqlite3.connect(tutela_home / "tutela.sqlite3") as db:
            return int(
                db.execute(
                    "SELECT COUNT(DISTINCT value) FROM tutela_data_item WHERE category = 'user.contact.email'"
                ).fetchone()[0]
            )

    assert people() in (0, rows), f"{people()} of {rows} people after the kill: a half import"
    assert cli("audit", "verify").returncode == 0
    again = cli(*args, "--json")
    assert again.returncode == 0, again.stderr
    assert people() == rows
    assert cli("audit", "verify").returncode == 0
