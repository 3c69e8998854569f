"""The benchmark metrics. Each runs the product code and, beside it, the raw SQL (or minimal code) doing
the same essential work on the same data, in the same process and run."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.db import connection

from tutela.bench.measure import Metric, peak_rss_mb, seconds
from tutela.core.audit import audit_verify

MetricFn = Callable[[int], list[Metric]]
METRICS: dict[str, MetricFn] = {}


def metric(name: str) -> Callable[[MetricFn], MetricFn]:
    def register(fn: MetricFn) -> MetricFn:
        METRICS[name] = fn
        return fn

    return register


@metric("audit_verify")
def audit_verification(subjects: int) -> list[Metric]:
    """Entries verified per second by `tutela audit verify`, beside a bare read-and-SHA-256 loop."""

    def raw() -> int:
        count = 0
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT seq, at, actor, action, object_type, object_id, subject_id, payload_hash, prev_hash "
                "FROM tutela_audit_entry ORDER BY seq"
            )
            while rows := cursor.fetchmany(20000):
                for row in rows:
                    hashlib.sha256("|".join(map(str, row)).encode()).hexdigest()
                    count += 1
        return count

    raw_s, raw_count = seconds(raw)
    product_s, report = seconds(audit_verify)
    assert report.intact, f"the benchmark's audit chain is broken at {report.first_broken}"
    return [
        Metric(
            "audit_verify",
            round(report.entries / product_s),
            "entries/s",
            round(raw_count / raw_s),
            target=">= 200000 entries/s",
            peak_memory_mb=peak_rss_mb(),
            extra={"entries": report.entries},
        )
    ]
