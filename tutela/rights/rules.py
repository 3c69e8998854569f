"""Policy-driven rules of the rights service (small helpers reading the active policy)."""

from __future__ import annotations


def deadline_settings() -> tuple[int, int, str]:
    """(answer months, extension months, holiday country) from the active policy, or the GDPR defaults."""
    try:
        from tutela.policy.selectors import active_policy

        d = active_policy().deadlines
        return d.answer_months, d.extension_months, d.holidays_country
    except Exception:  # no database or no policy yet: the regulation's defaults
        return 1, 2, "BE"
