"""CSV cells that a spreadsheet shows as text and never runs as a formula (CSV injection)."""

from __future__ import annotations

from typing import Any

#: a cell starting with one of these is read as a formula (or can become one) by spreadsheet programs
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_safe(value: Any) -> str:
    """The text of ``value`` for a CSV cell, with a leading apostrophe when it could start a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text
