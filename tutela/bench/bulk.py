"""Fast bulk loading for the benchmark generator: COPY on PostgreSQL, executemany elsewhere.

Rows are tuples in the order of ``columns`` (field attnames), holding database-ready values: ``str`` in
COPY's text form for text (free text through :func:`esc`; JSON columns get their JSON text), ``int``, ``bool``, :data:`NULL` for SQL NULL, and ISO strings or
datetimes for dates. Columns a load leaves out get the model field's default, so the generator keeps
working when a model gains a column.

On PostgreSQL each row becomes one line of COPY text through a precompiled format string (no per-value
Python call), written in large chunks; a large load drops the table's secondary indexes first and rebuilds
them after (one sort per index instead of ten million index insertions), with foreign-key triggers off
for the load when the role may do so (the generator's rows are consistent by construction).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models

#: SQL NULL in a row (COPY's text form); ``None`` is not accepted, to keep the format string exact
NULL = "\\N"

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})

#: loads with at least this many rows rebuild the table's secondary indexes afterwards
REBUILD_AT = 200_000


def esc(text: str) -> str:
    """A free-text value made safe for COPY's text format (backslash, tab and line breaks escaped)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields]  # type: ignore[misc]


def _default(field: models.Field[Any, Any]) -> Any:
    if field.null and not field.has_default():
        return NULL
    value = field.get_default()
    if isinstance(field, models.JSONField):
        return json.dumps(value)
    return value


def _copy_text(value: Any) -> str:
    if value is NULL or value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return esc(str(value))


def bulk_load(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    expected: int = 0,
) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``model``'s table; returns the count.

    ``expected`` (a row-count estimate) lets PostgreSQL loads rebuild indexes once instead of maintaining
    them row by row.
    """
    fields = {f.attname: f for f in _fields(model)}
    unknown = [c for c in columns if c not in fields]
    if unknown:
        raise ValueError(f"{model.__name__} has no column(s) {unknown}")
    rest = [f for name, f in fields.items() if name not in columns and not (f.primary_key and f.auto_created)]
    rest = [f for f in rest if not getattr(f, "db_returning", False) or f.has_default()]
    table = model._meta.db_table
    names = [str(fields[c].column) for c in columns] + [str(f.column) for f in rest]
    if connection.vendor == "postgresql":
        return _copy(table, names, rows, [_default(f) for f in rest], len(columns), expected)
    return _insert(table, names, [fields[c] for c in columns], rest, rows)


def _copy(
    table: str,
    names: list[str],
    rows: Iterable[Sequence[Any]],
    defaults: list[Any],
    width: int,
    expected: int,
) -> int:
    quote = connection.ops.quote_name
    suffix = "".join("\t" + _copy_text(d) for d in defaults)
    line = "\t".join(["{}"] * width) + suffix.replace("{", "{{").replace("}", "}}") + "\n"
    fmt = line.format
    count = 0
    cols = ", ".join(quote(n) for n in names)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor behind Django's wrapper
        rebuild = _drop_indexes(raw, table) if expected >= REBUILD_AT else []
        # table and column names come from the model, never from input
        with raw.copy(f"COPY {quote(table)} ({cols}) FROM STDIN") as copy:
            chunk: list[str] = []
            for row in rows:
                chunk.append(fmt(*row))
                if len(chunk) >= 20_000:
                    copy.write("".join(chunk))
                    count += len(chunk)
                    chunk = []
            if chunk:
                copy.write("".join(chunk))
                count += len(chunk)
        if rebuild:
            raw.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for statement in rebuild:
                raw.execute(statement)
        # every loaded table, small ones too: a real database has statistics (autovacuum may be off or
        # late), and a planner that takes a freshly loaded table for empty picks plans that scan it per row
        raw.execute(f"ANALYZE {quote(table)}")
    return count


def _drop_indexes(raw: Any, table: str) -> list[str]:
    """Drop ``table``'s secondary indexes (not those behind constraints); return how to recreate them."""
    raw.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, table],
    )
    found = raw.fetchall()
    for name, _definition in found:
        raw.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [definition for _name, definition in found]


def _insert(
    table: str,
    names: list[str],
    given: list[models.Field[Any, Any]],
    rest: list[models.Field[Any, Any]],
    rows: Iterable[Sequence[Any]],
) -> int:
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"  # noqa: S608 - model names only
    tail = []
    for f in rest:
        d = _default(f)
        tail.append(
            None
            if d is NULL
            else d
            if isinstance(f, models.JSONField)
            else f.get_db_prep_value(d, connection)
        )

    def prep(f: models.Field[Any, Any], v: Any) -> Any:
        if v is NULL or v is None:
            return None
        if isinstance(v, str) and "\\" in v:
            v = _unescape(v)
        if isinstance(f, models.JSONField):
            return v
        if isinstance(f, models.DateTimeField) and isinstance(v, str):
            v = dt.datetime.fromisoformat(v)
        elif isinstance(f, models.DateField) and isinstance(v, str):
            v = dt.date.fromisoformat(v)
        return f.get_db_prep_value(v, connection)

    count = 0
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append([prep(f, v) for f, v in zip(given, row, strict=True)] + tail)
            count += 1
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
    return count


_UNESCAPES = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}


def _unescape(text: str) -> str:
    """The inverse of :func:`esc` (rows hold COPY text; other databases get the plain value)."""
    return re.sub(r"\\(.)", lambda m: _UNESCAPES.get(m[1], m[1]), text, flags=re.DOTALL)


def next_id(model: type[models.Model]) -> int:
    last = model._default_manager.order_by("-pk").values_list("pk", flat=True).first()
    return int(last or 0) + 1


def reset_sequence(model: type[models.Model]) -> None:
    if connection.vendor != "postgresql":
        return
    sql = connection.ops.sequence_reset_sql(_NoStyle(), [model])  # type: ignore[arg-type]
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


def foreign_keys_off() -> bool:
    """For this transaction, skip foreign-key triggers (PostgreSQL, superuser); False if not allowed."""
    if connection.vendor != "postgresql":
        return False
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    return True


class _NoStyle:
    def __getattr__(self, name: str) -> Any:
        return lambda text: text
