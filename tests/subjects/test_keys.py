"""Key rotation round trip through the real CLI: values move to the new key, still open, audit intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.subjects.test_import_cli import ARGS, CLEAN, NN_DIGITS


@pytest.mark.django_db(transaction=True)
def test_rotation_round_trip_keeps_values_and_the_audit_chain(
    cli, register_policy_file: Path, tmp_path, tutela_home
) -> None:
    assert cli("init", env={"TUTELA_POLICY_FILE": str(register_policy_file)}).returncode == 0
    data = tmp_path / "clean.csv"
    data.write_text(CLEAN, encoding="utf-8")
    assert cli("import", str(data), *ARGS).returncode == 0
    before = cli("keys", "status", "--json").json()
    old_key = before["current"]
    assert before["sealed"] == 3 and before["by_key"][old_key] == 3 and before["to_rotate"] == 0
    keyfile = tutela_home / "secrets" / "data_keys"
    assert keyfile.stat().st_mode & 0o777 == 0o600

    out = cli("keys", "rotate", "--batch", "2", "--json")
    assert out.returncode == 0, out.stderr
    report = out.json()
    assert report["reencrypted"] == 3 and report["batches"] == 2 and report["key_id"] != old_key
    assert keyfile.stat().st_mode & 0o777 == 0o600
    assert keyfile.read_text().splitlines()[0].startswith(report["key_id"] + ":")
    after = cli("keys", "status", "--json").json()
    assert after["current"] == report["key_id"] and after["by_key"][report["key_id"]] == 3
    assert after["keys"] == [report["key_id"], old_key]
    with sqlite3.connect(tutela_home / "tutela.sqlite3") as conn:
        prefixes = {
            row[0].split(":")[1]
            for row in conn.execute("select value_sealed from tutela_data_item where value_sealed != ''")
        }
    assert prefixes == {report["key_id"]}
    shown = cli("subject", "show", NN_DIGITS, "--reveal", "--json").json()
    assert NN_DIGITS in [i["value"] for i in shown["items"]]
    again = cli("keys", "rotate", "--no-new-key", "--json").json()
    assert again["reencrypted"] == 0  # resumable: nothing left under an old key
    verify = cli("audit", "verify", "--json")
    assert verify.returncode == 0 and verify.json()["intact"] is True


@pytest.mark.django_db(transaction=True)
def test_keys_from_the_environment_cannot_be_added_by_tutela(cli, tutela_home) -> None:
    from tutela.core.crypto import new_key_line

    env = {"TUTELA_DATA_KEYS": new_key_line()}
    assert cli("init", env=env).returncode == 0
    out = cli("keys", "rotate", "--json", env=env)
    assert out.returncode == 2 and "TUTELA_DATA_KEYS" in out.json()["error"]
    ok = cli("keys", "rotate", "--no-new-key", "--json", env=env)
    assert ok.returncode == 0 and ok.json()["reencrypted"] == 0
