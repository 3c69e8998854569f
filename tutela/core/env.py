"""Typed readers for settings that come from the environment; a bad value fails loudly at start-up."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class SettingError(RuntimeError):
    """A setting in the environment has a value Tutela cannot use."""


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingError(f"{name}={raw!r}: expected true/false, 1/0, yes/no or on/off")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r}: expected a whole number") from None
    if minimum is not None and value < minimum:
        raise SettingError(f"{name}={raw!r}: must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def secret_from_env_or_file(name: str, path: Path, *, nbytes: int = 32, minimum_length: int = 0) -> str:
    """A secret from ``NAME``, ``NAME_FILE``, or a file generated once with mode 0600 (embedded default).

    With ``minimum_length``, a secret that is set but empty or shorter is refused (SettingError naming the
    setting and where the value came from): a weak key is worse than none, since nothing warns about it."""
    direct = os.environ.get(name)
    if direct or (minimum_length and direct is not None):
        return _long_enough(name, direct or "", f"the environment variable {name}", minimum_length)
    file_var = os.environ.get(f"{name}_FILE")
    if file_var:
        try:
            value = Path(file_var).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingError(f"{name}_FILE={file_var!r}: cannot read it ({exc.strerror})") from None
        return _long_enough(name, value, f"{name}_FILE={file_var!r}", minimum_length)
    if path.exists():
        return _long_enough(name, path.read_text(encoding="utf-8").strip(), str(path), minimum_length)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = secrets.token_urlsafe(max(nbytes, minimum_length))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def _long_enough(name: str, value: str, source: str, minimum_length: int) -> str:
    if minimum_length and len(value) < minimum_length:
        what = "is empty" if not value else f"has only {len(value)} characters"
        raise SettingError(
            f"{name} {what} (from {source}); it needs at least {minimum_length} random characters. "
            f"Unset {name} and {name}_FILE to have Tutela generate one under TUTELA_HOME"
        )
    if minimum_length and len(set(value)) < 5:
        raise SettingError(f"{name} (from {source}) repeats too few characters to be a key; use a random one")
    return value
