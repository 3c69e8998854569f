"""Bulk writes without per-object ORM overhead: COPY on PostgreSQL, executemany on SQLite.

Values must already be in database form: use :func:`dt_value` / :func:`date_value` for dates and JSON text
for JSON columns. Used by the importer's hot path only; everything else goes through the ORM.
"""

from __future__ import annotations

import datetime as dt
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
