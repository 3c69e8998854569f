"""Bulk writes without per-object ORM overhead: COPY on PostgreSQL, executemany on SQLite.

Values must already be in database form: use :func:`dt_value` / :func:`date_value` for dates and JSON text
for JSON columns. Used by the importer's hot path only; everything else goes through the ORM.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


def dt_value(value: dt.datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def date_value(value: dt.date | None) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _columns(model: type[Model], fields: Sequence[str]) -> list[str]:
    return [str(model._meta.get_field(f).column) for f in fields]  # type: ignore[union-attr]


def insert_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in _columns(model, fields))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608


def update_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """UPDATE by primary key; each row is the new values of ``fields`` followed by the pk."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in _columns(model, fields))
    pk = connection.ops.quote_name(str(model._meta.pk.column))  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE {pk} = %s", rows)  # noqa: S608


def copy_lines(model: type[Model], fields: Sequence[str], text: str) -> None:
    """PostgreSQL only: COPY ready-made text-format lines (tab-separated, ``\\N`` for NULL, escaped with
    :func:`copy_escape`). The importer formats its million item rows from per-batch templates, which
    costs a tenth of formatting every value of every row through the driver."""
    if not text:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in _columns(model, fields))
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        copy.write(text)


_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def copy_escape(text: str) -> str:
    """A string as a COPY text-format field (backslash, tab, newline and carriage return escaped)."""
    if _COPY_SPECIAL.search(text) is None:
        return text
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_text(value: Any) -> str:
    """Any database-form value (see :func:`dt_value`) as a COPY text-format field."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.date):
        return value.isoformat()
    return copy_escape(str(value))


def next_ids(model: type[Model], count: int) -> list[int]:
    """PostgreSQL only: ``count`` fresh primary keys from the table's own sequence, in increasing order, so
    rows can be COPYed with their ids known (bulk_create would INSERT … RETURNING through the ORM)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = str(model._meta.pk.column)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count]
        )
        return sorted(int(r[0]) for r in cursor.fetchall())


class TempKeys:
    """A temporary one-column table of keys (blind indexes) to join against in one query, instead of
    thousands of ``IN (…)`` parameters. Use inside a transaction; it is dropped on leaving the block."""

    def __init__(self, name: str) -> None:
        # the temporary schema named outright: a DROP must never reach a permanent table of that name
        schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
        self.name = f"{schema}.{connection.ops.quote_name(name)}"

    def __enter__(self) -> TempKeys:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.name}")
            cursor.execute(f"CREATE TEMPORARY TABLE {self.name} (k varchar(64))")
        return self

    def fill(self, keys: Sequence[str]) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.name} (k) FROM STDIN") as copy:
                    copy.write("".join(f"{k}\n" for k in keys))
            else:
                cursor.executemany(f"INSERT INTO {self.name} (k) VALUES (%s)", [(k,) for k in keys])  # noqa: S608

    def __exit__(self, *exc: object) -> None:
        if connection.needs_rollback or (exc and exc[0] is not None):
            return  # the transaction is being rolled back, and the table with it
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.name}")
