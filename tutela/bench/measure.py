"""Measuring helpers: wall-clock percentiles, throughput, and the raw-SQL baseline beside each figure."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Metric:
    """One figure of a run, with the baseline doing the same essential work on the same data."""

    name: str
    value: float | None
    unit: str
    baseline: float | None
    target: str = ""
    note: str = ""
    peak_memory_mb: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """value ÷ baseline: for times, how many times slower than the raw SQL; for rates, how many times as fast."""
        if self.value is None or not self.baseline:
            return None
        return round(self.value / self.baseline, 3)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        return data


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    lower = int(k)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (k - lower)


def sample_latencies(fn: Callable[[int], Any], inputs: list[int], *, warmup: int = 20) -> list[float]:
    """Milliseconds per call of ``fn`` over ``inputs`` (after a warm-up on the first few)."""
    for value in inputs[:warmup]:
        fn(value)
    out = []
    for value in inputs:
        start = time.perf_counter()
        fn(value)
        out.append((time.perf_counter() - start) * 1000)
    return out


def seconds(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")
