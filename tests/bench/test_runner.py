"""The benchmark runner works end to end on a tiny population and its output is well formed.

No timing is asserted here: speed is measured by `make bench`, not by tests."""

from __future__ import annotations

import math

EXPECTED = {
    "audit_verify",
    "purpose_check_p50",
    "purpose_check_p99",
    "purpose_check_http",
    "scrub_100k",
    "access_package_p50",
    "access_package_p95",
    "retention_sweep",
    "import_rows",
}


def test_bench_run_reports_every_metric_beside_a_baseline(cli) -> None:
    out = cli(
        "bench", "run", "--subjects", "60", "--json", env={"TUTELA_BENCH_LOAD_SECONDS": "0.5"}, timeout=600
    )
    assert out.returncode == 0, out.stderr
    data = out.json()
    metrics = {m["name"]: m for m in data["metrics"]}
    assert set(metrics) == EXPECTED
    for m in metrics.values():
        assert set(m) >= {"name", "value", "unit", "baseline", "ratio", "peak_memory_mb"}
        assert isinstance(m["value"], (int, float)) and m["value"] > 0, m
        assert isinstance(m["baseline"], (int, float)) and m["baseline"] > 0, m
        assert math.isclose(m["ratio"], m["value"] / m["baseline"], rel_tol=0.01, abs_tol=0.001), m
    assert data["population"]["subjects"] == 60
    assert data["population"]["items"] > 60
    assert data["database"] == "sqlite"


def test_bench_rejects_bad_input(cli) -> None:
    assert cli("bench", "run", "--subjects", "3").returncode == 2
    assert cli("bench", "run", "--only", "nonsense").returncode == 2
    refused = cli("bench", "run", "--database", "postgres://postgres@127.0.0.1:5432/production")
    assert refused.returncode == 2 and "tutela_bench" in refused.stderr
