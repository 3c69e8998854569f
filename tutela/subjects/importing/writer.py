"""Writing validated rows, set-based: a few queries per batch, never one per row.

For each batch: the people already known are found with ``lookup__in`` queries on the blind indexes of
their e-mail, phone and national number; their items and relationships with this controller are read in
one query each; then new people, new items and relationships are inserted with ``bulk_create`` and changed
values with ``bulk_update``. One audit entry per batch (counts, file hash, source), plus one per changed
value carrying the old value's provenance (with the person's id, so erasure can redact it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import F

from tutela.core import clock
from tutela.core.audit import AuditRecord, audit_many
from tutela.subjects import values
from tutela.subjects.importing.validate import Cell, ColumnPlan, Row
from tutela.subjects.models import DataItem, Relationship, Subject
from tutela.subjects.scoping import IN_USE

T = TypeVar("T")
CHUNK = 2000
ITEM_FIELDS = [
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


@dataclass
class Counts:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    items_created: int = 0
    items_updated: int = 0
    subject_ids: list[int] = field(default_factory=list)


def _same(item: DataItem, cell: Cell) -> bool:
    if cell.stored.lookup:
        return item.lookup == cell.stored.lookup
    if item.value_sealed:
        return values.item_value(item) == cell.normalised
    return item.value == cell.normalised


def _provenance(item: DataItem) -> dict[str, Any]:
    return {
        "item": item.pk,
        "category": item.category,
        "source": item.source,
        "source_detail": item.source_detail,
        "collected_at": item.collected_at.isoformat() if item.collected_at else None,
        **({} if item.value_sealed else {"value": item.value}),
    }


def _known_subjects(lookups: list[str]) -> dict[str, int]:
    """blind index -> id of the live person holding it (merges followed)."""
    found: dict[str, int] = {}
    for part in chunks(lookups):
        for lookup, subject_id in (
            DataItem.objects.filter(lookup__in=part, status__in=IN_USE, subject__erased_at__isnull=True)
            .order_by("subject_id")
            .values_list("lookup", "subject_id")
        ):
            if lookup:
                found.setdefault(lookup, subject_id)
    merged = dict(
        Subject.objects.filter(pk__in=set(found.values()), merged_into__isnull=False).values_list(
            "pk", "merged_into_id"
        )
    )
    if merged:
        from tutela.subjects.selectors import _follow

        live = {old: _follow(new) for old, new in merged.items()}
        found = {lk: (person.pk if (person := live.get(sid)) else sid) for lk, sid in found.items()}
    return found


def write_batch(rows: list[Row], ctx: Context, counts: Counts, *, batch_no: int) -> None:
    now = clock.now()
    known = _known_subjects(sorted({lk for row in rows for lk in row.lookups}))
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

    # new people
    people = [
        Subject(
            language=next((r.language for r in group if r.language), "en"), created_at=now, updated_at=now
        )
        for group in new_rows
    ]
    Subject.objects.bulk_create(people, batch_size=CHUNK)
    new_items: list[DataItem] = []
    new_rels: list[Relationship] = []
    for person, group in zip(people, new_rows, strict=True):
        counts.imported += len(group)
        counts.subject_ids.append(person.pk)
        cells: dict[tuple[str, str], tuple[Row, Cell]] = {}
        for row in group:
            for cell in row.cells:
                cells[(cell.category, cell.stored.lookup or cell.normalised)] = (row, cell)
        new_items.extend(_item(person.pk, row, cell, ctx, now) for row, cell in cells.values())
        new_rels.append(_relationship(person.pk, group, ctx, now, None) or Relationship())

    # people already known: compare and update
    updates: list[DataItem] = []
    rel_updates: list[Relationship] = []
    audits: list[AuditRecord] = []
    lang_updates: dict[str, list[int]] = {}
    if old_rows:
        sids = sorted(old_rows)
        existing: dict[tuple[int, str], list[DataItem]] = {}
        rels: dict[int, Relationship] = {}
        for part in chunks(sids):
            for item in DataItem.objects.filter(
                subject_id__in=part, controller=ctx.controller, status__in=IN_USE, on_behalf_of=""
            ).order_by("pk"):
                existing.setdefault((item.subject_id, item.category), []).append(item)
            for rel in Relationship.objects.filter(
                subject_id__in=part, controller=ctx.controller, kind=ctx.subject_type
            ):
                rels[rel.subject_id] = rel
        languages = (
            dict(Subject.objects.filter(pk__in=sids).values_list("pk", "language"))
            if any(r.language for group in old_rows.values() for r in group)
            else {}
        )
        changed_people: set[int] = set()
        for sid, group in old_rows.items():
            changed = False
            for row in group:
                for cell in row.cells:
                    held = existing.get((sid, cell.category), [])
                    if any(_same(item, cell) for item in held):
                        continue
                    changed = True
                    if not held:
                        item = _item(sid, row, cell, ctx, now)
                        new_items.append(item)
                        existing.setdefault((sid, cell.category), []).append(item)
                        continue
                    item = held[0]
                    before = _provenance(item)
                    _apply(item, row, cell, ctx, now)
                    updates.append(item)
                    audits.append(
                        AuditRecord(
                            "item.rectify",
                            "data_item",
                            item.pk,
                            sid,
                            {
                                "before": before,
                                "after": _provenance(item),
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
            changed_rel = _relationship(sid, group, ctx, now, rels.get(sid))
            if changed_rel is not None:
                changed = True
                (rel_updates if changed_rel.pk else new_rels).append(changed_rel)
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
    DataItem.objects.bulk_create(new_items, batch_size=CHUNK)
    if updates:
        DataItem.objects.bulk_update(updates, ITEM_FIELDS, batch_size=500)
    Relationship.objects.bulk_create([r for r in new_rels if r.subject_id], batch_size=CHUNK)
    if rel_updates:
        Relationship.objects.bulk_update(
            rel_updates, ["started_on", "ended_on", "last_interest_on", "updated_at"], batch_size=500
        )
    counts.items_created += len(new_items)
    counts.items_updated += len(updates)
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
                "subjects_created": [p.pk for p in people],
                "subjects_updated": len(old_rows),
                "items_created": len(new_items),
                "items_updated": len(updates),
            },
        ),
    )
    audit_many(audits)


def _detail(ctx: Context) -> str:
    file_note = f"file {ctx.file_name}"
    return (f"{ctx.source_detail}; {file_note}" if ctx.source_detail else file_note)[:300]


def _item(subject_id: int, row: Row, cell: Cell, ctx: Context, now: dt.datetime) -> DataItem:
    item = DataItem(subject_id=subject_id, controller=ctx.controller, category=cell.category, created_at=now)
    _apply(item, row, cell, ctx, now)
    return item


def _apply(item: DataItem, row: Row, cell: Cell, ctx: Context, now: dt.datetime) -> None:
    item.value = cell.stored.value
    item.value_sealed = cell.stored.value_sealed
    item.lookup = cell.stored.lookup
    item.source = ctx.source
    item.source_detail = _detail(ctx)
    item.collected_at = row.collected_at or now
    item.purposes = list(ctx.plans[cell.category].purposes)
    item.provided_by_subject = ctx.from_subject
    item.updated_at = now


def _relationship(
    subject_id: int, group: list[Row], ctx: Context, now: dt.datetime, rel: Relationship | None
) -> Relationship | None:
    """The relationship to insert or update for these rows, or None when nothing changes."""
    wanted: dict[str, dt.date | None] = {}
    for row in group:
        collected = (row.collected_at or now).astimezone(clock.BRUSSELS).date()
        if row.contract_start:
            wanted["started_on"] = row.contract_start
        if row.contract_end:
            wanted["ended_on"] = row.contract_end
        if row.last_interest:
            wanted["last_interest_on"] = row.last_interest
        elif ctx.relationship == "interest" and rel is None:
            wanted.setdefault("last_interest_on", collected)
        if (
            ctx.relationship in ("subscription", "participation", "visit")
            and not row.contract_start
            and rel is None
        ):
            wanted.setdefault("started_on", collected)
    if rel is None:
        return Relationship(
            subject_id=subject_id,
            controller=ctx.controller,
            kind=ctx.subject_type,
            created_at=now,
            updated_at=now,
            **wanted,
        )
    if all(getattr(rel, k) == v for k, v in wanted.items()):
        return None
    for key, val in wanted.items():
        setattr(rel, key, val)
    rel.updated_at = now
    return rel


ProgressHook = Callable[[int], None]
