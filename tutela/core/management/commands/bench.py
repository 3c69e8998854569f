"""`tutela bench generate|run|measure`: the benchmarks (bench/README.md)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tutela.core import clock
from tutela.core.command import Result, TutelaCommand, stderr_console
from tutela.core.errors import InvalidInput

SAFE_PREFIX = "tutela_bench"


class Command(TutelaCommand):
    help = "Benchmarks: generate a population, run every metric beside its raw-SQL baseline."

    def add_command_arguments(self, parser: Any) -> None:
        subs = self.subparsers(parser)
        gen = subs.add_parser("generate", help="create a realistic population in the current database")
        gen.add_argument("--subjects", type=int, required=True)
        gen.add_argument("--seed", type=int, default=7)
        gen.add_argument(
            "--database", help="database URL to fill (read before start-up; default: DATABASE_URL)"
        )
        run = subs.add_parser("run", help="generate a population in a scratch database and run every metric")
        run.add_argument("--subjects", type=int, default=10_000)
        run.add_argument(
            "--database",
            help="a PostgreSQL URL whose database name starts with tutela_bench "
            "(dropped and recreated); default: a temporary SQLite file",
        )
        run.add_argument("--only", action="append", help="run only this metric (repeatable)")
        run.add_argument("--save", action="store_true", help="keep the JSON in bench/results/")
        measure = subs.add_parser("measure", help="(internal) run one metric in this process")
        measure.add_argument("name")
        measure.add_argument("--subjects", type=int, default=10_000)

    def sub_generate(self, **o: Any) -> Result:
        from tutela.bench.generate import generate

        if o["subjects"] < 1:
            raise InvalidInput("--subjects must be at least 1")
        console = stderr_console()
        with console.status("generating…"):
            pop = generate(subjects=o["subjects"], seed=o["seed"])
        data = pop.as_dict()
        return Result(data, f"generated {data['subjects']} people, {data['items']} items")

    def sub_measure(self, **o: Any) -> Result:
        from tutela.bench.metrics import METRICS

        if o["name"] not in METRICS:
            raise InvalidInput(f"unknown metric {o['name']!r}; known: {', '.join(METRICS)}")
        metrics = METRICS[o["name"]](o["subjects"])
        return Result({"metrics": [m.as_dict() for m in metrics]})

    def sub_run(self, **o: Any) -> Result:
        from tutela.bench.metrics import METRICS

        names = o.get("only") or list(METRICS)
        unknown = [n for n in names if n not in METRICS]
        if unknown:
            raise InvalidInput(f"unknown metric(s) {unknown}; known: {', '.join(METRICS)}")
        if o["subjects"] < 10:
            raise InvalidInput("--subjects must be at least 10")
        with tempfile.TemporaryDirectory(prefix="tutela-bench-") as home:
            env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
            env.update(TUTELA_HOME=home, TUTELA_TASKS_BACKEND="immediate")
            if o.get("database"):
                env["DATABASE_URL"] = _fresh_postgres(o["database"])
            console = stderr_console()
            console.print(f"[bold]bench[/]: {o['subjects']} people on {_engine(env)}")
            self._child(env, "init", "--json")
            population = self._child(env, "bench", "generate", "--subjects", str(o["subjects"]), "--json")
            rows: list[dict[str, Any]] = []
            for name in names:
                console.print(f"  measuring {name}…")
                out = self._child(env, "bench", "measure", name, "--subjects", str(o["subjects"]), "--json")
                rows.extend(out["metrics"])
        data = {
            "metrics": rows,
            "subjects": o["subjects"],
            "population": population,
            "database": _engine(env),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "system": platform.platform(),
            },
            "commit": _commit(),
            "at": clock.now().isoformat(),
        }
        if o.get("save"):
            results = Path(__file__).resolve().parents[4] / "bench" / "results"
            results.mkdir(parents=True, exist_ok=True)
            path = results / f"{clock.now():%Y%m%dT%H%M%S}-{_engine(env)}-{o['subjects']}.json"
            path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            data["saved_to"] = str(path)
        return Result(data, lambda: _table(rows))

    def _child(self, env: dict[str, str], *args: str) -> Any:
        proc = subprocess.run(  # noqa: S603 - our own entry point
            [sys.executable, "-m", "tutela.cli", *args], env=env, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise InvalidInput(f"`tutela {' '.join(args)}` failed: {proc.stderr.strip()[-800:]}")
        return json.loads(proc.stdout)


def _engine(env: dict[str, str]) -> str:
    return (
        "postgresql" if env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")) else "sqlite"
    )


def _fresh_postgres(url: str) -> str:
    """Drop and recreate a database reserved for benchmarks (its name must start with tutela_bench)."""
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    name = str(cfg.get("NAME") or "")
    if not name.startswith(SAFE_PREFIX):
        raise InvalidInput(
            f"--database: the database name must start with {SAFE_PREFIX!r} (it is dropped and "
            f"recreated), got {name!r}"
        )
    parts = {
        "host": cfg.get("HOST") or "127.0.0.1",
        "port": cfg.get("PORT") or 5432,
        "user": cfg.get("USER") or "postgres",
        "password": cfg.get("PASSWORD") or None,
        "dbname": "postgres",
    }
    conninfo = " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def _commit() -> str | None:
    git = ["git", "rev-parse", "--short", "HEAD"]
    try:
        proc = subprocess.run(git, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv, git from PATH
    except OSError:
        return None
    return proc.stdout.strip() or None


def _table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Tutela benchmarks")
    for column in ("metric", "value", "unit", "baseline (raw SQL)", "ratio", "target", "peak MB"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["name"],
            str(r["value"]),
            r["unit"],
            str(r["baseline"]),
            str(r["ratio"]),
            r["target"],
            str(r.get("peak_memory_mb")),
        )
    Console().print(table)
