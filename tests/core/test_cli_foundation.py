"""The CLI contract's common behaviour, through the real entry point."""

from __future__ import annotations

import sqlite3


def test_init_is_idempotent_and_audit_verifies(cli, tutela_home) -> None:
    first = cli("init", "--json")
    assert first.returncode == 0, first.stderr
    assert set(first.json()) >= {"database", "policy_version"}
    second = cli("init", "--json")
    assert second.returncode == 0 and second.json()["policy_version"] == first.json()["policy_version"]
    verify = cli("audit", "verify", "--json")
    assert verify.returncode == 0 and verify.json()["intact"] is True


def test_audit_verify_exits_1_and_names_the_entry_after_tampering(cli, tutela_home) -> None:
    assert cli("init").returncode == 0
    assert cli("user", "bootstrap").returncode == 0
    with sqlite3.connect(tutela_home / "tutela.sqlite3") as conn:
        conn.execute("UPDATE tutela_audit_entry SET action = 'forged' WHERE seq = 1")
    out = cli("audit", "verify", "--json")
    assert out.returncode == 1
    assert out.json()["intact"] is False and out.json()["first_broken"] == 1


def test_unknown_command_and_bad_option_exit_2_without_traceback(cli) -> None:
    assert cli("no-such-command").returncode == 2
    assert cli("audit", "frobnicate").returncode == 2


def test_secrets_are_generated_with_mode_0600(cli, tutela_home) -> None:
    assert cli("init").returncode == 0
    for name in ("secret_key", "index_key"):
        mode = (tutela_home / "secrets" / name).stat().st_mode & 0o777
        assert mode == 0o600, (name, oct(mode))


def _one_json_error(stdout: str) -> str:
    """The documented error document (``{"error": message}``), alone on stdout."""
    import json

    body = json.loads(stdout)
    assert set(body) <= {"error", "errors"} and isinstance(body["error"], str) and body["error"]
    return str(body["error"])


def test_an_unexpected_error_with_json_prints_the_error_document_and_logs_the_traceback(
    cli, tutela_home
) -> None:
    assert cli("init").returncode == 0
    with sqlite3.connect(tutela_home / "tutela.sqlite3") as conn:
        conn.execute("DROP TABLE tutela_audit_entry")  # what no command foresees: its table is gone
    out = cli("audit", "verify", "--json")
    assert out.returncode == 2
    message = _one_json_error(out.stdout)
    assert "unexpected" in message and "errors.log" in message
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    log = (tutela_home / "log" / "errors.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "tutela_audit_entry" in log
    assert ((tutela_home / "log" / "errors.log").stat().st_mode & 0o777) == 0o600
    # without --json: the same one line on stderr, nothing on stdout
    plain = cli("audit", "verify")
    assert plain.returncode == 2 and plain.stdout == "" and "unexpected" in plain.stderr


def test_usage_errors_with_json_print_the_error_document(cli) -> None:
    unknown = cli("no-such-command", "--json")
    assert unknown.returncode == 2 and "no-such-command" in _one_json_error(unknown.stdout)
    bad_setting = cli("init", "--json", env={"TUTELA_SQLITE_TIMEOUT": "soon"})
    assert bad_setting.returncode == 2 and "TUTELA_SQLITE_TIMEOUT" in _one_json_error(bad_setting.stdout)


def test_an_argument_that_is_not_utf8_is_refused_clearly(tutela_home) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(TUTELA_HOME=str(tutela_home), LC_ALL="C.UTF-8")
    for args in (
        [b"subject", b"show", b"\xff\xfe"],
        [b"subject", b"show", b"ann\xed\xa0\x80@example.org", b"--json"],
    ):
        proc = subprocess.run(
            [sys.executable.encode(), b"-m", b"tutela.cli", *args], env=env, capture_output=True, timeout=120
        )
        stderr = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode == 2 and "Traceback" not in stderr, stderr
        assert "argument 3 is not valid UTF-8" in stderr
        if b"--json" in args:
            assert "UTF-8" in _one_json_error(proc.stdout.decode())
