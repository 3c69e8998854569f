"""Another local account on the machine learns nothing from Tutela's files, logs or processes.

- everything under TUTELA_HOME is private (files 0600, directories 0700) even when Tutela is started
  with the usual 022 umask: the database (session keys), mail (codes, private links), packages, logs;
- an empty or short secret key is refused at start, naming the setting;
- private tokens never reach a log file;
- SIGTERM to `tutela serve` stops its worker too, promptly.

The commands run through the real entry point in subprocesses (the embedded SQLite database)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "Zq7privateTOKENthatMustNeverBeLogged"


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTELA_") and k != "DATABASE_URL"}
    env.update({"TUTELA_HOME": str(home), "TUTELA_TASKS_BACKEND": "immediate", **extra})
    return env


def tutela(home: Path, *args: str, umask: int = 0o022, timeout: int = 180, **env: str) -> Any:
    """Run `tutela ARGS` as a shell with umask 022 would."""
    proc = subprocess.run(
        [sys.executable, "-m", "tutela.cli", *args],
        env=_env(home, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        preexec_fn=lambda: os.umask(umask),
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def not_private(home: Path) -> list[str]:
    """Every path under ``home`` that a group or other account could read, write or enter."""
    found = []
    for path in [home, *home.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            found.append(f"{oct(mode)} {path.relative_to(home.parent)}")
    return found


@pytest.fixture
def home(tmp_path: Path) -> Path:
    # created by Tutela itself (settings), not by the test: the umask decides its mode
    return tmp_path / "tutela-home"


def test_init_under_umask_022_creates_only_private_files(home: Path) -> None:
    out = tutela(home, "init", "--json")
    assert out.returncode == 0, out.stderr
    assert (home / "tutela.sqlite3").exists() and (home / "secrets" / "secret_key").exists()
    assert not_private(home) == []


def test_mail_packages_logs_and_the_wal_are_private_under_umask_022(home: Path, tmp_path: Path) -> None:
    assert tutela(home, "init").returncode == 0
    people = tmp_path / "people.csv"
    people.write_text("email,first_name,last_name\nann@example.org,Ann,Peeters\n", encoding="utf-8")
    imported = tutela(
        home, "import", str(people), "--controller", "crm-asbl", "--subject-type", "prospect",
        "--source", "data-provider",
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    # a request mails the person (the embedded default writes mail to files) …
    opened = tutela(home, "rights", "open", "access", "ann@example.org", "--json")
    assert opened.returncode == 0, opened.stderr
    # … a package is written …
    package = home / "exports" / "ann.zip"
    assert tutela(home, "rights", "access", "ann@example.org", "--out", str(package)).returncode == 0
    # … and an unexpected error leaves its traceback in the error log
    with sqlite3.connect(home / "tutela.sqlite3") as conn:
        conn.execute("DROP TABLE tutela_audit_entry")
    broken = tutela(home, "audit", "verify", "--json")
    assert broken.returncode == 2
    assert list((home / "mail").iterdir()), "no mail file was written"
    assert package.exists() and (home / "log" / "errors.log").exists()
    assert not_private(home) == []


def test_a_database_left_world_readable_is_made_private_at_the_next_start(home: Path) -> None:
    assert tutela(home, "init").returncode == 0
    database = home / "tutela.sqlite3"
    database.chmod(0o644)
    (home / "secrets").chmod(0o755)
    assert tutela(home, "audit", "verify").returncode == 0
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert not_private(home) == []


@pytest.mark.parametrize(
    "value", ["", "short", "x" * 31, "ab" * 20], ids=["empty", "short", "31-chars", "repetitive"]
)
def test_an_empty_or_short_secret_key_is_refused_at_start(home: Path, value: str) -> None:
    out = tutela(home, "init", "--json", TUTELA_SECRET_KEY=value)
    assert out.returncode == 2
    assert "TUTELA_SECRET_KEY" in out.stderr, out.stderr
    import json

    assert "TUTELA_SECRET_KEY" in json.loads(out.stdout)["error"]
    assert not (home / "tutela.sqlite3").exists(), "a refused start still created the database"


def test_a_short_secret_key_file_is_refused_and_a_good_one_accepted(home: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("too-short\n", encoding="utf-8")
    out = tutela(home, "init", TUTELA_SECRET_KEY_FILE=str(key_file))
    assert out.returncode == 2 and "TUTELA_SECRET_KEY" in out.stderr and str(key_file) in out.stderr
    key_file.write_text("q9V-2mLxT8cRb4Wn7YpZ1eKs6HdUj3Fa\n", encoding="utf-8")
    assert tutela(home, "init", TUTELA_SECRET_KEY_FILE=str(key_file)).returncode == 0


def test_the_generated_key_is_strong_and_stored_privately(home: Path) -> None:
    assert tutela(home, "init").returncode == 0
    key = (home / "secrets" / "secret_key").read_text(encoding="utf-8").strip()
    assert len(key) >= 50 and len(set(key)) >= 20
    # and it is the one used from then on: a second start keeps it
    assert tutela(home, "init").returncode == 0
    assert (home / "secrets" / "secret_key").read_text(encoding="utf-8").strip() == key


def test_the_wsgi_application_refuses_a_short_key_too(home: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import tutela.wsgi"],
        env=_env(home, TUTELA_SECRET_KEY="changeme", DJANGO_SETTINGS_MODULE="tutela.settings"),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode != 0 and "TUTELA_SECRET_KEY" in proc.stderr


# -- private tokens in logs ---------------------------------------------------------------------------------

PRIVATE_URLS = [
    f"/en/requests/status/{SECRET}/",
    f"/fr/requests/download/{SECRET}/",
    f"/nl/requests/verify/{SECRET}/",
    f"/en/requests/verify/?token={SECRET}",
    f"/en/newsletter/confirm/{SECRET}/",
    f"/en/newsletter/unsubscribe/{SECRET}/",
    f"/en/newsletter/preferences/{SECRET}/",
    f"/staff/enrol/{SECRET}/",
    f"/api/v1/consent/unsubscribe/{SECRET}",
    f"/api/v1/consent/withdraw/{SECRET}",
    f"/api/v1/requests/portal/status?token={SECRET}",
    f"/api/v1/no-such-route/?status_token={SECRET}&code={SECRET}",
]


def _logs(settings: Any) -> str:
    for handler in __import__("logging").getLogger().handlers:
        handler.flush()
    folder = Path(settings.LOG_DIR)
    return "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.log"))


@pytest.mark.django_db
def test_private_links_do_not_reach_the_request_and_error_logs(policy: Any, settings: Any) -> None:
    import logging

    from django.test import Client

    client = Client(raise_request_exception=False)
    for url in PRIVATE_URLS:
        client.get(url)
        client.post(url, {})
    # a server error on a private link: logged with its traceback in errors.log, without the token
    with mock.patch(
        "tutela.consent.newsletter.newsletter_unsubscribe",
        side_effect=RuntimeError(f"failed for /api/v1/consent/unsubscribe/{SECRET}"),
    ):
        failed = client.post(f"/api/v1/consent/unsubscribe/{SECRET}")
    assert failed.status_code == 500
    # the development server's request lines (runserver), in Django's own format
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /en/requests/status/{SECRET}/?token={SECRET} HTTP/1.1", 200, 120
    )
    logs = _logs(settings)
    assert "requests/status/[redacted]" in logs, "the requests were not logged at all"
    errors = (Path(settings.LOG_DIR) / "errors.log").read_text(encoding="utf-8")
    assert "consent/unsubscribe/[redacted]" in errors and "RuntimeError" in errors
    assert SECRET not in logs


def test_redaction_keeps_what_is_not_secret() -> None:
    from tutela.core.redact import redact

    assert redact("Not Found: /api/v1/subjects/12") == "Not Found: /api/v1/subjects/12"
    assert redact("GET /en/rights/access/ 200") == "GET /en/rights/access/ 200"
    assert redact(f"/en/requests/status/{SECRET}/ and ?lang=fr&token={SECRET}&x=1") == (
        "/en/requests/status/[redacted]/ and ?lang=fr&token=[redacted]&x=1"
    )
    assert redact("/en/requests/verify/?token=abc") == "/en/requests/verify/?token=[redacted]"


# -- SIGTERM to tutela serve --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(t) for t in text)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.fixture
def served(home: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    assert tutela(home, "init").returncode == 0
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tutela.cli", "serve", "--port", str(port), "--threads", "2"],
        env=_env(home, TUTELA_TASKS_BACKEND="database"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        preexec_fn=lambda: os.umask(0o022),
    )
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def _wait_until_up(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise AssertionError("tutela serve did not answer within 60 s")


def test_sigterm_stops_serve_and_its_worker_promptly(
    served: tuple[subprocess.Popen[str], int], home: Path
) -> None:
    proc, port = served
    _wait_until_up(port, proc)
    deadline = time.monotonic() + 30
    workers: list[int] = []
    while not workers and time.monotonic() < deadline:
        workers = [pid for pid in _children(proc.pid) if _alive(pid)]
        time.sleep(0.1)
    assert workers, "tutela serve started no worker"
    # a private link requested over real HTTP is logged without its token
    for url in (f"/en/requests/status/{SECRET}/", f"/api/v1/consent/unsubscribe/{SECRET}"):
        with contextlib.suppress(urllib.error.URLError):  # a 404, or a redirect to the base URL
            urllib.request.urlopen(f"http://127.0.0.1:{port}{url}", timeout=10).close()
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    assert time.monotonic() - started < 15, "serve took too long to stop"
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "the worker outlived tutela serve"
    _out, err = proc.communicate(timeout=5)
    assert "Traceback" not in err, err[-2000:]
    logs = "".join(p.read_text(encoding="utf-8") for p in (home / "log").glob("*.log"))
    assert SECRET not in logs + err
    assert not_private(home) == []


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """This process's umask set to the usual 022 (the test runner's may be anything), restored after."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_mail_files_are_private_even_without_the_entry_points_umask(
    loose_umask: None, tmp_path: Path, settings: Any
) -> None:
    from django.core.mail import send_mail

    settings.EMAIL_BACKEND = "tutela.core.mail.PrivateFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    send_mail("code", f"your link: /en/requests/status/{SECRET}/", "a@example.org", ["b@example.org"])
    files = list((tmp_path / "mail").iterdir())
    assert len(files) == 1 and SECRET in files[0].read_text(encoding="utf-8")
    assert _mode(tmp_path / "mail") == 0o700 and _mode(files[0]) == 0o600


def test_log_files_are_private_even_without_the_entry_points_umask(loose_umask: None, tmp_path: Path) -> None:
    import logging

    from tutela.core.files import PrivateFileHandler, private_append

    handler = PrivateFileHandler(str(tmp_path / "log" / "tutela.log"))
    record = logging.LogRecord("tutela", logging.WARNING, __file__, 1, "a warning", None, None)
    handler.emit(record)
    handler.close()
    private_append(tmp_path / "log2" / "errors.log", "a traceback\n")
    for folder, name in (("log", "tutela.log"), ("log2", "errors.log")):
        assert _mode(tmp_path / folder) == 0o700 and _mode(tmp_path / folder / name) == 0o600
