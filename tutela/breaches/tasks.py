"""Background work of the breach register."""

from __future__ import annotations

from django_tasks import task


@task()
def send_subject_notices(communication_id: int) -> dict[str, int]:
    """Send a breach communication to the people concerned, in batches (see notifications.py)."""
    from tutela.accounts.principal import system_principal
    from tutela.breaches.notifications import send_pending_notices

    return send_pending_notices(communication_id, principal=system_principal("breaches.send_subject_notices"))
