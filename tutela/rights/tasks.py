"""Background tasks of the rights service (run by `tutela worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def notices_retry_task() -> int:
    """Deliver the Art. 19 notices that failed or have not gone yet."""
    from tutela.accounts.principal import system_principal
    from tutela.rights.propagation import notices_retry

    return notices_retry(principal=system_principal("rights.notices_retry"))


@task()
def notices_deliver_task(notice_ids: list[int]) -> int:
    """Deliver the Art. 19 notices of one request (enqueued when its transaction commits), out of the web
    request: a slow webhook or SMTP server never holds up the person answering."""
    from tutela.accounts.principal import system_principal
    from tutela.rights.propagation import deliver

    deliver(notice_ids, principal=system_principal("rights.notices_deliver"))
    return len(notice_ids)


@task()
def transmit_task(receipt_id: int) -> str:
    """Send one portability transmission (enqueued when the fulfilment commits) to the other controller, out
    of the request's transaction; a receipt already delivered or failed is left alone, so a retried or
    duplicated task never sends twice."""
    from tutela.accounts.principal import system_principal
    from tutela.rights.portability import deliver_transmission

    return deliver_transmission(receipt_id, principal=system_principal("rights.transmit"))


@task()
def transmissions_resume_task() -> int:
    """Take up the transmissions never sent or whose run died (worker crash, queue lost)."""
    from tutela.accounts.principal import system_principal
    from tutela.rights.portability import transmissions_resume

    return transmissions_resume(principal=system_principal("rights.transmissions_resume"))
