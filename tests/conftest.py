"""Shared fixtures: a loaded policy, a clock you can move, and a way to run the real `tutela` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
POLICY_FILE = ROOT / "policies" / "crm-group.yaml"


@pytest.fixture
def policy(db: Any) -> Any:
    """The shipped CRM Group policy, loaded and active."""
    from tutela.policy.selectors import active_policy, forget_cached_policy
    from tutela.policy.services import policy_load

    forget_cached_policy()
    policy_load(text=POLICY_FILE.read_text(encoding="utf-8"), source_name=POLICY_FILE.name)
    forget_cached_policy()
    yield active_policy()
    forget_cached_policy()


@pytest.fixture
def policy_data() -> dict[str, Any]:
    """The shipped policy file read with plain YAML, for deriving expected values independently of Tutela."""
    import yaml

    return yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def tutela_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def cli(tutela_home: Path) -> Iterator[Any]:
    """Run the real `tutela` entry point in a subprocess on a fresh embedded database (or DATABASE_URL's)."""

    def run(
        *args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: int = 180
    ) -> CliResult:
        full_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        full_env["TUTELA_HOME"] = str(tutela_home)
        full_env["TUTELA_TASKS_BACKEND"] = "immediate"
        full_env.update(env or {})
        proc = subprocess.run(
            [sys.executable, "-m", "tutela.cli", *args],
            env=full_env,
            capture_output=True,
            text=True,
            input=stdin,
            timeout=timeout,
            cwd=ROOT,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    yield run


@dataclass
class Mailbox:
    """Messages received by a real SMTP server listening on 127.0.0.1 for the length of one test."""

    host: str
    port: int
    messages: list[Any]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Any]:
        import time

        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on a free loopback port; Django's SMTP backend is pointed at it."""
    import email
    import email.policy

    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    try:
        yield Mailbox("127.0.0.1", port, received)
    finally:
        controller.stop()
