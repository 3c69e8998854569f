"""The retention sweep: set-based SQL, one selecting query per purpose set, acting in batches.

Items are grouped by their exact ``purposes`` list (a handful of distinct lists in practice). For each group
the rules of its purposes become one queryset: the conditions of every purpose's rule joined with AND (an
item is due when all its purposes are due), each rule turned into SQL over the item and its person's
relationships with the same controller, with the cut-off date from :func:`rules.latest_anchor_due` (the exact
inverse of adding the period). The pure rules in :mod:`tutela.retention.rules` say the same thing per item;
the tests hold the two to each other.

Each batch (``TUTELA_RETENTION_BATCH`` ids, by ascending id) is its own transaction: act on the items
(``DELETE``/``UPDATE … WHERE id IN (…)``), do to the rows pointing at them what their lifecycle register
states (:mod:`tutela.core.lifecycle`: the disclosure log keeps its former item id …), remove people left with
nothing the same way (a register that keeps proof of a person keeps their bare row), add to the run's counts,
write one audit entry. A ``kill -9`` loses at most the batch in flight, which rolls back whole; the next sweep
takes over the unfinished :class:`SweepRun` and continues.

The sweep always finishes: a batch (or a whole purpose set) that fails rolls back alone, is recorded in the
run's ``problems`` (purpose set, rules, item ids, the error) and in the audit trail, and the rest goes on; such
a run ends ``partial``, not ``failed``, and the next day's run tries those items again.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import socket
import sys
import time
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    CASCADE,
    DO_NOTHING,
    SET_NULL,
    Exists,
    ManyToManyRel,
    Model,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    signals,
)
from django.db.models.deletion import ProtectedError
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.db.models.sql.subqueries import DeleteQuery
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tutela.accounts.permissions import require_decide
from tutela.accounts.principal import Principal, system_principal
from tutela.core import clock, lifecycle
from tutela.core.audit import AuditRecord, audit_many
from tutela.core.errors import Conflict, InvalidInput
from tutela.policy.schema import Policy, Purpose, RetentionRule
from tutela.policy.selectors import active_policy
from tutela.retention import rules
from tutela.retention.models import AnonymousCount, SweepRun
from tutela.retention.selectors import active_holds, explain_items, held_q
from tutela.subjects.models import DataItem, Interaction, Relationship, Subject

#: test-only: after this many committed batches the sweep stops and waits (lets a test kill it mid-run)
PAUSE_ENV = "TUTELA_RETENTION_TEST_PAUSE_AFTER"
#: the daily sweep's principal when the worker runs it: Tutela itself (the audit actor of what it erases)
SWEEP = system_principal("retention-sweep")
#: at most this many item ids are named in a problem (the first and last id say the range)
PROBLEM_IDS = 20


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in Brussels, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=clock.BRUSSELS)


def _collected_on_or_before(day: dt.date) -> Q:
    """Collected on or before ``day`` as the source says; when it said nothing, received by then."""
    end = _day_start(day + dt.timedelta(days=1))
    return Q(collected_at__lt=end) | Q(collected_at__isnull=True, created_at__lt=end)


def _rels(kinds: list[str]) -> QuerySet[Relationship]:
    return Relationship.objects.filter(
        subject_id=OuterRef("subject_id"), controller=OuterRef("controller"), kind__in=kinds
    )


def rule_condition(
    policy: Policy, purpose: Purpose, rule: RetentionRule, today: dt.date, *, with_archive: bool = False
) -> Q:
    """The SQL form of one purpose's rule: items due under it on ``today`` (see rules.rule_anchor); with
    ``with_archive``, items whose archive phase is over too (rules.rule_end_on)."""
    types = {k: st.relationship for k, st in policy.subject_types.items()}
    kinds = list(purpose.subject_types)
    contract_kinds = [k for k in kinds if types.get(k) == "contract"]
    periods = [rule.period]
    if with_archive and rule.action == "archive" and rule.archive_period:
        periods.append(rule.archive_period)
    cutoff = rules.latest_anchor_due(periods, today)
    collected = _collected_on_or_before(cutoff)
    not_ended_by = Q(ended_on__isnull=True) | Q(ended_on__gt=cutoff)
    trigger = rule.trigger
    if trigger == "contract_end":
        if not contract_kinds:
            return Q(pk__in=[])
        return Q(Exists(_rels(contract_kinds))) & ~Q(Exists(_rels(contract_kinds).filter(not_ended_by)))
    if trigger == "last_interest":
        later_interest = Q(last_interest_on__gt=cutoff) | Q(
            last_interest_on__isnull=True, started_on__gt=cutoff
        )
        has_interest = Q(last_interest_on__isnull=False) | Q(started_on__isnull=False)
        return ~Q(Exists(_rels(kinds).filter(later_interest))) & (
            Q(Exists(_rels(kinds).filter(has_interest))) | collected
        )
    if trigger in ("collected", "recorded"):
        return collected
    if trigger == "unsubscribed":
        sub_kinds = [k for k in kinds if types.get(k) == "subscription"]
        if not sub_kinds:
            return collected
        return ~Q(Exists(_rels(sub_kinds).filter(not_ended_by))) & (
            Q(Exists(_rels(sub_kinds).filter(ended_on__isnull=False))) | collected
        )
    if trigger == "books_closed":
        year = rules.last_due_year(periods, today, from_next_january=rule.from_next_january)
        assert year is not None
        boundary = dt.date(year + 1, 1, 1)
        start = _day_start(boundary)
        known = Q(collected_at__lt=start)
        if not contract_kinds:
            return known | Q(collected_at__isnull=True, created_at__lt=start)
        running = Q(ended_on__isnull=True) | Q(ended_on__gte=boundary)
        # collection unknown: the books of the contract's last year, else of the year it was received
        unknown = Q(collected_at__isnull=True) & (Q(Exists(_rels(contract_kinds))) | Q(created_at__lt=start))
        return (known | unknown) & ~Q(Exists(_rels(contract_kinds).filter(running)))
    if trigger == "last_activity":
        interactions = Interaction.objects.filter(
            subject_id=OuterRef("subject_id"), controller=OuterRef("controller")
        )
        later = interactions.filter(at__gte=_day_start(cutoff + dt.timedelta(days=1)))
        end = _day_start(cutoff + dt.timedelta(days=1))
        return ~Q(Exists(later)) & (
            Q(collected_at__lt=end)
            | Q(collected_at__isnull=True) & (Q(Exists(interactions)) | Q(created_at__lt=end))
        )
    raise InvalidInput(f"unknown retention trigger {trigger!r}")


@dataclass
class Group:
    """Items with one exact purpose list and one status: their rules, the action and the due queryset.

    Active and restricted items (a restriction suspends use, not the end date) are due when every rule's
    period is over; archived items when every archive phase is over too, and are then erased or
    anonymised (``action`` is the final action)."""

    purposes: list[str]
    rule_keys: list[str]
    action: str
    condition: Q
    #: the purposes column as stored (text); one list may be stored with different spacing
    stored: list[str] = field(default_factory=list)
    status: str = DataItem.Status.ACTIVE
    #: "end": items in use whose archive phase is over as well go straight to the final action
    phase: str = ""

    @property
    def key(self) -> str:
        text = json.dumps(self.purposes)
        parts = [p for p in (self.status if self.status != DataItem.Status.ACTIVE else "", self.phase) if p]
        return "|".join([text, *parts])

    def base_queryset(self) -> QuerySet[DataItem]:
        if connection.vendor == "postgresql":
            # jsonb equality matches every stored spelling of the list, without casting each row to text
            return DataItem.objects.filter(status=self.status, purposes=self.purposes).filter(self.condition)
        return (
            DataItem.objects.alias(purposes_text=Cast("purposes", TextField()))
            .filter(status=self.status, purposes_text__in=self.stored)
            .filter(self.condition)
        )

    def due_queryset(self) -> QuerySet[DataItem]:
        """Due and not held."""
        return self.base_queryset().exclude(held_q())

    def held_queryset(self) -> QuerySet[DataItem]:
        return self.base_queryset().filter(held_q())


def _combos(status: str) -> dict[str, list[str]]:
    """Distinct purpose lists (normalised JSON) of the items with this status -> their stored spellings."""
    combos: dict[str, list[str]] = {}
    for stored in _stored_purpose_lists(status):
        try:
            value = json.loads(stored)
        except (TypeError, ValueError):
            continue
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            combos.setdefault(json.dumps(value), []).append(stored)
    return combos


def plan_groups(policy: Policy, today: dt.date) -> list[Group]:
    """One group per distinct purpose list and status among the items whose purposes and rules the policy
    knows: active items first, then restricted ones, then archived ones (an item this run archives whose
    archive phase is already over leaves in the same run)."""
    groups: list[Group] = []
    archiving: dict[str, list[str]] = {}
    for status in (DataItem.Status.ACTIVE, DataItem.Status.RESTRICTED, DataItem.Status.ARCHIVED):
        combos = _combos(status)
        if status == DataItem.Status.ARCHIVED:
            for text, stored in archiving.items():
                combos[text] = sorted({*combos.get(text, []), *stored})
        for text in sorted(combos):
            purposes = json.loads(text)
            known = [policy.purposes.get(p) for p in purposes]
            if any(p is None or p.retention not in policy.retention for p in known):
                continue  # unknown purposes: never swept (the register reports them)
            archived = status == DataItem.Status.ARCHIVED
            cond = Q()
            ended = Q()
            chosen: list[RetentionRule] = []
            for purpose in known:
                assert purpose is not None
                rule = policy.retention[purpose.retention]
                chosen.append(rule)
                cond &= rule_condition(policy, purpose, rule, today, with_archive=archived)
                ended &= rule_condition(policy, purpose, rule, today, with_archive=True)
            rule_keys = sorted({p.retention for p in known if p is not None})
            stored = sorted(combos[text])
            if archived:
                action = rules.final_action(chosen)
            else:
                action = rules.combined_action(r.action for r in chosen)
                if action == "archive":
                    archiving[text] = sorted({*archiving.get(text, []), *combos[text]})
                    # items whose archive phase is over as well (old data imported late) are not archived
                    # first: they go straight to the end
                    final = rules.final_action(chosen)
                    groups.append(Group(purposes, rule_keys, final, ended, stored, status, "end"))
            groups.append(Group(purposes, rule_keys, action, cond, stored, status))
    return groups


#: PostgreSQL: the distinct purpose lists of active items, one index probe each (a skip scan of
#: ``item_active_purposes_collected``) instead of a scan of every item
_DISTINCT_PURPOSES_PG = """
WITH RECURSIVE sets(p) AS (
    (SELECT purposes FROM tutela_data_item WHERE status = 'active' ORDER BY purposes LIMIT 1)
    UNION ALL
    SELECT (SELECT i.purposes FROM tutela_data_item i
             WHERE i.status = 'active' AND i.purposes > sets.p ORDER BY i.purposes LIMIT 1)
      FROM sets WHERE sets.p IS NOT NULL
)
SELECT p::text FROM sets WHERE p IS NOT NULL
"""


def _stored_purpose_lists(status: str = DataItem.Status.ACTIVE) -> list[str]:
    """Each distinct ``purposes`` value of the items with this status, as stored (text)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if status == DataItem.Status.ACTIVE:
                cursor.execute(_DISTINCT_PURPOSES_PG)
            else:
                # few rows: the partial index ``item_kept_status_purposes`` holds exactly them
                cursor.execute(
                    "SELECT DISTINCT purposes::text FROM tutela_data_item WHERE status = %s", [str(status)]
                )
            return [row[0] for row in cursor.fetchall()]
    return list(
        DataItem.objects.filter(status=status)
        .annotate(purposes_text=Cast("purposes", TextField()))
        .values_list("purposes_text", flat=True)
        .distinct()
    )


@dataclass
class SweepReport:
    due: int = 0
    erased: int = 0
    anonymised: int = 0
    archived: int = 0
    held: int = 0
    dry_run: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "due": self.due,
            "erased": self.erased,
            "anonymised": self.anonymised,
            "archived": self.archived,
            "held": self.held,
            "dry_run": self.dry_run,
            **self.extra,
        }


COUNTER = {"erase": "erased", "anonymise": "anonymised", "archive": "archived"}


# ---------------------------------------------------------------- dry run
def _report_rows(groups: list[Group], today: dt.date, batch: int) -> Iterator[dict[str, Any]]:
    for group in groups:
        for held, qs in ((False, group.due_queryset()), (True, group.held_queryset())):
            last = 0
            while True:
                items = list(qs.filter(id__gt=last).order_by("id")[:batch])
                if not items:
                    break
                last = items[-1].id
                for info in explain_items(items, today=today):
                    row = info.as_dict()
                    row["action"] = "keep (legal hold)" if held else group.action
                    row["why"] = "; ".join(
                        f"{p.purpose}: rule {p.rule_key} due {p.due_on.isoformat() if p.due_on else '?'}"
                        for p in info.parts
                    )
                    row["held"] = held
                    yield row


REPORT_FIELDS = [
    "item_id",
    "path",
    "subject_id",
    "controller",
    "category",
    "purposes",
    "rules",
    "due_on",
    "action",
    "held",
    "why",
]


def write_report(path: Path, rows: Iterator[dict[str, Any]]) -> int:
    """Write the dry run's rows as JSON (``.json``) or CSV (anything else); return how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        if path.suffix.lower() == ".json":
            fh.write("[")
            for row in rows:
                fh.write(("," if count else "") + "\n" + json.dumps(row, ensure_ascii=False))
                count += 1
            fh.write("\n]\n")
        else:
            writer = csv.DictWriter(fh, fieldnames=REPORT_FIELDS)
            writer.writeheader()
            for row in rows:
                flat = dict(row)
                flat["purposes"] = " ".join(row["purposes"])
                flat["rules"] = " ".join(row["rules"])
                writer.writerow({k: flat.get(k) for k in REPORT_FIELDS})
                count += 1
    tmp.replace(path)
    return count


def default_report_path(suffix: str = ".csv") -> Path:
    stamp = clock.now().strftime("%Y%m%dT%H%M%S")
    return Path(settings.TUTELA_EXPORT_DIR) / f"retention-dry-run-{stamp}{suffix}"


# ---------------------------------------------------------------- the run
def _pid_alive(pid: int | None, host: str) -> bool:
    if not pid or host != socket.gethostname() or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _start_run(today: dt.date, files: bool, principal: Principal) -> SweepRun:
    with transaction.atomic():
        run = (
            SweepRun.objects.select_for_update().filter(status=SweepRun.Status.RUNNING).order_by("id").first()
        )
        if run is not None:
            if _pid_alive(run.pid, run.host):
                raise Conflict(f"a retention sweep is already running (run {run.pk}, process {run.pid})")
            run.pid = os.getpid()
            run.host = socket.gethostname()
            run.resumed += 1
            run.files = run.files or files
            run.save(update_fields=["pid", "host", "resumed", "files"])
            return run
        return SweepRun.objects.create(
            started_at=clock.now(),
            as_of=today,
            files=files,
            actor=principal.actor,
            pid=os.getpid(),
            host=socket.gethostname(),
        )


def in_ids(field: str, ids: list[Any] | set[Any]) -> Q:
    """``field IN ids`` for a batch. On PostgreSQL one array parameter (``= ANY``), not thousands of them."""
    values = sorted(ids)
    if connection.vendor == "postgresql" and all(type(v) is int for v in values):
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", (values,))})
    return Q(**{f"{field}__in": values})


def _relations(model: type[Model]) -> list[Any]:
    """Every relation pointing at ``model``, hidden ones (``related_name="+"``) included, as Django's own
    delete collector sees them."""
    return [
        f
        for f in model._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_one or f.one_to_many)
    ]


def needs_django_delete(model: type[Model]) -> bool:
    """Deleting rows of ``model`` must go through Django (many-to-many links or signal receivers)."""
    return (
        any(isinstance(rel, ManyToManyRel) for rel in model._meta.related_objects)
        or signals.pre_delete.has_listeners(model)
        or signals.post_delete.has_listeners(model)
    )


def set_delete(model: type[Model], ids: list[int], *, known_empty: tuple[type[Model], ...] = ()) -> None:
    """Delete rows by id with one statement per related table (no per-row work, unlike Django's collector).

    Rows of other tables that point here are deleted (CASCADE), detached (SET_NULL) or left (DO_NOTHING) as
    their foreign keys say, set-based and recursively; PROTECT/RESTRICT raise ``ProtectedError`` as Django
    would. Models with many-to-many links or signal receivers go through Django's own delete.
    """
    if not ids:
        return
    base = model._base_manager.filter(in_ids("pk", ids))
    if needs_django_delete(model):
        base.delete()
        return
    delete_related(model, ids, known_empty=known_empty)
    base._raw_delete(base.db)


def delete_related(model: type[Model], ids: list[int], *, known_empty: tuple[type[Model], ...] = ()) -> None:
    """What deleting rows ``ids`` of ``model`` does to the rows pointing at them (see :func:`set_delete`).

    Foreign keys are deferred (checked at commit), so this may run just before or just after the rows go.
    """
    for rel in _relations(model):
        field = rel.field
        related: type[Model] = rel.related_model
        if related in known_empty:
            continue
        linked = related._base_manager.filter(in_ids(field.name, ids))
        on_delete = rel.on_delete
        if on_delete is CASCADE:
            if related._meta.related_objects:
                set_delete(related, list(linked.values_list("pk", flat=True)))
            else:
                linked._raw_delete(linked.db)
        elif on_delete is SET_NULL:
            linked.update(**{field.name: None})
        elif on_delete is DO_NOTHING:
            continue
        else:
            raise ProtectedError(f"{related.__name__} protects {model.__name__}", set())


def _remove_orphans(subject_ids: set[int], principal: Principal) -> int:
    """Remove people left with no item at all, and what every register holds about them (as each register's
    lifecycle statement says); returns how many. A person still named by a register that keeps proof (the
    disclosure log, the breach register) keeps a bare row, marked erased."""
    if not subject_ids:
        return 0
    # people of the batch with no item left: one anti-join probing the item index once per person
    gone = sorted(
        Subject.objects.filter(in_ids("id", subject_ids), erased_at__isnull=True)
        .exclude(Exists(DataItem.objects.filter(subject_id=OuterRef("pk"))))
        .values_list("id", flat=True)
    )
    if not gone:
        return 0
    # records merged into them hold nothing (their items moved) but some registers still name them
    every = lifecycle.with_duplicates(gone)
    if len(every) > len(gone):
        every = sorted(
            Subject.objects.filter(in_ids("id", every))
            .exclude(Exists(DataItem.objects.filter(subject_id=OuterRef("pk"))))
            .values_list("id", flat=True)
        )
    done = lifecycle.erase_people(every, principal=principal)
    kept = sorted(done.referenced)
    now = clock.now()
    if kept:
        Subject.objects.filter(in_ids("id", kept)).update(erased_at=now, updated_at=now)
    rest = sorted(set(every) - done.referenced)
    if rest:
        rows = Subject._base_manager.filter(in_ids("id", rest))
        rows._raw_delete(rows.db)
    return len(gone)


def _act(group: Group, chunk: list[int]) -> tuple[list[int], set[int]]:
    """Act on the items of ``chunk`` still due now, in one statement that re-checks and acts.

    ``DELETE``/``UPDATE … WHERE id IN (<the group's due query, limited to the chunk>) RETURNING``: a hold
    placed or a contract renewed since the candidates were read is respected, and no list of ids makes a
    round trip in between. Returns the ids acted on and their people.
    """
    if connection.vendor == "postgresql" and group.action != "archive" and not needs_django_delete(DataItem):
        return _delete_postgres(group, group.due_queryset().filter(in_ids("id", chunk)))
    due = group.due_queryset().filter(in_ids("id", chunk)).values("id")
    if group.action != "archive" and needs_django_delete(DataItem):
        rows = list(due.order_by("id").values_list("id", "subject_id"))
        ids = [r[0] for r in rows]
        if group.action == "anonymise":
            _count_anonymous(
                group,
                DataItem.objects.filter(in_ids("id", ids)).values_list(
                    "controller", "category", "collected_at"
                ),
            )
        lifecycle.erase_items(ids)
        set_delete(DataItem, ids)
        return ids, {r[1] for r in rows}
    sub_sql, sub_params = due.query.sql_with_params()
    table = connection.ops.quote_name(DataItem._meta.db_table)
    with connection.cursor() as cursor:
        if group.action == "archive":
            cursor.execute(
                f"UPDATE {table} SET status = %s, updated_at = %s "  # noqa: S608 - model names and Django's SQL
                f"WHERE id IN ({sub_sql}) RETURNING id, subject_id",
                [DataItem.Status.ARCHIVED, clock.now(), *sub_params],
            )
            rows = cursor.fetchall()
            return sorted(r[0] for r in rows), {r[1] for r in rows}
        cursor.execute(
            f"DELETE FROM {table} WHERE id IN ({sub_sql}) "  # noqa: S608 - model names and Django's SQL
            "RETURNING id, subject_id, controller, category, collected_at",
            sub_params,
        )
        rows = cursor.fetchall()
    ids = sorted(r[0] for r in rows)
    if group.action == "anonymise":
        _count_anonymous(group, ((r[2], r[3], r[4]) for r in rows))
    lifecycle.erase_items(ids)
    return ids, {r[1] for r in rows}


def _delete_postgres(group: Group, due: QuerySet[DataItem]) -> tuple[list[int], set[int]]:
    """PostgreSQL: the same re-check and delete as :func:`_act`, as ONE statement whose WHERE is the group's
    own condition on the deleted rows (no second look-up of each id), the anonymised items counted in the
    same statement (a data-modifying CTE) rather than read back into Python."""
    delete_sql, params = due.query.chain(DeleteQuery).get_compiler(connection=connection).as_sql()
    table = connection.ops.quote_name(AnonymousCount._meta.db_table)
    if group.action == "anonymise":
        # model names and Django's own SQL; every value is a parameter
        sql = (
            f"WITH gone AS ({delete_sql} RETURNING id, subject_id, controller, category, collected_at), "  # noqa: S608
            f"counted AS (INSERT INTO {table} (controller, category, year, rule, count) "
            "SELECT controller, category, EXTRACT(YEAR FROM collected_at AT TIME ZONE %s)::int, %s, COUNT(*) "
            "FROM gone GROUP BY 1, 2, 3 "
            f"ON CONFLICT (controller, category, year, rule) DO UPDATE SET count = {table}.count + excluded.count) "
            "SELECT id, subject_id FROM gone"
        )
        params = (*params, timezone.get_current_timezone_name(), "+".join(group.rule_keys))
    else:
        sql = f"{delete_sql} RETURNING id, subject_id"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    ids = sorted(r[0] for r in rows)
    lifecycle.erase_items(ids)
    return ids, {r[1] for r in rows}


def _count_anonymous(group: Group, facts: Iterable[tuple[str, str, Any]]) -> None:
    """Add the anonymised items to the counts kept per controller, category, year and rule (an upsert)."""
    rule = "+".join(group.rule_keys)
    zone = timezone.get_current_timezone()
    counts: Counter[tuple[str, str, int]] = Counter()
    for controller, category, collected_at in facts:
        counts[(controller, category, _as_datetime(collected_at).astimezone(zone).year)] += 1
    if not counts:
        return
    table = connection.ops.quote_name(AnonymousCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (controller, category, year, rule, count) VALUES (%s, %s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (controller, category, year, rule) DO UPDATE SET count = {table}.count + excluded.count",
            [(c, cat, year, rule, n) for (c, cat, year), n in sorted(counts.items())],
        )


def _as_datetime(value: Any) -> dt.datetime:
    """A timestamp as read by a raw cursor (SQLite gives text), made aware in UTC."""
    if isinstance(value, str):
        parsed = parse_datetime(value)
        assert parsed is not None, value
        value = parsed
    if timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return value


def _candidates(group: Group) -> array[int]:
    """The group's due items now, ascending (the one selecting query of this purpose set)."""
    # a plain cursor, not ``.iterator()``: PostgreSQL plans a server-side cursor for its first rows and
    # without parallel workers, several times slower for a query read to the end
    sql, params = group.due_queryset().order_by("id").values_list("id").query.sql_with_params()
    out: array[int] = array("q")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(100_000):
            out.extend(r[0] for r in rows)
    return out


def _finish_group(run: SweepRun, group: Group, *, counted: bool = True) -> None:
    """The purpose set is done for this run (a resumed run skips it), its held items counted."""
    with transaction.atomic():
        held = group.held_queryset().count() if counted and active_holds().exists() else 0
        run.held += held
        run.done_groups = [*run.done_groups, group.key]
        if held:
            entry = run.by_rule.setdefault("+".join(group.rule_keys), {})
            entry["held"] = entry.get("held", 0) + held
        run.save(update_fields=["held", "done_groups", "by_rule"])


def _problem(group: Group | None, chunk: list[int] | None, exc: BaseException) -> dict[str, Any]:
    """One failure, as the run records it: the purpose set, its rules, the items of the batch, the error
    (no group: the files tree)."""
    entry: dict[str, Any] = {
        "at": clock.now().isoformat(),
        "purposes": group.purposes if group else [],
        "rules": group.rule_keys if group else [],
        "action": group.action if group else "files",
        "error": f"{type(exc).__name__}: {exc}"[:500],
    }
    if group is None:
        entry["items"] = None
    elif chunk:
        entry.update(
            {
                "items": len(chunk),
                "first_item": chunk[0],
                "last_item": chunk[-1],
                "item_ids": chunk[:PROBLEM_IDS],
            }
        )
    else:
        entry["items"] = None  # the purpose set itself could not be read: every item of it waits
    return entry


def _record_problem(run: SweepRun, problem: dict[str, Any], principal: Principal) -> None:
    """Add a failure to the run and the audit trail, in a transaction of its own (the batch rolled back)."""
    with transaction.atomic():
        run.problems = [*run.problems, problem]
        run.save(update_fields=["problems"])
        audit_many(
            [
                AuditRecord(
                    "retention.failed",
                    object_type="retention_sweep",
                    object_id=run.pk,
                    payload={"run": run.pk, **{k: v for k, v in problem.items() if k != "at"}},
                    actor=principal.actor,
                )
            ]
        )


def _run_batch(run: SweepRun, group: Group, chunk: list[int], counter: str, principal: Principal) -> int:
    """One batch in its own transaction; returns how many items it acted on."""
    with transaction.atomic():
        ids, subjects = _act(group, chunk)
        if not ids:
            return 0
        removed = _remove_orphans(subjects, principal) if group.action != "archive" else 0
        setattr(run, counter, getattr(run, counter) + len(ids))
        run.subjects_erased += removed
        run.batches += 1
        entry = run.by_rule.setdefault("+".join(group.rule_keys), {})
        entry[counter] = entry.get(counter, 0) + len(ids)
        run.save(update_fields=[counter, "subjects_erased", "batches", "by_rule"])
        audit_many(
            [
                AuditRecord(
                    f"retention.{group.action}",
                    object_type="retention_sweep",
                    object_id=run.pk,
                    subject_id=next(iter(subjects)) if len(subjects) == 1 and not removed else None,
                    payload={
                        "run": run.pk,
                        "rules": group.rule_keys,
                        "purposes": group.purposes,
                        "action": group.action,
                        "items": len(ids),
                        "first_item": ids[0],
                        "last_item": ids[-1],
                        "people": len(subjects),
                        "people_removed": removed,
                        "as_of": run.as_of.isoformat(),
                    },
                    actor=principal.actor,
                )
            ]
        )
    return len(ids)


def _counts_snapshot(run: SweepRun) -> dict[str, Any]:
    return {
        "erased": run.erased,
        "anonymised": run.anonymised,
        "archived": run.archived,
        "subjects_erased": run.subjects_erased,
        "batches": run.batches,
        "by_rule": json.loads(json.dumps(run.by_rule)),
    }


def _run_group(
    run: SweepRun, group: Group, candidates: array[int], batch: int, pause: int, principal: Principal
) -> None:
    counter = COUNTER[group.action]
    # each batch re-checks its ids inside its own transaction, in the statement that acts on them
    for start in range(0, len(candidates), batch):
        chunk = candidates[start : start + batch].tolist()
        before = _counts_snapshot(run)
        try:
            acted = _run_batch(run, group, chunk, counter, principal)
        except Exception as exc:  # any failure of one batch: reported, and the rest goes on
            for key, value in before.items():  # the batch rolled back: so do the counts kept in memory
                setattr(run, key, value)
            _record_problem(run, _problem(group, chunk, exc), principal)
            continue
        if not acted:
            continue
        if pause:
            sys.stderr.write(f"retention: batch {run.batches} committed ({acted} items)\n")
            sys.stderr.flush()
            if run.batches >= pause:
                time.sleep(600)
    _finish_group(run, group)


def retention_sweep(
    *,
    principal: Principal,
    dry_run: bool = False,
    files: bool = False,
    report: Path | None = None,
    batch: int | None = None,
) -> SweepReport:
    """Apply the retention rules now (see the module's docstring). The dry run changes nothing.

    ``principal`` runs it (the DPO's roles, the CLI or Tutela itself) and is the actor of its audit entries."""
    require_decide(principal)
    batch = settings.TUTELA_RETENTION_BATCH if batch is None else batch
    if batch < 1:
        raise InvalidInput("--batch must be at least 1", errors=[])
    policy = active_policy()
    if dry_run:
        return _dry_run(policy, files=files, report=report, batch=batch)
    if files:
        from tutela.retention.files import load_mapping

        load_mapping(policy)  # a bad mapping stops the sweep before it starts
    pause = int(os.environ.get(PAUSE_ENV, "0") or 0)
    run = _start_run(clock.today(), files, principal)
    resumed = run.resumed > 0
    try:
        groups = [g for g in plan_groups(policy, run.as_of) if g.key not in run.done_groups]
        for group in groups:
            try:
                candidates = _candidates(group)
            except Exception as exc:  # a purpose set that cannot be read: reported, the rest goes on
                _record_problem(run, _problem(group, None, exc), principal)
                _finish_group(run, group, counted=False)
                continue
            _run_group(run, group, candidates, batch, pause, principal)
        file_result: dict[str, Any] | None = None
        if files or run.files:
            from tutela.retention.files import files_sweep

            try:
                file_result = files_sweep(dry_run=False, run=run, today=run.as_of)
            except Exception as exc:  # the files tree failing does not undo the register's sweep
                _record_problem(run, _problem(None, None, exc), principal)
        with transaction.atomic():
            run.status = SweepRun.Status.PARTIAL if run.problems else SweepRun.Status.DONE
            run.finished_at = clock.now()
            run.save(update_fields=["status", "finished_at"])
            audit_many(
                [
                    AuditRecord(
                        "retention.sweep",
                        object_type="retention_sweep",
                        object_id=run.pk,
                        payload={
                            "run": run.pk,
                            "as_of": run.as_of.isoformat(),
                            "erased": run.erased,
                            "anonymised": run.anonymised,
                            "archived": run.archived,
                            "held": run.held,
                            "people_removed": run.subjects_erased,
                            "files_deleted": run.files_deleted,
                            "by_rule": run.by_rule,
                            "resumed": run.resumed,
                            "status": run.status,
                            "problems": len(run.problems),
                        },
                        actor=principal.actor,
                    )
                ]
            )
    except Exception as exc:
        SweepRun.objects.filter(pk=run.pk).update(
            status=SweepRun.Status.FAILED,
            finished_at=clock.now(),
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise
    extra: dict[str, Any] = {"run": run.pk, "resumed": resumed, "as_of": run.as_of.isoformat()}
    extra["by_rule"] = run.by_rule
    extra["status"] = run.status
    extra["problems"] = run.problems
    if file_result is not None:
        extra["files"] = file_result
    return SweepReport(run.due, run.erased, run.anonymised, run.archived, run.held, False, extra)


def _dry_run(policy: Policy, *, files: bool, report: Path | None, batch: int) -> SweepReport:
    today = clock.today()
    groups = plan_groups(policy, today)
    result = SweepReport(dry_run=True)
    by_rule: dict[str, dict[str, int]] = {}
    for group in groups:
        due = group.due_queryset().count()
        held = group.held_queryset().count()
        counter = COUNTER[group.action]
        setattr(result, counter, getattr(result, counter) + due)
        result.held += held
        if due or held:
            entry = by_rule.setdefault("+".join(group.rule_keys), {})
            if due:
                entry[counter] = entry.get(counter, 0) + due
            if held:
                entry["held"] = entry.get("held", 0) + held
    result.due = result.erased + result.anonymised + result.archived + result.held
    path = report or default_report_path()
    rows: Iterator[dict[str, Any]] = _report_rows(groups, today, batch)
    if files:
        from tutela.retention.files import files_sweep

        file_result = files_sweep(dry_run=True, today=today)
        result.extra["files"] = {k: v for k, v in file_result.items() if k != "rows"}
        rows = _chain(rows, file_result["rows"])
    result.extra["report"] = str(path)
    result.extra["report_rows"] = write_report(path, rows)
    result.extra["by_rule"] = by_rule
    result.extra["as_of"] = today.isoformat()
    return result


def _chain(*parts: Any) -> Iterator[dict[str, Any]]:
    for part in parts:
        yield from part


# ---------------------------------------------------------------- status
def run_dict(run: SweepRun) -> dict[str, Any]:
    """A sweep run as the CLI, the API and the dashboard show it (what could not be done included)."""
    return {
        "run": run.pk,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "as_of": run.as_of.isoformat(),
        "due": run.due,
        "erased": run.erased,
        "anonymised": run.anonymised,
        "archived": run.archived,
        "held": run.held,
        "files_deleted": run.files_deleted,
        "resumed": run.resumed,
        "error": run.error or None,
        "problems": list(run.problems or []),
    }


def sweep_status() -> dict[str, Any]:
    """The last sweep (with what it could not do and why) and the time of the next."""
    from tutela.retention.selectors import last_run, next_sweep_at

    run = last_run()
    return {"last": run_dict(run) if run is not None else None, "next": next_sweep_at().isoformat()}
