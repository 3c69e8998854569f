"""TOTP seeds are sealed at rest under the key ring (issue 15 §3: they were stored in clear)."""

from __future__ import annotations

import importlib
import types
from typing import Any

import pytest
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.web.conftest import current_totp, login

pytestmark = pytest.mark.django_db


def _raw_keys() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, key FROM otp_totp_totpdevice")
        return {row[0]: row[1] for row in cursor.fetchall()}


def test_the_column_holds_no_seed_and_login_still_works(client: Any, make_staff: Any) -> None:
    from tutela.core import crypto

    user, password, device = make_staff("dpo")
    seed_hex = device.key
    assert len(seed_hex) == 40 and int(seed_hex, 16) >= 0  # django-otp's 20-byte hex seed, as code sees it
    raw = _raw_keys()[device.pk]
    assert seed_hex not in raw and seed_hex.upper() not in raw
    assert raw.startswith(f"v1:{crypto.keyring().current_id}:")
    assert crypto.decrypt(raw, context="otp_totp.key") == seed_hex
    assert TOTPDevice.objects.get(pk=device.pk).key == seed_hex
    login(client, user.username, password, device)
    assert client.get("/staff/").status_code == 200
    # the verification saved the device again (last_t, drift): still sealed
    assert _raw_keys()[device.pk].startswith("v1:")


def test_a_sealed_seed_is_bound_to_its_column(make_staff: Any) -> None:
    """A ciphertext of another kind (here, a seed sealed without the seed context) is not read as a seed."""
    from tutela.core import crypto

    _user, _password, device = make_staff("dpo")
    foreign = crypto.encrypt(device.key, context="national_number")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE otp_totp_totpdevice SET key = %s WHERE id = %s", [foreign, device.pk])
    with pytest.raises(crypto.DecryptionError):
        TOTPDevice.objects.get(pk=device.pk)


def test_the_migration_seals_clear_seeds_and_drops_unconfirmed_devices(make_staff: Any) -> None:
    from django.db.migrations.executor import MigrationExecutor

    user, _password, device = make_staff("dpo")
    pending = TOTPDevice.objects.create(user=user, name="left unconfirmed", confirmed=False)
    clear = device.key
    with connection.cursor() as cursor:  # as stored before this release
        cursor.execute("UPDATE otp_totp_totpdevice SET key = %s WHERE id = %s", [clear, device.pk])
    assert _raw_keys()[device.pk] == clear
    assert TOTPDevice.objects.get(pk=device.pk).key == clear  # read as it is until the migration runs

    migration = importlib.import_module("tutela.accounts.migrations.0003_seal_totp_seeds")
    state = MigrationExecutor(connection).loader.project_state(
        ("accounts", "0003_seal_totp_seeds"), at_end=False
    )

    # the schema change (PostgreSQL's wider column) was made when the test database was migrated; here
    # only the data step runs again, inside the test's transaction
    editor = types.SimpleNamespace(connection=types.SimpleNamespace(vendor="data-only"))
    migration.seal(state.apps, editor)
    raw = _raw_keys()
    assert pending.pk not in raw
    assert raw[device.pk].startswith("v1:") and clear not in raw[device.pk]
    assert TOTPDevice.objects.get(pk=device.pk).key == clear
    migration.unseal(state.apps, editor)
    assert _raw_keys()[device.pk] == clear


def test_key_rotation_reseals_the_seeds(client: Any, make_staff: Any) -> None:
    from tutela.core import crypto
    from tutela.subjects.keyring import keys_rotate

    user, password, device = make_staff("dpo")
    old_kid = crypto.keyring().current_id
    assert _raw_keys()[device.pk].startswith(f"v1:{old_kid}:")
    report = keys_rotate(batch=10)
    new_kid = crypto.keyring().current_id
    assert new_kid != old_kid and report.key_id == new_kid
    assert _raw_keys()[device.pk].startswith(f"v1:{new_kid}:")
    login(client, user.username, password, device)
    assert client.get("/staff/").status_code == 200


def test_resealing_counts_only_what_is_not_under_the_current_key(make_staff: Any) -> None:
    from tutela.accounts.seeds import seeds_reseal

    make_staff("dpo")
    make_staff("auditor")
    assert seeds_reseal() == 0  # both sealed under the current key already
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM otp_totp_totpdevice ORDER BY id")
        first = cursor.fetchone()[0]
    device = TOTPDevice.objects.get(pk=first)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE otp_totp_totpdevice SET key = %s WHERE id = %s", [device.key, first])
    assert seeds_reseal() == 1
    assert _raw_keys()[first].startswith("v1:")
    assert current_totp(TOTPDevice.objects.get(pk=first)) == current_totp(device)


def test_the_seed_column_holds_a_sealed_seed_on_postgresql() -> None:
    """django-otp's column is 80 characters; a sealed seed is longer, so migration 0003 widens it there
    (SQLite does not enforce the length)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce a column's length")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT character_maximum_length FROM information_schema.columns "
            "WHERE table_name = 'otp_totp_totpdevice' AND column_name = 'key'"
        )
        assert cursor.fetchone()[0] >= 200


def test_key_status_counts_the_seeds_still_to_rotate(make_staff: Any) -> None:
    from tutela.subjects.keyring import key_add, keys_status

    make_staff("dpo")
    make_staff("auditor")
    assert keys_status()["otp_seeds"] == {"total": 2, "to_rotate": 0}
    key_add()
    assert keys_status()["otp_seeds"] == {"total": 2, "to_rotate": 2}
