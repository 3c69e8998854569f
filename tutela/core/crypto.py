"""Encryption at rest and blind indexes.

Sensitive values are sealed with AES-256-GCM under a key ring: the first key encrypts, every key decrypts,
and each ciphertext names its key, so ``tutela keys rotate`` can re-encrypt in batches while the service
runs. Exact look-ups use keyed HMAC-SHA256 "blind indexes" of the normalised value, so a national number
can be found without ever being stored in clear. Keys come from the environment or files, never the repo.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from tutela.core.env import SettingError

PREFIX = "v1"


class DecryptionError(RuntimeError):
    """A ciphertext could not be opened (unknown key id or altered data). Never carries the value."""


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[tuple[str, bytes], ...]

    @property
    def current_id(self) -> str:
        return self.keys[0][0]

    def get(self, kid: str) -> bytes:
        for key_id, key in self.keys:
            if key_id == kid:
                return key
        raise DecryptionError(f"no key with id {kid!r} in the key ring")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parse_keyring(text: str, *, origin: str) -> KeyRing:
    keys: list[tuple[str, bytes]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kid, sep, material = line.partition(":")
        if not sep or not kid:
            raise SettingError(f"{origin}: line {lineno}: expected 'key-id:base64-key'")
        try:
            raw = _b64d(material.strip())
        except (ValueError, TypeError):
            raise SettingError(f"{origin}: line {lineno}: the key is not base64") from None
        if len(raw) != 32:
            raise SettingError(f"{origin}: line {lineno}: a key must be 32 bytes (AES-256), got {len(raw)}")
        keys.append((kid, raw))
    if not keys:
        raise SettingError(f"{origin}: no key found")
    return KeyRing(tuple(keys))


def new_key_line() -> str:
    return f"k{secrets.token_hex(4)}:{_b64e(AESGCM.generate_key(bit_length=256))}"


def keyring_path() -> Path:
    return Path(os.environ.get("TUTELA_DATA_KEYS_FILE") or settings.TUTELA_DATA_KEYS_PATH)


@lru_cache(maxsize=1)
def keyring() -> KeyRing:
    direct = os.environ.get("TUTELA_DATA_KEYS")
    if direct:
        return parse_keyring(direct.replace(",", "\n"), origin="TUTELA_DATA_KEYS")
    path = keyring_path()
    if not path.exists():
        if os.environ.get("TUTELA_DATA_KEYS_FILE"):
            raise SettingError(f"TUTELA_DATA_KEYS_FILE={path}: no such file")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(new_key_line() + "\n")
    return parse_keyring(path.read_text(encoding="utf-8"), origin=str(path))


def reset_keyring_cache() -> None:
    keyring.cache_clear()
    _aead.cache_clear()


@lru_cache(maxsize=16)
def _aead(kid: str) -> AESGCM:
    return AESGCM(keyring().get(kid))


def encrypt(value: str, *, context: str = "") -> str:
    """Seal a value; ``context`` (e.g. the category key) is bound as associated data."""
    ring = keyring()
    nonce = secrets.token_bytes(12)
    sealed = _aead(ring.current_id).encrypt(nonce, value.encode(), context.encode())
    return f"{PREFIX}:{ring.current_id}:{_b64e(nonce + sealed)}"


def decrypt(token: str, *, context: str = "") -> str:
    try:
        prefix, kid, body = token.split(":", 2)
    except ValueError:
        raise DecryptionError("not a Tutela ciphertext") from None
    if prefix != PREFIX:
        raise DecryptionError("unknown ciphertext version")
    raw = _b64d(body)
    try:
        return _aead(kid).decrypt(raw[:12], raw[12:], context.encode()).decode()
    except InvalidTag:
        raise DecryptionError("ciphertext altered or bound to another context") from None


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1]


@lru_cache(maxsize=1)
def _index_key() -> bytes:
    return settings.TUTELA_INDEX_KEY.encode()


def blind_index(kind: str, normalised: str) -> str:
    """Keyed hash of a normalised identifier, for exact look-ups and suppression lists."""
    return hmac.new(_index_key(), f"{kind}\x1f{normalised}".encode(), hashlib.sha256).hexdigest()


def blind_indexer(kind: str) -> Callable[[str], str]:
    """``blind_index`` for one kind, for many values: the same HMAC-SHA256 (RFC 2104), with the keyed
    inner and outer hash states and the kind prefix computed once, as an import indexes every row."""
    key = _index_key()
    if len(key) > 64:  # SHA-256's block size; longer keys are hashed first, as hmac does
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(f"{kind}\x1f".encode())
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def index(normalised: str) -> str:
        i = inner.copy()
        i.update(normalised.encode())
        o = outer.copy()
        o.update(i.digest())
        return o.hexdigest()

    return index
