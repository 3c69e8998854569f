"""Numbers typed into addresses and forms: ASCII digits only, small enough for any database integer.

``str.isdigit()`` is not enough: it accepts characters such as "²" that ``int()`` refuses, and a 30-digit
number overflows the database; both would end as a server error on a public page.
"""

from __future__ import annotations

import re

#: at most 18 digits: always below 2**63 - 1, the largest bigint
_NUMBER = re.compile(r"[0-9]{1,18}")


def parse_id(value: str | None) -> int | None:
    """The number written in ``value`` (surrounding spaces allowed), or None when it is not a plain one."""
    if value is None:
        return None
    value = value.strip()
    return int(value) if _NUMBER.fullmatch(value) else None
