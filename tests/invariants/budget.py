"""The size of the invariant machines: small enough for `make test` on two cores, larger on demand.

``TUTELA_INVARIANT_EXAMPLES`` sets how many random sequences each machine plays and ``TUTELA_INVARIANT_STEPS``
how many steps each sequence has (each machine names its own defaults, sized for CI);
``TUTELA_INVARIANT_RANDOM=1`` plays new random sequences each run (the default is derandomised, so CI plays
the same sequences every time)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = int(raw)
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {raw!r}")
    return value


def machine_settings(*, examples: int = 6, steps: int = 14) -> settings:
    random = os.environ.get("TUTELA_INVARIANT_RANDOM", "").strip() not in ("", "0")
    return settings(
        max_examples=_int("TUTELA_INVARIANT_EXAMPLES", examples),
        stateful_step_count=_int("TUTELA_INVARIANT_STEPS", steps),
        deadline=None,
        derandomize=not random,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )
