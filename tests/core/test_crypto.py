"""Sealed values open only with the right key and context; blind indexes are stable and keyed."""

from __future__ import annotations

import pytest

from tutela.core import crypto


def test_round_trip_and_no_clear_text() -> None:
    token = crypto.encrypt("85073003328", context="national_number")
    assert "85073003328" not in token
    assert crypto.decrypt(token, context="national_number") == "85073003328"


def test_same_value_seals_differently_each_time() -> None:
    assert crypto.encrypt("x") != crypto.encrypt("x")


def test_wrong_context_or_altered_ciphertext_fails_without_revealing_the_value() -> None:
    token = crypto.encrypt("BE71096123456769", context="iban")
    with pytest.raises(crypto.DecryptionError) as err:
        crypto.decrypt(token, context="national_number")
    assert "BE71" not in str(err.value)
    altered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(altered, context="iban")


def test_key_ring_parsing_names_the_bad_line() -> None:
    with pytest.raises(crypto.SettingError, match="line 2"):
        crypto.parse_keyring(crypto.new_key_line() + "\nbad line", origin="keys")
    with pytest.raises(crypto.SettingError, match="32 bytes"):
        crypto.parse_keyring("k1:AAAA", origin="keys")


def test_old_keys_still_decrypt_after_a_new_key_is_put_first(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = crypto.new_key_line(), crypto.new_key_line()
    monkeypatch.setenv("TUTELA_DATA_KEYS", old)
    crypto.reset_keyring_cache()
    token = crypto.encrypt("secret")
    monkeypatch.setenv("TUTELA_DATA_KEYS", f"{new},{old}")
    crypto.reset_keyring_cache()
    assert crypto.decrypt(token) == "secret"
    assert crypto.key_id_of(crypto.encrypt("secret")) == new.split(":")[0]
    crypto.reset_keyring_cache()


def test_blind_index_is_deterministic_and_depends_on_kind() -> None:
    a = crypto.blind_index("email", "ann@example.org")
    assert a == crypto.blind_index("email", "ann@example.org")
    assert a != crypto.blind_index("phone", "ann@example.org")
    assert len(a) == 64
