"""Background tasks of the rights service (run by `tutela worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def notices_retry_task() -> int:
    """Deliver the Art. 19 notices that failed or have not gone yet."""
    from tutela.rights.propagation import notices_retry

    return notices_retry()
