"""Signal receivers of the portal."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from tutela.policy.signals import policy_activated


@receiver(policy_activated, dispatch_uid="tutela.portal.notify_policy_change")
def on_policy_activated(sender: Any, version: Any, **kwargs: Any) -> None:
    """A substantial version became active: enqueue the e-mails to the people concerned."""
    from tutela.portal.tasks import notify_policy_change

    notify_policy_change.enqueue(version_number=version.number)
