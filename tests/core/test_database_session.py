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
