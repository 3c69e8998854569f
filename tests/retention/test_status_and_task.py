"""The daily task, the status (last and next run), the preview for the dashboard, per-purpose checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.factories.retention import person_with
from tutela.core import clock
from tutela.retention.models import SweepRun
from tutela.retention.selectors import (
    item_is_past_retention,
    item_retention,
    last_run,
    next_sweep_at,
    next_sweep_preview,
)
from tutela.retention.services import retention_schedule_next
from tutela.retention.tasks import retention_sweep_task

D = dt.date


@pytest.mark.django_db
def test_the_task_runs_the_sweep_and_status_shows_it(
    policy: Any, frozen: Any, settings: Any, tmp_path: Any
) -> None:
    settings.TUTELA_FILES_ROOT = tmp_path
    old, _ = person_with(
        kind="prospect", purposes=["prospecting"], collected_on=D(2024, 1, 1), last_interest_on=D(2024, 6, 1)
    )
    person_with(
        kind="prospect", purposes=["prospecting"], collected_on=D(2026, 9, 1), last_interest_on=D(2026, 9, 1)
    )
    preview = next_sweep_preview(10)
    assert [(r["subject_id"], r["action"], r["due_on"]) for r in preview] == [
        (old.pk, "erase", "2025-06-01")
    ] * 2
    assert last_run() is None
    result = retention_sweep_task.call()
    assert result["erased"] == 2
    run = last_run()
    assert run is not None and run.status == SweepRun.Status.DONE and run.erased == 2
    assert next_sweep_preview(10) == []
    # the database backend defers: the next run is queued for 02:30 tomorrow (Brussels)
    when = retention_schedule_next()
    assert when == dt.datetime(2026, 11, 26, 2, 30, tzinfo=clock.BRUSSELS)
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.get()
    assert retention_schedule_next() == when  # scheduling again queues nothing more
    assert DBTaskResult.objects.count() == 1
    assert queued.task_path.endswith("retention_sweep_task") and queued.run_after == when


def test_next_sweep_time_follows_the_setting(settings: Any) -> None:
    settings.TUTELA_RETENTION_SWEEP_AT = (2, 30)
    before = dt.datetime(2026, 11, 25, 1, 0, tzinfo=clock.BRUSSELS)
    after = dt.datetime(2026, 11, 25, 3, 0, tzinfo=clock.BRUSSELS)
    assert next_sweep_at(before) == dt.datetime(2026, 11, 25, 2, 30, tzinfo=clock.BRUSSELS)
    assert next_sweep_at(after) == dt.datetime(2026, 11, 26, 2, 30, tzinfo=clock.BRUSSELS)
    # across the autumn clock change (25 October 2026): still 02:30 local
    dst = dt.datetime(2026, 10, 24, 12, 0, tzinfo=clock.BRUSSELS)
    assert next_sweep_at(dst).astimezone(clock.BRUSSELS).strftime("%Y-%m-%d %H:%M") == "2026-10-25 02:30"


@pytest.mark.django_db
def test_past_retention_for_one_purpose_while_another_keeps_the_item(policy: Any, frozen: Any) -> None:
    # a former prospect who became a member: prospecting ran out on 1 March 2026, membership runs
    subject, items = person_with(
        kind="member",
        purposes=["member-management", "prospecting"],
        collected_on=D(2025, 1, 1),
        started_on=D(2025, 1, 1),
        items=1,
    )
    from tests.factories.subjects import RelationshipFactory

    RelationshipFactory(
        subject=subject, kind="prospect", started_on=D(2024, 1, 1), last_interest_on=D(2025, 3, 1)
    )
    item = items[0]
    assert item_is_past_retention(item, purpose="prospecting")
    assert not item_is_past_retention(item, purpose="member-management")
    assert not item_is_past_retention(item)
    info = item_retention(item)
    assert info.due_on is None and info.action == "erase"
    assert {p.purpose: p.due_on for p in info.parts} == {
        "member-management": None,
        "prospecting": D(2026, 3, 1),
    }
