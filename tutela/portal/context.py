"""What every portal page shows around its content: the organisation, the DPO and the authority."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tutela.core.errors import NotFound
from tutela.policy.selectors import active_policy


def portal_context(request: HttpRequest, nav: str = "", **extra: Any) -> dict[str, Any]:
    try:
        policy = active_policy()
    except NotFound:
        policy = None
    context: dict[str, Any] = {
        "policy": policy,
        "org_name": policy.organisation.name if policy else "Tutela",
        "dpo": policy.dpo if policy else None,
        "authority": policy.authority if policy else None,
        "nav": nav,
    }
    context.update(extra)
    return context
