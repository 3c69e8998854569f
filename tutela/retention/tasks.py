"""The daily sweep as a background task (django-tasks)."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def retention_sweep_task(files: bool = True, reschedule: bool = False) -> dict[str, Any]:
    """Run the retention sweep; with ``reschedule`` queue the next day's run afterwards."""
    from tutela.core.audit import acting_as
    from tutela.core.audit_proof import audit_check_full
    from tutela.retention.services import retention_schedule_next
    from tutela.retention.sweep import SWEEP, retention_sweep

    # the sweep's actor for its run only, even when called directly rather than by a worker
    with acting_as(SWEEP.actor):
        result = retention_sweep(principal=SWEEP, files=files).as_dict()
        # the nightly full verification of the audit chain, for /healthz and the dashboard (decision 0007)
        result["audit_intact"] = audit_check_full().intact
        if reschedule:
            when = retention_schedule_next()
            result["next"] = when.isoformat() if when else None
    return result
