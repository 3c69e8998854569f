"""``import_file``: read, map, validate every row, then write all (or, with ``partial``, the good rows)."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from tutela.accounts.permissions import require_controller
from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.errors import FieldError, InvalidInput
from tutela.policy.selectors import active_policy
from tutela.subjects.importing.mapping import build_mapping
from tutela.subjects.importing.reader import read_table
from tutela.subjects.importing.validate import (
    expired_rows,
    forget_normalised,
    plan_columns,
    validate_table,
)
from tutela.subjects.importing.writer import (
    Context,
    Counts,
    ambiguous_rows,
    chunks,
    known_subjects,
    write_batch,
)

BATCH = 5000


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[FieldError] = field(default_factory=list)
    refused: bool = False
    file: str = ""
    sha256: str = ""
    rows: int = 0
    items_created: int = 0
    items_updated: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    #: rows already past retention, imported because ``accept_expired`` said so
    expired: list[FieldError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "rejected": self.rejected,
            "errors": [{"row": e.row, "column": e.field, "message": e.message} for e in self.errors],
            "unchanged": self.unchanged,
            "rows": self.rows,
            "items_created": self.items_created,
            "items_updated": self.items_updated,
            "refused": self.refused,
            "file": self.file,
            "sha256": self.sha256,
            "ignored_columns": self.ignored_columns,
            "expired": [{"row": e.row, "column": e.field, "message": e.message} for e in self.expired],
        }


def write_error_csv(path: Path, errors: list[FieldError]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "column", "message"])
        for e in errors:
            writer.writerow([e.row if e.row is not None else "", e.field or "", e.message])


class Progress:
    """Callbacks a front end passes to show progress: ``start(phase, total)`` and ``advance(n)``."""

    def start(self, phase: str, total: int) -> None: ...

    def advance(self, n: int) -> None: ...


def import_file(
    *,
    path: Path,
    controller: str,
    subject_type: str,
    source: str,
    mapping_file: Path | None = None,
    partial: bool = False,
    source_detail: str = "",
    progress: Progress | None = None,
    principal: Principal,
    accept_expired: bool = False,
) -> ImportReport:
    """Import people and their data from a CSV or XLSX file, all or nothing unless ``partial``.

    Raises InvalidInput for a file that cannot be read or mapped at all (nothing written). Row errors
    are returned in the report; without ``partial`` any row error refuses the whole file. Rows already
    past retention by their own dates are row errors unless ``accept_expired`` (then listed as expired)."""
    require_controller(principal, controller)
    progress = progress or Progress()
    policy = active_policy()
    table = read_table(path)
    mapping = build_mapping(policy, table.headers, mapping_file=mapping_file, file_name=path.name)
    plans = plan_columns(
        policy, mapping, controller=controller, subject_type=subject_type, source=source, file_name=path.name
    )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    report = ImportReport(
        file=path.name, sha256=digest, rows=len(table.rows), ignored_columns=mapping.ignored
    )
    progress.start("validating", len(table.rows))
    try:
        good, errors, rejected = validate_table(policy, mapping, plans, table, advance=progress.advance)
    finally:
        forget_normalised()  # the cache held clear identifiers: drop them with the import
    progress.advance(len(table.rows) % 1000)
    expired = expired_rows(policy, mapping, plans, good, subject_type=subject_type, today=clock.today())
    if expired and not accept_expired:
        late = {e.row for e in expired}
        good = [row for row in good if row.number not in late]
        errors = sorted([*errors, *expired], key=lambda e: e.row or 0)
        rejected += len(late)
    elif expired:
        report.expired = expired
    counts = Counts()
    with transaction.atomic():
        _serialise_imports()
        # the people already known, found once for the whole file under the lock (the writer keeps the map
        # up to date batch after batch); rows tying two of them together are refused before any write
        known = known_subjects(sorted({lk for row in good for lk in row.lookups}))
        ambiguous = ambiguous_rows(good, known)
        if ambiguous:
            bad_rows = {e.row for e in ambiguous}
            good = [row for row in good if row.number not in bad_rows]
            errors = sorted([*errors, *ambiguous], key=lambda e: e.row or 0)
            rejected += len(bad_rows)
        report.errors, report.rejected = errors, rejected
        if errors and not partial:
            report.refused = True
            return report
        if len(source_detail) > 250:
            raise InvalidInput("--source-detail is longer than 250 characters")
        ctx = Context(
            controller=controller,
            subject_type=subject_type,
            relationship=policy.subject_types[subject_type].relationship,
            source=source,
            source_detail=source_detail.strip(),
            from_subject=policy.sources[source].from_subject,
            file_name=path.name,
            file_hash=digest,
            plans={p.category: p for p in plans},
        )
        progress.start("importing", len(good))
        for number, batch in enumerate(chunks(good, BATCH), start=1):
            write_batch(list(batch), ctx, counts, known, batch_no=number)
            progress.advance(len(batch))
    report.imported, report.updated, report.unchanged = counts.imported, counts.updated, counts.unchanged
    report.items_created, report.items_updated = counts.items_created, counts.items_updated
    return report


ProgressCallback = Callable[[int], None]


#: the key of the PostgreSQL advisory lock that lets one import write at a time
IMPORT_LOCK = 0x7475_7465_6C61  # "tutela"


def _serialise_imports() -> None:
    """Two imports naming the same person must not both find them missing and both create them. SQLite's
    IMMEDIATE transactions already write one at a time; on PostgreSQL a transaction-scoped advisory lock
    does the same for the writing phase (validation, the slow part, still runs in parallel)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
