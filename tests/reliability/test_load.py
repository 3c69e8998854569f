"""A bounded load on loopback against the purpose-check API and the portal: no errors, and the server's
memory stays flat. Latency is reported, not asserted (speed lives in bench/); `make bench` runs it longer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tutela.bench.metrics import _load

ROOT = Path(__file__).resolve().parents[2]
SECONDS = float(os.environ.get("TUTELA_SOAK_SECONDS", "6"))


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_purpose_check_and_portal_under_load(cli, tutela_home: Path) -> None:
    assert cli("init").returncode == 0
    assert cli("bench", "generate", "--subjects", "300").returncode == 0
    user = cli(
        "user",
        "create",
        "loadgen",
        "--email",
        "l@example.org",
        "--role",
        "integration",
        "--controller",
        "crm-asbl",
    )
    assert user.returncode == 0
    token = cli("token", "create", "loadgen", "--name", "load", "--json").json()["token"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(TUTELA_HOME=str(tutela_home), TUTELA_TASKS_BACKEND="immediate")
    server = subprocess.Popen(
        [sys.executable, "-m", "tutela.cli", "serve", "--no-worker", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        checks = [f"/api/v1/purpose/check?purpose=prospecting&subject_id={i}" for i in range(1, 301)]
        _load(port, checks, token, clients=4, seconds_=1.0)  # warm-up
        start_rss = _rss_kb(server.pid)
        api = _load(port, checks, token, clients=4, seconds_=SECONDS)
        portal = _load(port, ["/en/", "/fr/", "/nl/", "/policy/"], "", clients=4, seconds_=SECONDS)
        api_again = _load(port, checks, token, clients=4, seconds_=SECONDS)
        end_rss = _rss_kb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=15)
    print(
        f"\nload: api {api}\n      portal {portal}\n      api again {api_again}\n"
        f"      server RSS {start_rss} kB -> {end_rss} kB"
    )
    for run in (api, portal, api_again):
        assert run["requests"] > 0 and run["errors"] == 0, run
    assert end_rss < start_rss * 1.5 + 20_000, f"server memory grew from {start_rss} kB to {end_rss} kB"
