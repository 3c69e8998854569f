"""The benchmark metrics. Each runs the product code and, beside it, the raw SQL (or minimal code) doing
the same essential work on the same data, in the same process and run."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import connection

from tutela.bench.measure import Metric, peak_rss_mb, percentile, sample_latencies, seconds
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
        # pages of 50,000 by sequence, as the product reads (a single SELECT would hold every row in memory)
        count = last = 0
        with connection.cursor() as cursor:
            while True:
                cursor.execute(
                    "SELECT seq, at, actor, action, object_type, object_id, subject_id, payload_hash, prev_hash "
                    "FROM tutela_audit_entry WHERE seq > %s ORDER BY seq LIMIT 50000",
                    [last],
                )
                rows = cursor.fetchall()
                if not rows:
                    return count
                for row in rows:
                    hashlib.sha256("|".join(map(str, row)).encode()).hexdigest()
                count += len(rows)
                last = rows[-1][0]

    # the product first: the peak memory reported is its own (the baseline runs on a warmer cache)
    product_s, report = seconds(audit_verify)
    memory = peak_rss_mb()
    raw_s, raw_count = seconds(raw)
    assert report.intact, f"the benchmark's audit chain is broken at {report.first_broken}"
    return [
        Metric(
            "audit_verify",
            round(report.entries / product_s),
            "entries/s",
            round(raw_count / raw_s),
            target=">= 200000 entries/s",
            peak_memory_mb=memory,
            extra={"entries": report.entries},
        )
    ]


# ---------------------------------------------------------------- helpers shared by the metrics
def _sample_subjects(kind: str | None, count: int, seed: int = 11) -> list[int]:
    from tutela.subjects.models import Relationship

    qs = Relationship.objects.all() if kind is None else Relationship.objects.filter(kind=kind)
    ids = list(qs.values_list("subject_id", flat=True).order_by("subject_id")[:200_000])
    random.Random(seed).shuffle(ids)
    return ids[:count]


def _emails(count: int) -> list[str]:
    from tutela.subjects.models import DataItem

    return list(
        DataItem.objects.filter(category="user.contact.email").values_list("value", flat=True)[:count]
    )


def _in_clause(values: list[Any]) -> tuple[str, list[Any]]:
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [list(values)]
    return f"IN ({', '.join(['%s'] * len(values))})", list(values)


# ---------------------------------------------------------------- purpose check, in process
@metric("purpose_check")
def purpose_check_latency(subjects: int) -> list[Metric]:
    """One purpose check (prospecting) for random prospects, beside the raw SQL fetching the same facts."""
    from tutela.consent.checks import purpose_check

    ids = _sample_subjects("prospect", 2000)
    assert ids, "no prospects in the benchmark population"

    def product(sid: int) -> None:
        purpose_check(subject_id=sid, purpose="prospecting")

    def raw(sid: int) -> None:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT r.kind, r.ended_on, r.last_interest_on, "
                "(SELECT COUNT(*) FROM tutela_data_item i WHERE i.subject_id = r.subject_id "
                " AND i.status <> 'active'), "
                "(SELECT COUNT(*) FROM tutela_objection o WHERE o.subject_id = r.subject_id "
                " AND o.purpose = %s) "
                "FROM tutela_relationship r WHERE r.subject_id = %s",
                ["prospecting", sid],
            )
            cur.fetchall()

    base = sample_latencies(raw, ids)
    prod = sample_latencies(product, ids)
    mem = peak_rss_mb()
    return [
        Metric(
            "purpose_check_p50",
            round(percentile(prod, 50), 4),
            "ms",
            round(percentile(base, 50), 4),
            target="< 1 ms",
            peak_memory_mb=mem,
            extra={"checks": len(ids)},
        ),
        Metric(
            "purpose_check_p99",
            round(percentile(prod, 99), 4),
            "ms",
            round(percentile(base, 99), 4),
            peak_memory_mb=mem,
            extra={"checks": len(ids)},
        ),
    ]


# ---------------------------------------------------------------- list scrubbing
@metric("scrub")
def scrub_list(subjects: int) -> list[Metric]:
    """Scrub a 100,000-address list (70 % known people) for the newsletter, beside a bare hash-and-join."""
    from tutela.consent.scrub import purpose_scrub
    from tutela.core.crypto import blind_index

    size = 100_000
    known = _emails(int(size * 0.7))
    rows = known + [f"stranger{i}@example.net" for i in range(size - len(known))]
    random.Random(5).shuffle(rows)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "list.csv"
        source.write_text("email\n" + "\n".join(rows) + "\n", encoding="utf-8")

        def raw() -> int:
            found = 0
            with source.open(encoding="utf-8") as handle:
                reader = csv.reader(handle)
                next(reader)
                lookups = [blind_index("email", r[0].strip().lower()) for r in reader if r]
            for start in range(0, len(lookups), 900 if connection.vendor == "sqlite" else 100_000):
                chunk = lookups[start : start + (900 if connection.vendor == "sqlite" else 100_000)]
                clause, params = _in_clause(chunk)
                with connection.cursor() as cur:
                    cur.execute(f"SELECT DISTINCT lookup FROM tutela_data_item WHERE lookup {clause}", params)  # noqa: S608
                    found += len(cur.fetchall())
            return found

        raw_s, _ = seconds(raw)
        out = Path(tmp) / "kept.csv"
        product_s, result = seconds(lambda: purpose_scrub(path=source, out=out, purpose="newsletter"))
    return [
        Metric(
            "scrub_100k",
            round(product_s, 4),
            "s",
            round(raw_s, 4),
            target="< 2 s",
            peak_memory_mb=peak_rss_mb(),
            extra={"rows": size, **result.as_dict()},
        )
    ]


# ---------------------------------------------------------------- access package
@metric("access_package")
def access_package(subjects: int) -> list[Metric]:
    """Build the access package (data.json, CSVs, index.html) for random people, beside the raw reads."""
    from tutela.rights.access import build_data, package_bytes

    ids = _sample_subjects(None, 300, seed=3)

    def product(sid: int) -> None:
        from tutela.accounts.principal import system_principal

        package_bytes(build_data(sid, language="en", principal=system_principal("bench")), "en")

    def raw(sid: int) -> None:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT category, value, value_sealed, source, collected_at, purposes, controller "
                "FROM tutela_data_item WHERE subject_id = %s",
                [sid],
            )
            items = cur.fetchall()
            cur.execute("SELECT purpose, kind, at FROM tutela_consent_event WHERE subject_id = %s", [sid])
            consents = cur.fetchall()
            cur.execute(
                "SELECT recipient_id, category, at FROM tutela_disclosed_item WHERE subject_id = %s", [sid]
            )
            disclosed = cur.fetchall()
        json.dumps([items, consents, disclosed], default=str)

    base = sample_latencies(raw, ids, warmup=10)
    prod = sample_latencies(product, ids, warmup=10)
    mem = peak_rss_mb()
    return [
        Metric(
            "access_package_p50",
            round(percentile(prod, 50), 2),
            "ms",
            round(percentile(base, 50), 2),
            peak_memory_mb=mem,
            extra={"packages": len(ids)},
        ),
        Metric(
            "access_package_p95",
            round(percentile(prod, 95), 2),
            "ms",
            round(percentile(base, 95), 2),
            target="< 100 ms",
            peak_memory_mb=mem,
            extra={"packages": len(ids)},
        ),
    ]


# ---------------------------------------------------------------- retention sweep
@metric("retention_sweep")
def retention_sweep(subjects: int) -> list[Metric]:
    """The sweep over the whole population, beside the raw DELETE of the same rows (rolled back first)."""
    from django.db import transaction

    from tutela.core import clock
    from tutela.policy.selectors import active_policy
    from tutela.retention.sweep import plan_groups, retention_sweep

    groups = plan_groups(active_policy(), clock.today())
    due_ids: list[int] = []
    for group in groups:
        if group.action in ("erase", "anonymise"):  # both delete the item (anonymise counts it first)
            due_ids.extend(group.due_queryset().values_list("id", flat=True))

    class Rollback(Exception):
        pass

    def raw() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("CREATE TEMPORARY TABLE bench_due (id bigint PRIMARY KEY)")
                for start in range(0, len(due_ids), 50_000):
                    chunk = due_ids[start : start + 50_000]
                    cur.executemany("INSERT INTO bench_due (id) VALUES (%s)", [(i,) for i in chunk])
                started = time.perf_counter()
                if connection.vendor == "postgresql":
                    # the foreign keys are deferred: check them now, as the sweep's commits do, not never
                    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cur.execute("DELETE FROM tutela_disclosed_item WHERE item_id IN (SELECT id FROM bench_due)")
                cur.execute("DELETE FROM tutela_data_item WHERE id IN (SELECT id FROM bench_due)")
                timings.append(time.perf_counter() - started)
                raise Rollback
        except Rollback:
            pass

    timings: list[float] = []
    raw()
    from tutela.accounts.principal import system_principal

    product_s, report = seconds(lambda: retention_sweep(principal=system_principal("bench")))
    data = report.as_dict()
    return [
        Metric(
            "retention_sweep",
            round(product_s, 4),
            "s",
            round(timings[0], 4),
            target="< 60 s for 1,000,000 due, within 3x of the raw delete",
            peak_memory_mb=peak_rss_mb(),
            extra={
                "rows_deleted_in_baseline": len(due_ids),
                **{k: data[k] for k in ("due", "erased", "anonymised", "archived", "held")},
            },
        )
    ]


# ---------------------------------------------------------------- import
@metric("import")
def import_rows(subjects: int) -> list[Metric]:
    """Import a CSV of new prospects with validation and provenance, beside parsing + a raw bulk insert."""
    from tutela.accounts.principal import system_principal
    from tutela.core import clock
    from tutela.subjects.importing.service import import_file

    rows = max(1000, min(subjects, 1_000_000))
    # prospects who showed an interest two months ago: within their year, with only what prospecting uses
    interest = (clock.today() - dt.timedelta(days=60)).isoformat()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "prospects.csv"
        with source.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["email", "first_name", "last_name", "phone", "organisation", "last_interest_at"])
            for i in range(rows):
                writer.writerow(
                    [
                        f"new{i}@example.com",
                        "Anne",
                        f"Lambert{i}",
                        f"+32490{i % 1_000_000:06d}",
                        "Lambert & Co",
                        interest,
                    ]
                )

        def raw() -> int:
            with source.open(encoding="utf-8") as handle, connection.cursor() as cur:
                reader = csv.reader(handle)
                next(reader)
                cur.execute(
                    "CREATE TEMPORARY TABLE bench_import (email text, first_name text, last_name text, "
                    "phone text, organisation text, last_interest_at date)"
                )
                batch = []
                for row in reader:
                    batch.append(row)
                    if len(batch) >= 10_000:
                        cur.executemany("INSERT INTO bench_import VALUES (%s, %s, %s, %s, %s, %s)", batch)
                        batch = []
                if batch:
                    cur.executemany("INSERT INTO bench_import VALUES (%s, %s, %s, %s, %s, %s)", batch)
                cur.execute("DROP TABLE bench_import")
            return rows

        raw_s, _ = seconds(raw)
        product_s, report = seconds(
            lambda: import_file(
                path=source,
                controller="crm-asbl",
                subject_type="prospect",
                source="data-provider",
                principal=system_principal("bench"),
            )
        )
    assert report.imported == rows, f"the benchmark import refused rows: {report.as_dict()}"
    return [
        Metric(
            "import_rows",
            round(rows / product_s),
            "rows/s",
            round(rows / raw_s),
            target=">= 20000 rows/s",
            peak_memory_mb=peak_rss_mb(),
            extra={"rows": rows},
        )
    ]


# ---------------------------------------------------------------- purpose check over HTTP
def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _load(port: int, paths: list[str], token: str, *, clients: int, seconds_: float) -> dict[str, float]:
    """A bounded closed-loop load on loopback: ``clients`` threads, keep-alive, for ``seconds_`` seconds."""
    import http.client
    import threading

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds_

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        bad = 0
        i = offset
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += clients
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
                response = conn.getresponse()
                response.read()
                if response.status >= 500:
                    bad += 1
            except OSError:
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ms = [x * 1000 for x in latencies]
    return {
        "rps": round(len(latencies) / elapsed, 1),
        "requests": len(latencies),
        "errors": errors[0],
        "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
    }


@metric("purpose_check_http")
def purpose_check_http(subjects: int) -> list[Metric]:
    """GET /api/v1/purpose/check by e-mail under load on loopback, beside GET /healthz on the same server."""
    import os
    import subprocess
    import sys
    import urllib.request

    from tutela.accounts.principal import CLI
    from tutela.accounts.services import staff_create, token_create

    user, _ = staff_create(
        principal=CLI,
        username=f"bench-{random.randrange(10**6)}",
        email="bench@example.org",
        role="integration",
        controller="crm-asbl",
    )
    token = token_create(principal=CLI, user=user, name="bench")
    ids = _sample_subjects("prospect", 500)
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own entry point
        [sys.executable, "-m", "tutela.cli", "serve", "--no-worker", "--port", str(port), "--threads", "8"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        # by e-mail address, as a connected CRM asks (the register's look-up index finds the person)
        from urllib.parse import urlencode

        from tutela.subjects.models import DataItem

        emails = DataItem.objects.filter(category="user.contact.email", subject_id__in=ids).values_list(
            "value", flat=True
        )
        check_paths = [
            "/api/v1/purpose/check?" + urlencode({"purpose": "prospecting", "identifier": email})
            for email in emails
        ]
        assert check_paths, "no e-mail addresses among the sampled prospects"
        duration = float(os.environ.get("TUTELA_BENCH_LOAD_SECONDS", "5"))
        _load(port, check_paths[:20], token, clients=4, seconds_=min(1.0, duration))  # warm-up
        base = _load(port, ["/healthz"], token, clients=4, seconds_=duration)
        prod = _load(port, check_paths, token, clients=4, seconds_=duration)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return [
        Metric(
            "purpose_check_http",
            prod["rps"],
            "requests/s",
            base["rps"],
            note="baseline: /healthz on the same server and load",
            peak_memory_mb=peak_rss_mb(),
            extra={"product": prod, "baseline": base},
        )
    ]
