"""Writing validated rows, set-based: a few queries per batch, never one per row.

The people already known are found once per file, under the import lock: the blind indexes of every
row's e-mail, phone and national number go into a temporary table joined once with the items' look-up
index (merges followed). The map is then kept up to date with what each batch writes. For each batch:
the items and relationships of its known people with this controller are read in one query each; new
people, new items and new relationships are written with COPY on PostgreSQL (ids taken from the
sequence first; items as text lines built from per-batch templates) and with ``bulk_create`` /
``executemany`` on SQLite; changed values are updated by primary key. One audit entry per batch
(counts, file hash, source), plus one per changed value carrying the old value's provenance (with the
person's id, so erasure can redact it).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from django.db import connection
from django.db.models import F

from tutela.core import clock, crypto
from tutela.core.audit import AuditRecord, audit_many
from tutela.core.errors import FieldError
from tutela.subjects.importing.fastsql import (
    TempKeys,
    copy_escape,
    copy_lines,
    copy_text,
    date_value,
    dt_value,
    insert_rows,
    next_ids,
    update_rows,
)
from tutela.subjects.importing.validate import Cell, ColumnPlan, Row
from tutela.subjects.models import DataItem, Relationship, Subject
from tutela.subjects.scoping import IN_USE

T = TypeVar("T")
CHUNK = 2000
ITEM_INSERT = [
    "subject",
    "controller",
    "category",
    "value",
    "value_sealed",
    "lookup",
    "source",
    "source_detail",
    "collected_at",
    "purposes",
    "status",
    "provided_by_subject",
    "on_behalf_of",
    "instruction_ref",
    "created_at",
    "updated_at",
]
ITEM_UPDATE = [
    "value",
    "value_sealed",
    "lookup",
    "source",
    "source_detail",
    "collected_at",
    "purposes",
    "provided_by_subject",
    "updated_at",
]
REL_INSERT = [
    "subject",
    "controller",
    "kind",
    "started_on",
    "ended_on",
    "last_interest_on",
    "created_at",
    "updated_at",
]
#: the same columns, in the order of the COPY text lines built by ``ItemRows`` (varying columns first)
ITEM_COPY = [
    "subject",
    "category",
    "value",
    "value_sealed",
    "lookup",
    "collected_at",
    "purposes",
    "controller",
    "source",
    "source_detail",
    "status",
    "provided_by_subject",
    "on_behalf_of",
    "instruction_ref",
    "created_at",
    "updated_at",
]
SUBJECT_COPY = ["id", "public_id", "language", "created_at", "updated_at", "version"]
REL_UPDATE = ["started_on", "ended_on", "last_interest_on", "updated_at"]
REL_DATES = ("started_on", "ended_on", "last_interest_on")


def chunks(seq: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


@dataclass
class Context:
    controller: str
    subject_type: str
    relationship: str  # the subject type's relationship kind (contract, interest, subscription …)
    source: str
    source_detail: str
    from_subject: bool
    file_name: str
    file_hash: str
    plans: dict[str, ColumnPlan]

    @property
    def detail(self) -> str:
        note = f"file {self.file_name}"
        return (f"{self.source_detail}; {note}" if self.source_detail else note)[:300]


@dataclass
class Counts:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    items_created: int = 0
    items_updated: int = 0
    subject_ids: list[int] = field(default_factory=list)


class Held(NamedTuple):
    pk: int
    subject_id: int
    category: str
    value: str
    value_sealed: str
    lookup: str | None
    source: str
    source_detail: str
    collected_at: dt.datetime | None


class Rel(NamedTuple):
    pk: int
    subject_id: int
    started_on: dt.date | None
    ended_on: dt.date | None
    last_interest_on: dt.date | None


def _same(item: Held, cell: Cell) -> bool:
    if cell.lookup:
        return item.lookup == cell.lookup
    if item.value_sealed:
        return crypto.decrypt(item.value_sealed, context=item.category) == cell.normalised
    return item.value == cell.normalised


def _provenance(
    pk: int, category: str, source: str, detail: str, at: dt.datetime | None, value: str | None
) -> dict[str, Any]:
    return {
        "item": pk,
        "category": category,
        "source": source,
        "source_detail": detail,
        "collected_at": at.isoformat() if at else None,
        **({} if value is None else {"value": value}),
    }


def _follow_merges(found: dict[str, int]) -> dict[str, int]:
    """Point each blind index at the live person its holder was merged into (if any)."""
    merged: dict[int, int] = {}
    for part in chunks(sorted(set(found.values()))):
        merged.update(
            Subject.objects.filter(pk__in=part, merged_into__isnull=False).values_list("pk", "merged_into_id")
        )
    if not merged:
        return found
    from tutela.subjects.selectors import _follow

    live = {old: _follow(new) for old, new in merged.items()}
    return {lk: (person.pk if (person := live.get(sid)) else sid) for lk, sid in found.items()}


def _lookup_owners(lookups: Sequence[str]) -> dict[str, int]:
    """blind index -> id of the live person holding it (merges followed), for a few look-ups."""
    found: dict[str, int] = {}
    for part in chunks(lookups):
        for lookup, subject_id in (
            DataItem.objects.filter(lookup__in=part, status__in=IN_USE, subject__erased_at__isnull=True)
            .order_by("subject_id")
            .values_list("lookup", "subject_id")
        ):
            if lookup:
                found.setdefault(lookup, subject_id)
    return _follow_merges(found)


def known_subjects(lookups: Sequence[str]) -> dict[str, int]:
    """blind index -> id of the live person holding it (merges followed), for all of a file's look-ups at
    once: one temporary table joined with the items' look-up index, where ``lookup IN (…)`` chunks cost a
    query per 2,000 values and most of an import's time. Run it inside the import's transaction."""
    qn = connection.ops.quote_name
    item, person = qn(DataItem._meta.db_table), qn(Subject._meta.db_table)
    found: dict[str, int] = {}
    with TempKeys("tutela_import_lookup") as keys:
        keys.fill(lookups)
        if connection.vendor == "postgresql":
            # one index probe per key, in key order (neighbouring leaf pages): a merge join would read the
            # whole look-up index and the items behind it, and grow with the register, not the file
            sql = (
                f"SELECT t.k, m.subject_id FROM (SELECT k FROM {keys.name} ORDER BY k) t "  # noqa: S608
                f"CROSS JOIN LATERAL (SELECT d.subject_id FROM {item} d JOIN {person} s ON s.id = d.subject_id "
                "WHERE d.lookup = t.k AND d.status IN (%s, %s) AND s.erased_at IS NULL "
                "ORDER BY d.subject_id LIMIT 1) m"
            )
        else:
            sql = (
                f"SELECT d.lookup, d.subject_id FROM {keys.name} t "  # noqa: S608
                f"JOIN {item} d ON d.lookup = t.k JOIN {person} s ON s.id = d.subject_id "
                "WHERE d.status IN (%s, %s) AND s.erased_at IS NULL ORDER BY d.subject_id"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, [str(status) for status in IN_USE])
            for lookup, subject_id in cursor.fetchall():
                found.setdefault(lookup, subject_id)
    return _follow_merges(found)


def ambiguous_rows(rows: Sequence[Row], known: dict[str, int]) -> list[FieldError]:
    """Rows whose identifiers belong to different people already in the register (checked before anything
    is written, against ``known_subjects`` of the whole file): importing them would tie two people together."""
    errors: list[FieldError] = []
    for row in rows:
        ids = sorted({known[lk] for lk in row.lookups if lk in known})
        if len(ids) > 1:
            errors.append(
                FieldError(
                    "the e-mail, phone or national number of this row belong to different people "
                    f"(ids {', '.join(map(str, ids))}): merge them first (`tutela subject merge`)",
                    row=row.number,
                )
            )
    return errors


class ItemRows:
    """The new DataItem rows of a batch. On PostgreSQL each becomes a COPY text line at once, from a
    per-category template holding the batch's constant columns; elsewhere a tuple for ``executemany``."""

    def __init__(self, ctx: Context, purposes: dict[str, str], now: dt.datetime) -> None:
        self.copy = connection.vendor == "postgresql"
        self.ctx, self.purposes = ctx, purposes
        self.now_db = dt_value(now)
        self.lines: list[str] = []
        self.rows: list[tuple[Any, ...]] = []
        # no date in the file: the collection date is unknown (NULL), never the time of the import
        self._moments: dict[dt.datetime | None, Any] = {None: None}
        if self.copy:
            tail = "\t".join(
                copy_text(v)
                for v in (
                    ctx.controller,
                    ctx.source,
                    ctx.detail,
                    DataItem.Status.ACTIVE.value,
                    ctx.from_subject,
                    "",
                    "",
                    self.now_db,
                    self.now_db,
                )
            )
            self._head = {cat: f"\t{copy_escape(cat)}\t" for cat in purposes}
            self._tail = {cat: f"\t{copy_escape(p)}\t{tail}\n" for cat, p in purposes.items()}
            self._moments = {None: "\\N"}

    def __len__(self) -> int:
        return len(self.lines) if self.copy else len(self.rows)

    def _at(self, at: dt.datetime | None) -> Any:
        found = self._moments.get(at)
        if found is None:
            found = copy_text(dt_value(at)) if self.copy else dt_value(at)
            self._moments[at] = found
        return found

    def add(self, sid: int, row: Row, cell: Cell) -> None:
        if self.copy:
            value = copy_escape(cell.value)
            sealed = cell.value_sealed and copy_escape(cell.value_sealed)
            lookup = cell.lookup or "\\N"
            at = self._at(row.collected_at)
            self.lines.append(
                f"{sid}{self._head[cell.category]}{value}\t{sealed}\t{lookup}\t{at}{self._tail[cell.category]}"
            )
            return
        ctx = self.ctx
        self.rows.append(
            (
                sid,
                ctx.controller,
                cell.category,
                cell.value,
                cell.value_sealed,
                cell.lookup,
                ctx.source,
                ctx.detail,
                self._at(row.collected_at),
                self.purposes[cell.category],
                DataItem.Status.ACTIVE.value,
                ctx.from_subject,
                "",
                "",
                self.now_db,
                self.now_db,
            )
        )

    def write(self) -> None:
        if self.copy:
            copy_lines(DataItem, ITEM_COPY, "".join(self.lines))
        else:
            insert_rows(DataItem, ITEM_INSERT, self.rows)


def _create_people(languages: list[str], now: dt.datetime) -> list[int]:
    """Insert new people (one per language given) and return their ids, in order."""
    if connection.vendor != "postgresql":
        people = [Subject(language=lang, created_at=now, updated_at=now) for lang in languages]
        Subject.objects.bulk_create(people, batch_size=CHUNK)
        return [int(p.pk) for p in people]
    ids = next_ids(Subject, len(languages))
    at = copy_text(dt_value(now))
    copy_lines(
        Subject,
        SUBJECT_COPY,
        "".join(
            f"{pk}\t{uuid.uuid4()}\t{copy_escape(lang)}\t{at}\t{at}\t1\n"
            for pk, lang in zip(ids, languages, strict=True)
        ),
    )
    return ids


def write_batch(
    rows: list[Row], ctx: Context, counts: Counts, known: dict[str, int], *, batch_no: int
) -> None:
    """Write one batch. ``known`` (from ``known_subjects``) is brought up to date with what it writes:
    the next batch then sees the people this one created, as a query of the database would."""
    now = clock.now()
    now_db = dt_value(now)
    # which person each row is about: a known one, or a new one shared by rows with a common identifier
    new_of_lookup: dict[str, int] = {}
    new_rows: list[list[Row]] = []
    old_rows: dict[int, list[Row]] = {}
    for row in rows:
        sid = next((known[lk] for lk in row.lookups if lk in known), None)
        if sid is not None:
            old_rows.setdefault(sid, []).append(row)
            continue
        slot = next((new_of_lookup[lk] for lk in row.lookups if lk in new_of_lookup), None)
        if slot is None:
            slot = len(new_rows)
            new_rows.append([])
        new_rows[slot].append(row)
        for lk in row.lookups:
            new_of_lookup.setdefault(lk, slot)

    purposes = {cat: json.dumps(list(plan.purposes)) for cat, plan in ctx.plans.items()}
    detail = ctx.detail
    items = ItemRows(ctx, purposes, now)
    new_item = items.add
    rel_rows: list[tuple[Any, ...]] = []
    #: look-ups whose holders this batch changes among people already known (re-read after writing)
    touched: set[str] = set()

    # new people
    people = _create_people(
        [next((r.language for r in group if r.language), "en") for group in new_rows], now
    )
    for pk, group in zip(people, new_rows, strict=True):
        counts.imported += len(group)
        counts.subject_ids.append(pk)
        cells: dict[tuple[str, str], tuple[Row, Cell]] = {}
        for row in group:
            for cell in row.cells:
                cells[(cell.category, cell.lookup or cell.normalised)] = (row, cell)
        for row, cell in cells.values():
            new_item(pk, row, cell)
        wanted = _wanted_dates(group, ctx, now, exists=False)
        rel_rows.append(
            (
                pk,
                ctx.controller,
                ctx.subject_type,
                *(date_value(wanted.get(k)) for k in REL_DATES),
                now_db,
                now_db,
            )
        )

    # people already known: compare and update
    item_updates: list[tuple[Any, ...]] = []
    rel_updates: list[tuple[Any, ...]] = []
    audits: list[AuditRecord] = []
    if old_rows:
        sids = sorted(old_rows)
        existing: dict[tuple[int, str], list[Held]] = {}
        rels: dict[int, Rel] = {}
        for part in chunks(sids):
            for held in (
                DataItem.objects.filter(
                    subject_id__in=part, controller=ctx.controller, status__in=IN_USE, on_behalf_of=""
                )
                .order_by("pk")
                .values_list(*Held._fields)
            ):
                item = Held(*held)
                existing.setdefault((item.subject_id, item.category), []).append(item)
            for rel in Relationship.objects.filter(
                subject_id__in=part, controller=ctx.controller, kind=ctx.subject_type
            ).values_list(*Rel._fields):
                rels[rel[1]] = Rel(*rel)
        with_language = any(r.language for group in old_rows.values() for r in group)
        languages = (
            dict(Subject.objects.filter(pk__in=sids).values_list("pk", "language")) if with_language else {}
        )
        changed_people: set[int] = set()
        lang_updates: dict[str, list[int]] = {}
        for sid, group in old_rows.items():
            changed = False
            for row in group:
                for cell in row.cells:
                    held_items = existing.get((sid, cell.category), [])
                    if any(_same(item, cell) for item in held_items):
                        continue
                    changed = True
                    if not held_items:
                        new_item(sid, row, cell)
                        if cell.lookup:
                            touched.add(cell.lookup)
                        existing[(sid, cell.category)] = [
                            Held(
                                0,
                                sid,
                                cell.category,
                                cell.value,
                                cell.value_sealed,
                                cell.lookup,
                                ctx.source,
                                detail,
                                row.collected_at,
                            )
                        ]
                        continue
                    old = held_items[0]
                    touched.update(lk for lk in (old.lookup, cell.lookup) if lk)
                    # a new value keeps the item's collection date unless the file states one
                    at = row.collected_at or old.collected_at
                    item_updates.append(
                        (
                            cell.value,
                            cell.value_sealed,
                            cell.lookup,
                            ctx.source,
                            detail,
                            dt_value(at) if at else None,
                            purposes[cell.category],
                            ctx.from_subject,
                            now_db,
                            old.pk,
                        )
                    )
                    held_items[0] = old._replace(
                        value=cell.value,
                        value_sealed=cell.value_sealed,
                        lookup=cell.lookup,
                    )
                    audits.append(
                        AuditRecord(
                            "item.rectify",
                            "data_item",
                            old.pk,
                            sid,
                            {
                                "before": _provenance(
                                    old.pk,
                                    old.category,
                                    old.source,
                                    old.source_detail,
                                    old.collected_at,
                                    None if old.value_sealed else old.value,
                                ),
                                "after": _provenance(
                                    old.pk,
                                    cell.category,
                                    ctx.source,
                                    detail,
                                    at,
                                    None if cell.value_sealed else cell.value,
                                ),
                                "value_changed": True,
                                "via": "import",
                                "file": ctx.file_name,
                                "sha256": ctx.file_hash,
                            },
                        )
                    )
                lang = row.language
                if lang and languages.get(sid) not in (None, lang):
                    lang_updates.setdefault(lang, []).append(sid)
                    languages[sid] = lang
                    changed = True
            current = rels.get(sid)
            wanted = _wanted_dates(group, ctx, now, exists=current is not None)
            if current is None:
                changed = True
                rel_rows.append(
                    (
                        sid,
                        ctx.controller,
                        ctx.subject_type,
                        *(date_value(wanted.get(k)) for k in REL_DATES),
                        now_db,
                        now_db,
                    )
                )
            elif any(getattr(current, k) != v for k, v in wanted.items()):
                changed = True
                merged = {k: wanted.get(k, getattr(current, k)) for k in REL_DATES}
                rel_updates.append((*(date_value(merged[k]) for k in REL_DATES), now_db, current.pk))
            if changed:
                changed_people.add(sid)
                counts.updated += len(group)
            else:
                counts.unchanged += len(group)
        for part in chunks(sorted(changed_people)):
            Subject.objects.filter(pk__in=part).update(updated_at=now, version=F("version") + 1)
        for lang, ids in lang_updates.items():
            for part in chunks(ids):
                Subject.objects.filter(pk__in=part).update(language=lang)
    items.write()
    update_rows(DataItem, ITEM_UPDATE, item_updates)
    insert_rows(Relationship, REL_INSERT, rel_rows)
    update_rows(Relationship, REL_UPDATE, rel_updates)
    counts.items_created += len(items)
    counts.items_updated += len(item_updates)
    audits.insert(
        0,
        AuditRecord(
            "import.batch",
            "import",
            ctx.file_hash[:16],
            None,
            {
                "file": ctx.file_name,
                "sha256": ctx.file_hash,
                "batch": batch_no,
                "rows": len(rows),
                "controller": ctx.controller,
                "subject_type": ctx.subject_type,
                "source": ctx.source,
                "source_detail": ctx.source_detail,
                "subjects_created": people,
                "subjects_updated": len(old_rows),
                "items_created": len(items),
                "items_updated": len(item_updates),
            },
        ),
    )
    audit_many(audits)
    # keep ``known`` what a query would now return: the new people's identifiers, and the holders of the
    # look-ups whose items this batch added to or changed for people already known
    for lookup, slot in new_of_lookup.items():
        known[lookup] = people[slot]
    if touched:
        fresh = _lookup_owners(sorted(touched))
        for lookup in touched:
            if lookup in fresh:
                known[lookup] = fresh[lookup]
            else:
                known.pop(lookup, None)


def _wanted_dates(
    group: list[Row], ctx: Context, now: dt.datetime, *, exists: bool
) -> dict[str, dt.date | None]:
    """The relationship dates these rows state (defaults only for a relationship not yet recorded)."""
    wanted: dict[str, dt.date | None] = {}
    for row in group:
        # the source's dates only: the day of the import is no fact about the person
        collected = row.collected_at.astimezone(clock.BRUSSELS).date() if row.collected_at else None
        if row.contract_start:
            wanted["started_on"] = row.contract_start
        if row.contract_end:
            wanted["ended_on"] = row.contract_end
        if row.last_interest:
            wanted["last_interest_on"] = row.last_interest
        elif ctx.relationship == "interest" and not exists and collected:
            wanted.setdefault("last_interest_on", collected)
        if (
            ctx.relationship in ("subscription", "participation", "visit")
            and not row.contract_start
            and not exists
            and collected
        ):
            wanted.setdefault("started_on", collected)
    return wanted
