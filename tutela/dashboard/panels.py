"""The dashboard's panels, each read from the app that owns the facts; a missing app gives None."""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext_lazy as _

from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.errors import InvalidInput, NotFound
from tutela.dashboard import queries
from tutela.dashboard.access import may_read_breaches
from tutela.dashboard.charts import last_months, stacked_bars
from tutela.portal.optional import resolve
from tutela.retention.sweep import sweep_status

log = logging.getLogger(__name__)

TYPE_NAMES = {
    "access": _("access"),
    "rectification": _("rectification"),
    "erasure": _("erasure"),
    "objection": _("objection"),
    "restriction": _("restriction"),
    "withdrawal": _("withdrawal"),
    "portability": _("portability"),
    "given": _("given"),
    "withdrawn": _("withdrawn"),
    "expired": _("expired"),
}


def _call(path: str, *args: Any, **kwargs: Any) -> Any:
    fn = resolve(path)
    if fn is None:
        return None
    try:
        return fn(*args, **kwargs)
    except (InvalidInput, NotFound) as exc:
        log.warning("dashboard panel %s: %s", path, exc)
        return None


def dashboard_panels(principal: Principal) -> dict[str, Any]:
    today = clock.today()
    months = last_months(today.year, today.month)
    panels: dict[str, Any] = {"today": today, "now": clock.now()}
    if resolve("tutela.rights.deadlines.deadline_state") is not None:
        panels["requests"] = queries.requests_panel(principal)
        stats = queries.request_statistics(principal, months)
        panels["request_stats"] = stats
        panels["requests_chart"] = stacked_bars(months, stats["per_month_by_type"], names=TYPE_NAMES)
    # the breach register follows the API's rule: DPO, privacy officers and auditors only
    panels["breach_reader"] = may_read_breaches(principal)
    panels["breach_reporter"] = principal.can_write
    panels["breaches"] = (
        _call("tutela.breaches.selectors.open_breach_clocks", principal=principal)
        if panels["breach_reader"]
        else None
    )
    sweep = _call("tutela.retention.selectors.next_sweep_preview", 20)
    if sweep is not None and not principal.is_group_wide:
        sweep = [row for row in sweep if row.get("controller") == principal.controller]
    panels["sweep"] = sweep
    panels["sweep_at"] = _call("tutela.retention.selectors.next_sweep_at")
    # the last run and what it could not do (purpose sets and item ids of both entities: group-wide roles)
    panels["sweep_last"] = sweep_status()["last"] if principal.is_group_wide else None
    panels["contracts"] = _call("tutela.recipients.selectors.expiring_contracts")
    consents = queries.consent_statistics(principal, months)
    panels["consents"] = consents
    if consents is not None:
        panels["consents_chart"] = stacked_bars(months, consents["per_month_by_kind"], names=TYPE_NAMES)
    return panels
