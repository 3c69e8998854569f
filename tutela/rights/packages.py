"""Access and portability packages on disk.

A package holds a person's data in clear, so it exists only as long as needed:

- it is written to a temporary file and renamed into place only when the fulfilment commits; a rolled-back
  fulfilment removes the temporary file (:func:`staging` around the transaction, :func:`stage` inside it);
- the person's packages are deleted (after commit) when their data are erased (:func:`forget_subject`);
- packages older than ``TUTELA_PACKAGE_DAYS`` (default 30) are deleted by ``tutela rights purge-packages``
  (:func:`purge`), which also deletes those of people erased by another path (retention) and stray
  temporary files.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from tutela.accounts.permissions import require_write
from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.audit import audit_log
from tutela.core.errors import PermissionDenied

PART = ".part"
PACKAGE_TYPES = ("access", "portability")
_local = threading.local()


def package_days() -> int:
    return int(getattr(settings, "TUTELA_PACKAGE_DAYS", 30))


def _pending() -> list[Path] | None:
    stack: list[list[Path]] = getattr(_local, "stack", [])
    return stack[-1] if stack else None


@contextmanager
def staging() -> Iterator[None]:
    """Around a transaction that stages packages: on any error, the staged temporary files are removed."""
    stack: list[list[Path]] = getattr(_local, "stack", None) or []
    _local.stack = stack
    mine: list[Path] = []
    stack.append(mine)
    try:
        yield
    except BaseException:
        for tmp in mine:
            tmp.unlink(missing_ok=True)
        raise
    finally:
        stack.pop()


def stage(path: Path, blob: bytes) -> Path:
    """Write ``blob`` to a private temporary file beside ``path``; it becomes ``path`` when the current
    transaction commits (at once outside a transaction)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=PART)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    pending = _pending()
    if pending is not None:
        pending.append(tmp)

    def publish() -> None:
        os.replace(tmp, path)
        if pending is not None and tmp in pending:
            pending.remove(tmp)

    transaction.on_commit(publish)
    return path


def _unlink_on_commit(paths: list[Path]) -> None:
    def remove() -> None:
        for p in paths:
            p.unlink(missing_ok=True)

    if paths:
        transaction.on_commit(remove)


def forget_subject(subject_id: int) -> int:
    """Delete (after commit) every package made for this person; returns how many requests had one."""
    from tutela.rights.models import RightsRequest

    paths: list[Path] = []
    count = 0
    with transaction.atomic():
        rows = RightsRequest.objects.select_for_update().filter(subject_id=subject_id, type__in=PACKAGE_TYPES)
        for req in rows:
            if "package" not in (req.details or {}):
                continue
            paths.append(Path(req.details["package"]))
            req.details = {k: v for k, v in req.details.items() if k != "package"}
            req.save(update_fields=["details"])
            count += 1
        if count:
            audit_log(
                "request.packages_deleted",
                object_type="subject",
                object_id=subject_id,
                subject_id=subject_id,
                payload={"packages": count, "why": "erasure"},
            )
        _unlink_on_commit(paths)
    return count


@dataclass
class PurgeResult:
    expired: int = 0
    erased: int = 0
    strays: int = 0
    ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"expired": self.expired, "erased": self.erased, "strays": self.strays, "requests": self.ids}


def purge(*, principal: Principal, days: int | None = None, export_dir: Path | None = None) -> PurgeResult:
    """Delete packages older than ``days`` (``TUTELA_PACKAGE_DAYS``), those of erased people, and temporary
    files left for more than a day (a crash between writing and committing). Tutela's own housekeeping:
    the CLI or a worker (group-wide)."""
    require_write(principal)
    if not principal.is_group_wide:
        raise PermissionDenied("packages of both entities are purged by the DPO, the CLI or the worker")
    from tutela.rights.fulfil import exports_dir
    from tutela.rights.models import RightsRequest

    days = package_days() if days is None else days
    cutoff = clock.now() - dt.timedelta(days=days)
    result = PurgeResult()
    paths: list[Path] = []
    with transaction.atomic():
        rows = (
            RightsRequest.objects.select_for_update(of=("self",))
            .filter(type__in=PACKAGE_TYPES, details__has_key="package")
            .select_related("subject")
        )
        for req in rows:
            erased = req.subject is not None and req.subject.erased_at is not None
            expired = req.answered_at is not None and req.answered_at < cutoff
            if not (erased or expired):
                continue
            paths.append(Path(req.details["package"]))
            req.details = {k: v for k, v in req.details.items() if k != "package"}
            req.save(update_fields=["details"])
            result.ids.append(req.pk)
            if erased:
                result.erased += 1
            else:
                result.expired += 1
        if result.ids:
            audit_log(
                "request.packages_purged",
                object_type="request",
                payload={"expired": result.expired, "erased": result.erased, "days": days},
                actor=principal.actor,
            )
        _unlink_on_commit(paths)
    folder = export_dir or exports_dir()
    stale = clock.now().timestamp() - 86400
    for tmp in folder.glob(f".*{PART}"):
        if tmp.stat().st_mtime < stale:
            tmp.unlink(missing_ok=True)
            result.strays += 1
    return result
