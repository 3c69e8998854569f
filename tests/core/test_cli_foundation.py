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
