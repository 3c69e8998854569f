"""What the rights service needs from the other apps, in one place.

Each function calls the owning app's selector or service when it exists and falls back on a direct, read-only
query of the shared models otherwise, so requests work while the other apps are being completed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from importlib import import_module
from typing import Any

from tutela.core import crypto
from tutela.core.errors import FieldError, InvalidInput, TutelaError
from tutela.subjects.models import DataItem, Subject

LIVE_STATUSES = ("active", "restricted", "archived")


def _optional(module: str, name: str) -> Any:
    try:
        mod = import_module(module)
    except ImportError:
        return None
    return getattr(mod, name, None)


def identifier_kind(raw: str) -> str:
    """Guess the kind of an identifier a person gives: email, iban, national_number or phone."""
    text = raw.strip()
    if "@" in text:
        return "email"
    compact = re.sub(r"[\s.\-/]", "", text)
    if re.fullmatch(r"[A-Za-z]{2}\d{2}[A-Za-z0-9]{8,30}", compact):
        return "iban"
    if re.fullmatch(r"\d{11}", compact):
        return "national_number"
    if re.fullmatch(r"\+?\d{8,15}", compact):
        return "phone"
    raise InvalidInput(
        "unrecognised identifier",
        errors=[
            FieldError(
                "give an e-mail address, a phone number, an IBAN or a national number", field="identifier"
            )
        ],
    )


def normalise_identifier(raw: str) -> tuple[str, str]:
    """(kind, normalised value) of an identifier; raises InvalidInput when it is not valid."""
    from tutela.subjects import identifiers

    kind = identifier_kind(raw)
    return kind, identifiers.normalise(kind, raw)


def resolve(raw: str) -> Subject | None:
    """The person an identifier designates, or None. Also accepts ``subject:<id>`` and a public id (staff)."""
    text = raw.strip()
    if text.startswith("subject:") and text[8:].isdigit():
        return Subject.objects.filter(pk=int(text[8:]), erased_at__isnull=True).first()
    try:
        public = uuid.UUID(text)
    except ValueError:
        public = None
    if public is not None:
        return Subject.objects.filter(public_id=public, erased_at__isnull=True).first()
    selector = _optional("tutela.subjects.selectors", "resolve_identifier")
    if selector is not None:
        try:
            found = selector(text)
        except TutelaError:
            found = None
        if found is not None:
            return found if found.erased_at is None else None
    from tutela.subjects import identifiers

    kind, normalised = normalise_identifier(text)
    lookup = identifiers.lookup_of_normalised(kind, normalised)
    item = (
        DataItem.objects.filter(lookup=lookup, status__in=LIVE_STATUSES, subject__erased_at__isnull=True)
        .select_related("subject")
        .order_by("id")
        .first()
    )
    if item is None:
        return None
    subject = item.subject
    while subject.merged_into_id is not None:
        subject = Subject.objects.get(pk=subject.merged_into_id)
    return subject


def items_of(subject_id: int, *, controller: str = "", include_archived: bool = True) -> list[DataItem]:
    statuses = LIVE_STATUSES if include_archived else ("active", "restricted")
    qs = DataItem.objects.filter(subject_id=subject_id, status__in=statuses)
    if controller:
        qs = qs.filter(controller=controller)
    return list(qs.order_by("controller", "category", "id"))


def item_value(item: DataItem) -> str:
    fn = _optional("tutela.subjects.values", "item_value")
    if fn is not None:
        return str(fn(item))
    if item.value_sealed:
        return crypto.decrypt(item.value_sealed, context=item.category)
    return item.value


def email_of(subject_id: int) -> str | None:
    item = (
        DataItem.objects.filter(
            subject_id=subject_id, category="user.contact.email", status__in=LIVE_STATUSES
        )
        .order_by("-collected_at", "-id")
        .first()
    )
    return item_value(item) if item else None


def relationships_of(subject_id: int) -> list[Any]:
    from tutela.subjects.models import Relationship

    return list(Relationship.objects.filter(subject_id=subject_id).order_by("controller", "kind"))


def holds_of(subject_id: int) -> list[dict[str, Any]]:
    """Active legal holds on a person's data (retention app): ``reason``, and ``items`` (ids) when the hold
    names items rather than the whole person."""
    fn = _optional("tutela.retention.selectors", "holds_for_subject")
    if fn is None:
        return []
    out = []
    for hold in fn(subject_id) or []:
        if isinstance(hold, dict):
            out.append(hold)
            continue
        case = str(getattr(hold, "case_ref", "") or "")
        reason = str(getattr(hold, "reason", "") or "legal hold")
        whole = getattr(hold, "subject_id", None) == subject_id
        items: list[int] = []
        if not whole and hasattr(hold, "items"):
            items = list(hold.items.values_list("item_id", flat=True))
        out.append({"reason": f"{case}: {reason}" if case else reason, "items": items})
    return out


def recipients_of(subject_id: int) -> list[dict[str, Any]]:
    """Who actually received the person's data (the disclosure log of the recipients app)."""
    fn = _optional("tutela.recipients.selectors", "recipients_of_subject")
    if fn is None:
        return []
    return [dict(r) if not isinstance(r, dict) else r for r in fn(subject_id) or []]


def propagation_targets(subject_id: int) -> list[dict[str, Any]]:
    """Recipients to tell of a rectification, erasure or restriction (Art. 19), with their contact."""
    fn = _optional("tutela.recipients.selectors", "propagation_targets")
    if fn is not None:
        return [dict(r) for r in fn(subject_id) or []]
    return recipients_of(subject_id)


def consents_of(subject_id: int) -> list[Any]:
    fn = _optional("tutela.consent.selectors", "consents_of_subject")
    return list(fn(subject_id) or []) if fn is not None else []


def call_service(module: str, name: str, /, **kwargs: Any) -> Any:
    """Call another app's service when it exists; returns ``NotImplemented`` when it does not yet."""
    fn = _optional(module, name)
    if fn is None:
        return NotImplemented
    return fn(**kwargs)


def redact_values(values: Iterable[str]) -> list[str]:
    return ["[redacted]" for _ in values]
