"""Reads of the register. Other apps call these names; they are stable.

- ``resolve_identifier(raw)``: the person behind an e-mail, phone, national number, IBAN, numeric id,
  public id (UUID), or "name date-of-birth" (``Jan Peeters 1985-07-30``); ``None`` when nobody matches.
- ``find_by_name_and_birth(name=, date_of_birth=)``.
- ``subject_items(subject_id, principal=, include_archived=)``: the items of one person, scoped.
- ``subject_summary(subject_id, principal=)``: a dict for screens and commands (values masked), scoped.
- ``item_dict(item, reveal=)``: one item as JSON-ready data (sensitive values masked unless revealed).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django.db.models import QuerySet

from tutela.accounts.permissions import PUBLIC_ROLE, controller_scope, may_see_subject
from tutela.accounts.principal import Principal
from tutela.core.errors import InvalidInput
from tutela.subjects import identifiers, values
from tutela.subjects.models import DataItem, Relationship, Subject
from tutela.subjects.scoping import IN_USE, visible_items

_DATE_AT_END = re.compile(r"^(?P<name>.+?)[\s,;]+(?P<date>\d{4}-\d{2}-\d{2})$")
NAME_ROOT = "user.name"
BIRTH_KEY = "date_of_birth"


def _follow(subject_id: int | None) -> Subject | None:
    """The live person for an id, following merges; None when erased or unknown."""
    seen = 0
    while subject_id is not None and seen < 20:
        person = Subject.objects.filter(pk=subject_id).first()
        if person is None:
            return None
        if person.merged_into_id is None:
            return None if person.erased_at else person
        subject_id = person.merged_into_id
        seen += 1
    return None


def subject_by_lookup(kind: str, normalised: str) -> Subject | None:
    lookup = identifiers.lookup_of_normalised(kind, normalised)
    subject_id = (
        DataItem.objects.filter(lookup=lookup, status__in=IN_USE)
        .order_by("subject_id")
        .values_list("subject_id", flat=True)
        .first()
    )
    return _follow(subject_id)


def _try(kind: str, raw: str) -> str | None:
    try:
        return identifiers.normalise(kind, raw)
    except InvalidInput:
        return None


def resolve_identifier(raw: str) -> Subject | None:
    """Find a person by what a caller knows of them (see the module docstring). Never raises on bad
    input: an identifier that is valid for no kind simply finds nobody."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return _follow(Subject.objects.filter(public_id=uuid.UUID(text)).values_list("pk", flat=True).first())
    except ValueError:
        pass
    if "@" in text:
        email = _try("email", text)
        return subject_by_lookup("email", email) if email else None
    compact = re.sub(r"[\s.\-/]", "", text)
    if compact.isascii() and compact.isdigit():
        if len(compact) == 11:
            nn = _try("national_number", compact)
            if nn:
                found = subject_by_lookup("national_number", nn)
                if found:
                    return found
        if len(compact) <= 10 and not text.startswith("0"):
            found = _follow(int(compact))
            if found:
                return found
    if compact[:2].isalpha() and compact[2:4].isascii() and compact[2:4].isdigit():
        iban = _try("iban", text)
        if iban:
            return subject_by_lookup("iban", iban)
    if re.fullmatch(r"[+0-9()\s./\-]{6,}", text):
        phone = _try("phone", text)
        if phone:
            return subject_by_lookup("phone", phone)
    match = _DATE_AT_END.match(text)
    if match:
        try:
            born = dt.date.fromisoformat(match.group("date"))
        except ValueError:
            return None
        return find_by_name_and_birth(name=match.group("name"), date_of_birth=born)
    return None


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def find_by_name_and_birth(*, name: str, date_of_birth: dt.date) -> Subject | None:
    """The one person whose date of birth is ``date_of_birth`` and whose name items match ``name``
    (full name, or first and last name in either order). None when nobody or several people match."""
    wanted = _fold(name)
    if not wanted:
        return None
    candidates = list(
        DataItem.objects.filter(
            category__endswith=BIRTH_KEY, value=date_of_birth.isoformat(), status__in=IN_USE
        ).values_list("subject_id", flat=True)
    )
    if not candidates:
        return None
    names: dict[int, list[tuple[str, str]]] = {}
    for subject_id, category, value in DataItem.objects.filter(
        subject_id__in=candidates, category__startswith=NAME_ROOT, status__in=IN_USE, value_sealed=""
    ).values_list("subject_id", "category", "value"):
        names.setdefault(subject_id, []).append((category, _fold(value)))
    matches: set[int] = set()
    for subject_id, parts in names.items():
        full = {v for c, v in parts if c == NAME_ROOT}
        first = [v for c, v in parts if c.endswith(".first")]
        last = [v for c, v in parts if c.endswith(".last")]
        combos = set(full)
        combos |= {f"{f} {la}" for f in first for la in last} | {f"{la} {f}" for f in first for la in last}
        if wanted in combos:
            matches.add(subject_id)
    if len(matches) != 1:
        return None
    return _follow(matches.pop())


def subject_items(
    subject_id: int, *, principal: Principal, include_archived: bool = False
) -> QuerySet[DataItem]:
    """The items of one person that ``principal`` may see, ordered by category (none for the public).
    Archived items are left out unless asked for, and then only with archive access."""
    if principal.role == PUBLIC_ROLE:
        return DataItem.objects.none()
    items = visible_items(principal, include_archived=include_archived)
    return items.filter(subject_id=subject_id).order_by("category", "pk")


def item_dict(item: DataItem, *, reveal: bool = False) -> dict[str, Any]:
    """One item as JSON-ready data. Sensitive values are masked unless ``reveal`` (audit that)."""
    return {
        "id": item.pk,
        "category": item.category,
        "value": values.masked_value(item, reveal=reveal),
        "sensitive": bool(item.value_sealed),
        "controller": item.controller,
        "source": item.source,
        "source_detail": item.source_detail,
        "collected_at": item.collected_at.isoformat() if item.collected_at else None,
        "purposes": list(item.purposes),
        "status": item.status,
        "provided_by_subject": item.provided_by_subject,
        "on_behalf_of": item.on_behalf_of,
        "updated_at": item.updated_at.isoformat(),
    }


def relationship_dict(rel: Relationship) -> dict[str, Any]:
    return {
        "controller": rel.controller,
        "kind": rel.kind,
        "started_on": rel.started_on.isoformat() if rel.started_on else None,
        "ended_on": rel.ended_on.isoformat() if rel.ended_on else None,
        "last_interest_on": rel.last_interest_on.isoformat() if rel.last_interest_on else None,
    }


def display_name(items: list[DataItem]) -> str:
    """A name for screens, from the person's name items (empty when none)."""
    full = [i.value for i in items if i.category == NAME_ROOT and not i.value_sealed]
    if full:
        return full[0]
    first = next((i.value for i in items if i.category.endswith("name.first")), "")
    last = next((i.value for i in items if i.category.endswith("name.last")), "")
    return f"{first} {last}".strip()


def subject_summary(subject_id: int, *, principal: Principal, reveal: bool = False) -> dict[str, Any]:
    """What ``principal`` may see of a person, as a dict: id, public id, language, name, relationships
    (its own entity's only, unless group-wide), items. NotFound for a person outside its scope."""
    person = Subject.objects.filter(pk=subject_id).first()
    if person is None or not (principal.is_group_wide or may_see_subject(principal, subject_id)):
        from tutela.core.errors import NotFound

        raise NotFound(f"no person with id {subject_id}")
    items = list(subject_items(subject_id, principal=principal))
    rels = Relationship.objects.filter(subject_id=subject_id).order_by("controller", "kind")
    scope = controller_scope(principal)
    if scope is not None:
        rels = rels.filter(controller=scope)
    return {
        "id": person.pk,
        "public_id": str(person.public_id),
        "language": person.language,
        "name": display_name(items),
        "created_at": person.created_at.isoformat(),
        "erased_at": person.erased_at.isoformat() if person.erased_at else None,
        "merged_into": person.merged_into_id,
        "relationships": [relationship_dict(r) for r in rels],
        "items": [item_dict(i, reveal=reveal) for i in items],
    }
