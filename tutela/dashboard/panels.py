"""The dashboard's panels, each read from the app that owns the facts; a missing app gives None."""

from __future__ import annotations

import logging
from typing import Any

from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.errors import InvalidInput, NotFound
from tutela.dashboard.charts import last_months, stacked_bars
from tutela.portal.optional import resolve

log = logging.getLogger(__name__)


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
    panels: dict[str, Any] = {"today": today, "now": clock.now()}
    panels["requests"] = _call("tutela.rights.selectors.requests_dashboard", principal=principal)
    panels["breaches"] = _call("tutela.breaches.selectors.breach_clocks", principal=principal)
    panels["sweep"] = _call("tutela.retention.selectors.next_sweep_preview")
    panels["contracts"] = _call("tutela.recipients.selectors.expiring_contracts")
    panels["consents"] = _call("tutela.consent.selectors.consent_statistics")
    stats = _call("tutela.rights.selectors.request_statistics", principal=principal)
    panels["request_stats"] = stats
    if stats is not None and hasattr(stats, "get"):
        months = last_months(today.year, today.month)
        by_type = stats.get("per_month_by_type") or {}
        panels["requests_chart"] = stacked_bars(months, by_type)
    return panels
