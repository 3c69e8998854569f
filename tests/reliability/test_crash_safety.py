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
