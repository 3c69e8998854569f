"""Parsing of user input shared by the CLI and the API (dates, lists of keys)."""

from __future__ import annotations

import datetime as dt

from tutela.core.errors import FieldError, InvalidInput


def parse_day(raw: str | None, *, field: str) -> dt.date | None:
    """An ISO date (YYYY-MM-DD), or None when not given; a date that does not exist is refused."""
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else _raise(text)
    except ValueError as exc:
        raise InvalidInput(
            f"invalid date {text!r} for {field}",
            errors=[FieldError(f"expected an existing date as YYYY-MM-DD ({exc})", field=field)],
        ) from None


def _raise(text: str) -> dt.date:
    raise ValueError("wrong length")


def split_keys(raw: str | list[str] | None) -> list[str]:
    """``"a,b c"`` or ``["a", "b,c"]`` → ``["a", "b", "c"]`` (order kept, duplicates dropped)."""
    if raw is None:
        return []
    parts = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for part in parts:
        for key in str(part).replace(",", " ").split():
            if key not in out:
                out.append(key)
    return out
