"""Numbers typed by people (ids in addresses, on the command line, in forms): ASCII digits only, within 63 bits.

``str.isdigit()`` is not enough: it accepts "²" and "①", which ``int()`` refuses, and "٣", which ``int()``
silently reads as 3; a 30-digit number overflows every database integer. All three ended as server errors
or, worse, as someone else's record.
"""

from __future__ import annotations

import re

#: the largest id a database bigint holds
MAX_ID = 2**63 - 1

_NUMBER = re.compile(r"[0-9]{1,19}")


def is_ascii_number(text: str) -> bool:
    """True when ``text`` is made of ASCII digits 0-9 only (and is not empty)."""
    return bool(text) and text.isascii() and text.isdigit()


def parse_id(value: str | None) -> int | None:
    """The id written in ``value`` (surrounding spaces allowed), or None when it is not a plain ASCII number
    from 0 to 2**63 - 1."""
    if value is None:
        return None
    value = value.strip()
    if not _NUMBER.fullmatch(value):
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def whole_number(text: str) -> int:
    """An argparse ``type`` for whole numbers (ids, counts, version numbers): optional minus sign and ASCII
    digits, within 63 bits; replaces ``int`` in every Tutela command (see ``TutelaCommand.create_parser``)."""
    import argparse

    value = text.strip()
    digits = value[1:] if value.startswith("-") else value
    if not (digits and digits.isascii() and digits.isdigit()) or len(digits) > 19 or abs(int(value)) > MAX_ID:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number (ASCII digits 0-9, at most {MAX_ID})"
        )
    return int(value)
