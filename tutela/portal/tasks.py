"""Background work of the portal: telling people about a substantial policy change."""

from __future__ import annotations

from django_tasks import task


@task()
def notify_policy_change(version_number: int) -> dict[str, int]:
    """Plan and send the policy-change e-mails of one version (idempotent, resumable)."""
    from tutela.accounts.principal import system_principal
    from tutela.portal.notify import policy_change_plan, policy_change_send

    worker = system_principal("policy-change-notices")
    policy_change_plan(version_number=version_number, principal=worker)
    return policy_change_send(version_number=version_number, principal=worker)
