"""Fast bulk loading for the benchmark generator: COPY on PostgreSQL, executemany elsewhere.

Rows are dicts keyed by field attname; fields a row leaves out get the model field's default, so the
generator keeps working when a model gains a column.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import connection, models


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields]  # type: ignore[misc]


def bulk_load(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
    """Insert ``rows`` into ``model``'s table as fast as the database allows; returns the count."""
    fields = _columns(model)
    names = [f.column for f in fields]
    table = model._meta.db_table
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    defaults: dict[str, Any] = {}
    for f in fields:
        defaults[f.attname] = None if f.null and not f.has_default() else f.get_default()

    def values(row: dict[str, Any]) -> list[Any]:
        out = []
        for f in fields:
            v = row[f.attname] if f.attname in row else defaults.get(f.attname)
            if f.attname in json_fields:
                v = json.dumps(v)
            out.append(v)
        return out

    count = 0
    if connection.vendor == "postgresql":
        cols = ", ".join(connection.ops.quote_name(n) for n in names)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor behind Django's wrapper
            # table and column names come from the model, never from input
            with raw.copy(f"COPY {connection.ops.quote_name(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
                    count += 1
        return count
    placeholders = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})"  # noqa: S608 - model names only
    prepared_batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            vals = values(row)
            prepared_batch.append(
                [
                    f.get_db_prep_value(v, connection) if f.attname not in json_fields else v
                    for f, v in zip(fields, vals, strict=True)
                ]
            )
            count += 1
            if len(prepared_batch) >= 5000:
                cursor.executemany(sql, prepared_batch)
                prepared_batch = []
        if prepared_batch:
            cursor.executemany(sql, prepared_batch)
    return count


def next_id(model: type[models.Model]) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return int(last or 0) + 1


def reset_sequence(model: type[models.Model]) -> None:
    if connection.vendor != "postgresql":
        return
    sql = connection.ops.sequence_reset_sql(_NoStyle(), [model])
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


class _NoStyle:
    def __getattr__(self, name: str) -> Any:
        return lambda text: text
