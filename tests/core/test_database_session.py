"""The database session Tutela opens on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgresql_sessions_run_without_jit() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL session setting; SQLite has no JIT")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


@pytest.mark.django_db
def test_behind_a_pooler_the_purpose_check_prepares_nothing_on_the_server(policy, settings) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("server-side prepared statements exist on PostgreSQL only")
    import datetime as dt

    from tutela.consent.facts_pg import gather_one_statement

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            return int(cursor.fetchone()[0])

    before = prepared()
    settings.TUTELA_DB_POOLER = True
    for _ in range(3):
        gather_one_statement(purpose="newsletter", controller=None, today=dt.date(2026, 11, 25), ids=[1])
    assert prepared() == before
    settings.TUTELA_DB_POOLER = False
    gather_one_statement(purpose="newsletter", controller=None, today=dt.date(2026, 11, 25), ids=[1])
    assert prepared() == before + 1  # without a pooler the statement is prepared, once
