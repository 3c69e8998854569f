"""The daily sweep as a background task (django-tasks)."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def retention_sweep_task(files: bool = True, reschedule: bool = False) -> dict[str, Any]:
    """Run the retention sweep; with ``reschedule`` queue the next day's run afterwards."""
    from tutela.core.audit import set_actor
    from tutela.retention.services import retention_schedule_next
    from tutela.retention.sweep import SWEEP, retention_sweep

    set_actor(SWEEP.actor)
    result = retention_sweep(principal=SWEEP, files=files).as_dict()
    if reschedule:
        when = retention_schedule_next()
        result["next"] = when.isoformat() if when else None
    return result
