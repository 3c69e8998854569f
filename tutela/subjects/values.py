"""Values of items: how a clear value is stored (normalised, sealed, indexed) and read back.

``item_value(item)`` is THE way to read an item's value (it opens sealed values); ``masked_value(item)``
is what screens and exports show unless the reader asked to reveal sensitive values.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from tutela.core import crypto
from tutela.core.errors import FieldError, InvalidInput
from tutela.policy.schema import Policy
from tutela.subjects import identifiers
from tutela.subjects.rules import category_info


@dataclass(frozen=True)
class Stored:
    """What goes into the DataItem columns for one value."""

    value: str
    value_sealed: str
    lookup: str | None


def item_value(item: Any) -> str:
    """The clear value of an item (a DataItem or anything with category, value, value_sealed)."""
    if item.value_sealed:
        return crypto.decrypt(item.value_sealed, context=item.category)
    return str(item.value)


def mask(clear: str) -> str:
    """Show only the last two characters: enough to tell two values apart, not enough to use one."""
    if len(clear) <= 2:
        return "•" * len(clear)
    return "•" * (len(clear) - 2) + clear[-2:]


def is_sealed(item: Any) -> bool:
    return bool(item.value_sealed)


def masked_value(item: Any, *, reveal: bool = False) -> str:
    if item.value_sealed and not reveal:
        return mask(item_value(item))
    return item_value(item)


def parse_date(text: str, *, field: str) -> dt.date:
    """An ISO 8601 date (a datetime's date part is accepted); impossible dates are named, not guessed."""
    text = text.strip()
    candidate = text[:10] if len(text) > 10 and text[10] in "T " else text
    try:
        return dt.date.fromisoformat(candidate)
    except ValueError as exc:
        reason = str(exc)
        # echo the text only when it looks like a date: a misplaced identifier must not reach a message
        shown = repr(text) if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", candidate) else "the value"
        if "day is out of range" in reason or "month must be" in reason:
            message = f"{shown} is not a real date ({reason})"
        else:
            message = f"{shown} is not an ISO 8601 date (YYYY-MM-DD)"
        raise InvalidInput(f"{field}: {message}", errors=[FieldError(message, field=field)]) from None


def normalise_value(
    policy: Policy, category: str, raw: str, *, field: str = "value"
) -> tuple[str, str | None]:
    """Validate and normalise a raw value for its category. Returns (normalised, identifier kind or None).

    Raises :class:`InvalidInput` with one FieldError naming ``field``; the message never repeats the value.
    """
    info = category_info(policy, category)
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise InvalidInput(f"{field}: empty value", errors=[FieldError("empty value", field=field)])
    if category.endswith("date_of_birth"):
        return parse_date(text, field=field).isoformat(), None
    if info is None or not info.identifier:
        if len(text) > 2000:
            raise InvalidInput(
                f"{field}: value too long", errors=[FieldError("longer than 2000 characters", field=field)]
            )
        return text, None
    try:
        return identifiers.normalise(info.identifier, text), info.identifier
    except InvalidInput as exc:
        message = exc.errors[0].message if exc.errors else exc.message
        label = info.identifier.replace("_", " ")
        raise InvalidInput(
            f"{field}: invalid {label}", errors=[FieldError(f"invalid {label}: {message}", field=field)]
        ) from None


def store(policy: Policy, category: str, normalised: str, kind: str | None) -> Stored:
    """The columns for an already normalised value: sealed when the category is sensitive."""
    info = category_info(policy, category)
    lookup = identifiers.lookup_of_normalised(kind, normalised) if kind else None
    if info is not None and info.sensitive:
        return Stored("", crypto.encrypt(normalised, context=category), lookup)
    return Stored(normalised, "", lookup)


def prepare(policy: Policy, category: str, raw: str, *, field: str = "value") -> Stored:
    normalised, kind = normalise_value(policy, category, raw, field=field)
    return store(policy, category, normalised, kind)
