"""Retention for files under ``TUTELA_FILES_ROOT``: CCTV recordings, scanned forms.

A small mapping names, for a directory under the root, the policy rule its files follow (only rules counted
from the recording or collection time make sense for files). The default::

    cctv:            {rule: cctv, cameras: true}      # cctv/<camera>/…  one month (Camera Act)
    scans/visitors:  {rule: site-registration}        # the visitor register's scanned forms

``TUTELA_RETENTION_FILES_MAP`` points to a YAML file of the same shape to replace it. A file's time comes
from its name, the first ``YYYYMMDDTHHMMSS`` in it (Brussels local time, e.g. ``entrance-20261102T141500.mp4``),
else from its modification time. With ``cameras: true`` the first directory below the mapped one is the
camera's name, which a legal hold can name with a time window (an incident under investigation).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction

from tutela.core import clock
from tutela.core.audit import AuditRecord, audit_many
from tutela.core.errors import FieldError, InvalidInput
from tutela.policy.schema import Policy
from tutela.policy.selectors import active_policy
from tutela.retention import rules
from tutela.retention.models import LegalHold, SweepRun
from tutela.retention.selectors import camera_holds

DEFAULT_MAP: dict[str, dict[str, Any]] = {
    "cctv": {"rule": "cctv", "cameras": True},
    "scans/visitors": {"rule": "site-registration"},
}
FILE_TRIGGERS = ("recorded", "collected")
_STAMP = re.compile(r"(\d{8})T(\d{6})")


@dataclass(frozen=True)
class Mapping:
    directory: str
    rule: str
    cameras: bool


def load_mapping(policy: Policy | None = None) -> list[Mapping]:
    """The directory → rule mapping, checked against the policy (a wrong rule key is an error, not a skip)."""
    policy = policy or active_policy()
    path = settings.TUTELA_RETENTION_FILES_MAP
    source = "the default files mapping"
    data: Any = DEFAULT_MAP
    if path:
        source = str(path)
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidInput(
                f"cannot read the files mapping: {exc}", errors=[FieldError(str(exc), file=source)]
            ) from None
    if not isinstance(data, dict):
        raise InvalidInput(
            "the files mapping must map directories to {rule: KEY}",
            errors=[FieldError("not a mapping", file=source)],
        )
    out, errors = [], []
    for directory, spec in data.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("rule"), str):
            errors.append(
                FieldError("expected {rule: KEY, cameras: true|false}", file=source, field=str(directory))
            )
            continue
        rule = policy.retention.get(spec["rule"])
        if rule is None:
            errors.append(
                FieldError(
                    f"no retention rule {spec['rule']!r} in the policy", file=source, field=str(directory)
                )
            )
        elif rule.trigger not in FILE_TRIGGERS:
            errors.append(
                FieldError(
                    f"rule {spec['rule']!r} counts from {rule.trigger}, which files do not have",
                    file=source,
                    field=str(directory),
                )
            )
        clean = str(directory).strip("/")
        if not clean or ".." in Path(clean).parts:
            errors.append(
                FieldError(
                    "a directory below TUTELA_FILES_ROOT, without '..'", file=source, field=str(directory)
                )
            )
        out.append(Mapping(clean, spec["rule"], bool(spec.get("cameras", False))))
    if errors:
        raise InvalidInput("the files mapping is not valid", errors=errors)
    return out


def file_time(path: Path) -> dt.datetime:
    """The recording time: from the name (``YYYYMMDDTHHMMSS``, Brussels time) or else the modification time."""
    match = _STAMP.search(path.name)
    if match:
        try:
            naive = dt.datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S")
            return naive.replace(tzinfo=clock.BRUSSELS)
        except ValueError:
            pass
    return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)


def _walk(root: Path) -> Iterator[Path]:
    stack = [root]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        yield Path(entry.path)
        except FileNotFoundError:
            continue


def _held(holds: list[LegalHold], camera: str | None, at: dt.datetime) -> LegalHold | None:
    for hold in holds:
        if camera is None or hold.camera != camera:
            continue
        if hold.window_start and at < hold.window_start:
            continue
        if hold.window_end and at > hold.window_end:
            continue
        return hold
    return None


def files_sweep(
    *, dry_run: bool, today: dt.date | None = None, run: SweepRun | None = None
) -> dict[str, Any]:
    """Delete the files past their rule, except those a camera hold covers. Returns counts (and rows)."""
    policy = active_policy()
    today = today or clock.today()
    root = Path(settings.TUTELA_FILES_ROOT)
    holds = camera_holds()
    result: dict[str, Any] = {"due": 0, "deleted": 0, "held": 0, "rows": []}
    for mapping in load_mapping(policy):
        rule = policy.retention[mapping.rule]
        base = root / mapping.directory
        deleted = held = 0
        for path in sorted(_walk(base)):
            at = file_time(path)
            due_on = rules.add_period(at.astimezone(clock.BRUSSELS).date(), rule.period)
            if due_on > today:
                continue
            relative = path.relative_to(base).parts
            camera = relative[0] if mapping.cameras and len(relative) > 1 else None
            hold = _held(holds, camera, at)
            result["due"] += 1
            if dry_run:
                result["rows"].append(
                    {
                        "item_id": None,
                        "path": str(path.relative_to(root)),
                        "rules": [mapping.rule],
                        "purposes": [],
                        "due_on": due_on.isoformat(),
                        "action": "keep (legal hold)" if hold else "delete file",
                        "held": bool(hold),
                        "why": f"recorded {at.isoformat()}; rule {mapping.rule} ({rule.period})",
                    }
                )
            if hold:
                held += 1
                continue
            if not dry_run:
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
            deleted += 1
        result["held"] += held
        result["deleted"] += deleted
        if not dry_run and (deleted or held):
            with transaction.atomic():
                if run is not None:
                    SweepRun.objects.filter(pk=run.pk).update(
                        files_deleted=run.files_deleted + deleted, files_held=run.files_held + held
                    )
                    run.files_deleted += deleted
                    run.files_held += held
                audit_many(
                    [
                        AuditRecord(
                            "retention.files",
                            object_type="retention_sweep",
                            object_id=run.pk if run else "",
                            payload={
                                "directory": mapping.directory,
                                "rule": mapping.rule,
                                "deleted": deleted,
                                "held": held,
                            },
                        )
                    ]
                )
    if not dry_run:
        result.pop("rows")
    return result
