"""With more open requests than a page lists, the morning numbers and the filtered lists are still complete:
filters and counts run in the database, before any limit."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine

from tests.factories.rights import open_request

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
RECEIVED = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)  # due about a month later: on time
TOTAL, WAITING = 250, 12


def _kpi(html: str, label: str) -> int:
    match = re.search(r'<span class="value">(\d+)</span><span class="label">' + re.escape(label), html)
    assert match, label
    return int(match.group(1))


def test_250_open_requests_are_all_counted(staff_client: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        for i in range(TOTAL - WAITING):
            open_request("access", f"p{i}@example.org", received_at=RECEIVED)
        # created last: beyond the first 200 rows in due-date order
        waiting = [
            open_request("access", f"w{i}@example.org", received_at=RECEIVED, verified=False).pk
            for i in range(WAITING)
        ]
        home = staff_client.get("/staff/").content.decode()
        listed = staff_client.get("/staff/requests/?show=identity_pending").content.decode()
    assert _kpi(home, "open") == TOTAL
    assert _kpi(home, "waiting for identity") == WAITING
    assert _kpi(home, "overdue") == 0
    shown = {int(n) for n in re.findall(r'href="/staff/requests/(\d+)/"', listed)}
    assert shown == set(waiting)
