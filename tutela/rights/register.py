"""What the rights service needs from the other apps, in one place: plain imports of their selectors, and
the lifecycle registry (:mod:`tutela.core.lifecycle`) for what every app holds about a person."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

from tutela.accounts.principal import Principal
from tutela.core import lifecycle
from tutela.core.errors import FieldError, InvalidInput, TutelaError
from tutela.subjects.models import DataItem, Subject

LIVE_STATUSES = ("active", "restricted", "archived")


def identifier_kind(raw: str) -> str:
    """Guess the kind of an identifier a person gives: email, iban, national_number or phone."""
    text = raw.strip()
    if "@" in text:
        return "email"
    compact = re.sub(r"[\s.\-/]", "", text)
    if re.fullmatch(r"[A-Za-z]{2}[0-9]{2}[A-Za-z0-9]{8,30}", compact, re.ASCII):
        return "iban"
    if re.fullmatch(r"[0-9]{11}", compact):
        return "national_number"
    if re.fullmatch(r"\+?[0-9]{8,15}", compact):
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
    if text.startswith("subject:"):
        from tutela.core.ids import parse_id

        pk = parse_id(text[8:])
        return Subject.objects.filter(pk=pk, erased_at__isnull=True).first() if pk is not None else None
    try:
        public = uuid.UUID(text)
    except ValueError:
        public = None
    if public is not None:
        return Subject.objects.filter(public_id=public, erased_at__isnull=True).first()
    from tutela.subjects.selectors import resolve_identifier

    try:
        found = resolve_identifier(text)
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
    from tutela.subjects.values import item_value as value

    return str(value(item))


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
    """Active legal holds on a person's data: ``reason``, and ``items`` (ids) when the hold names items
    rather than the whole person. A hold placed on a record since merged into this one protects it too."""
    from django.db.models import Q

    from tutela.retention.models import LegalHold

    people = lifecycle.with_duplicates([subject_id])
    item_ids = DataItem.objects.filter(subject_id=subject_id).values("id")
    holds = (
        LegalHold.objects.filter(released_at__isnull=True)
        .filter(Q(subject_id__in=people) | Q(items__item_id__in=item_ids))
        .distinct()
        .order_by("placed_at", "id")
    )
    out = []
    for hold in holds:
        reason = hold.reason or "legal hold"
        whole = hold.subject_id in people
        items = [] if whole else list(hold.items.values_list("item_id", flat=True))
        out.append({"reason": f"{hold.case_ref}: {reason}" if hold.case_ref else reason, "items": items})
    return out


def recipients_of(subject_id: int, *, principal: Principal) -> list[dict[str, Any]]:
    """Who actually received the person's data, as ``principal`` may see it (the disclosure log)."""
    return lifecycle.export_subject(subject_id, principal=principal, sections=["recipients"])["recipients"]


def propagation_targets(subject_id: int) -> list[dict[str, Any]]:
    """Recipients to tell of a rectification, erasure or restriction (Art. 19), with their contact."""
    from tutela.recipients.selectors import propagation_targets as targets

    return [dict(r) for r in targets(subject_id) or []]


def consents_of(subject_id: int, *, principal: Principal) -> list[Any]:
    return lifecycle.export_subject(subject_id, principal=principal, sections=["consents"])["consents"]


def redact_values(values: Iterable[str]) -> list[str]:
    return ["[redacted]" for _ in values]
