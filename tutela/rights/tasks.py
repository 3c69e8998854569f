"""Background tasks of the rights service (run by `tutela worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def notices_retry_task() -> int:
    """Deliver the Art. 19 notices that failed or have not gone yet."""
    from tutela.rights.propagation import notices_retry

    return notices_retry()


@task()
def notices_deliver_task(notice_ids: list[int]) -> int:
    """Deliver the Art. 19 notices of one request (enqueued when its transaction commits), out of the web
    request: a slow webhook or SMTP server never holds up the person answering."""
    from tutela.rights.propagation import deliver

    deliver(notice_ids)
    return len(notice_ids)
