"""Files under TUTELA_FILES_ROOT: CCTV one month after recording, scans by mtime, camera holds with windows."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from tutela.accounts.principal import SYSTEM
from tutela.core import clock
from tutela.core.errors import InvalidInput
from tutela.core.models import AuditEntry
from tutela.retention.files import file_time
from tutela.retention.services import legal_hold_place
from tutela.retention.sweep import retention_sweep


def _touch(root: Path, relative: str, mtime: dt.datetime | None = None) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00recording")
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


@pytest.fixture
def tree(
    tmp_path: Path, settings: Any, policy: Any, policy_data: dict[str, Any], frozen: Any
) -> dict[str, Path]:
    assert policy_data["retention"]["cctv"]["period"] == "P1M"
    assert policy_data["retention"]["site-registration"]["period"] == "P6M"
    settings.TUTELA_FILES_ROOT = tmp_path / "files"
    root = settings.TUTELA_FILES_ROOT
    return {
        # recorded 25 Oct 2026 10:15: one month ends 25 Nov 2026 = today → due
        "due": _touch(root, "cctv/entrance/entrance-20261025T101500.mp4"),
        # recorded 26 Oct: due tomorrow
        "young": _touch(root, "cctv/entrance/entrance-20261026T000000.mp4"),
        # inside the window of an incident on the parking camera
        "incident": _touch(root, "cctv/parking/parking-20261001T213000.mp4"),
        # same camera, outside the window
        "parking_due": _touch(root, "cctv/parking/parking-20261003T080000.mp4"),
        # a scanned form without a time in its name: modification time 1 May 2026 + 6 months = 1 Nov → due
        "scan_due": _touch(
            root, "scans/visitors/form-a.pdf", dt.datetime(2026, 5, 1, 9, tzinfo=clock.BRUSSELS)
        ),
        "scan_young": _touch(
            root, "scans/visitors/form-b.pdf", dt.datetime(2026, 6, 1, 9, tzinfo=clock.BRUSSELS)
        ),
        # not under a mapped directory: never touched
        "other": _touch(root, "other/notes-20100101T000000.txt"),
    }


@pytest.mark.django_db
def test_files_past_their_rule_are_deleted_unless_a_camera_hold_covers_them(
    tree: dict[str, Path], tmp_path: Path
) -> None:
    legal_hold_place(
        principal=SYSTEM,
        camera="parking",
        window_start=dt.datetime(2026, 10, 1, 21, 0, tzinfo=clock.BRUSSELS),
        window_end=dt.datetime(2026, 10, 1, 23, 0, tzinfo=clock.BRUSSELS),
        case_ref="PV 2026/555",
        reason="car damaged on the parking",
    )
    dry = retention_sweep(
        principal=SYSTEM, dry_run=True, files=True, report=tmp_path / "files.json"
    ).as_dict()
    assert all(p.exists() for p in tree.values()), "the dry run deleted a file"
    assert dry["files"] == {"due": 4, "deleted": 3, "held": 1}

    result = retention_sweep(principal=SYSTEM, files=True).as_dict()
    assert result["files"] == {"due": 4, "deleted": 3, "held": 1}
    gone = {k for k, p in tree.items() if not p.exists()}
    assert gone == {"due", "parking_due", "scan_due"}
    entries = AuditEntry.objects.filter(action="retention.files")
    assert {(e.payload["directory"], e.payload["deleted"], e.payload["held"]) for e in entries} == {
        ("cctv", 2, 1),
        ("scans/visitors", 1, 0),
    }
    assert retention_sweep(principal=SYSTEM, files=True).as_dict()["files"] == {
        "due": 1,
        "deleted": 0,
        "held": 1,
    }


def test_recording_time_from_the_name_or_mtime(tmp_path: Path) -> None:
    named = _touch(tmp_path, "cam-20260131T235959.mp4")
    assert file_time(named) == dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=clock.BRUSSELS)
    plain = _touch(tmp_path, "plain.mp4", dt.datetime(2026, 2, 1, 8, tzinfo=dt.UTC))
    assert file_time(plain) == dt.datetime(2026, 2, 1, 8, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_a_mapping_naming_a_wrong_rule_is_refused(
    tree: dict[str, Path], tmp_path: Path, settings: Any
) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("cctv: {rule: no-such-rule}\nscans: {rule: member-contract}\n", encoding="utf-8")
    settings.TUTELA_RETENTION_FILES_MAP = str(mapping)
    with pytest.raises(InvalidInput) as exc:
        retention_sweep(principal=SYSTEM, files=True)
    assert {e.field for e in exc.value.errors} == {"cctv", "scans"}
    from tutela.retention.models import SweepRun

    assert not SweepRun.objects.exists()
