"""Use cases of the register: every change to people, items, relationships and interactions.

Each service is keyword-only, runs in one transaction and writes its audit entry (with ``subject_id``) in
that transaction. Values are validated and normalised (``tutela.subjects.values``), sensitive categories
sealed, identifiers indexed; policy rules (``tutela.subjects.rules``) decide what may be held at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F

from tutela.accounts.permissions import (
    require_controller,
    require_decide,
    require_subject,
    require_write,
)
from tutela.accounts.principal import Principal
from tutela.core import clock, lifecycle
from tutela.core.audit import AuditRecord, audit_log, audit_many
from tutela.core.errors import FieldError, InvalidInput, NotFound
from tutela.policy.selectors import active_policy
from tutela.subjects import rules, values
from tutela.subjects.models import DataItem, Interaction, Relationship, Subject

LANGUAGES = ("en", "fr", "nl")
_UNSET: Any = object()


@dataclass(frozen=True)
class NewItem:
    """An item to add: its category key, raw value and (optionally) the purposes it serves."""

    category: str
    value: str
    purposes: Sequence[str] | None = None
    provided_by_subject: bool | None = None


def _plain(value: Any) -> Any:
    """JSON-ready copy of a payload (dates as ISO strings)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _authorise(principal: Principal, controller: str, subject: Subject | int | None = None) -> None:
    """May ``principal`` record data held by ``controller`` about this person? The person must already be
    in the principal's scope (a group-wide role sees everyone): recording data must not pull someone the
    other entity holds into one's own view. Out-of-scope people answer NotFound, like a wrong id."""
    require_controller(principal, controller)
    if subject is not None and not principal.is_group_wide:
        require_subject(principal, subject.pk if isinstance(subject, Subject) else subject)


def _item_visible(principal: Principal, item_id: int) -> bool:
    if principal.is_group_wide:
        return True
    from tutela.subjects.scoping import visible_items

    return visible_items(principal).filter(pk=item_id).exists()


def _subject(subject: Subject | int, *, lock: bool = False) -> Subject:
    if isinstance(subject, Subject) and not lock:
        return subject
    pk = subject.pk if isinstance(subject, Subject) else subject
    qs = Subject.objects.select_for_update() if lock else Subject.objects
    found = qs.filter(pk=pk, erased_at__isnull=True).first()
    if found is None:
        raise NotFound(f"no person with id {pk}")
    return found


def _subject_types_of(subject: Subject, controller: str) -> list[str]:
    return list(
        Relationship.objects.filter(subject=subject, controller=controller).values_list("kind", flat=True)
    )


def _touch(subject: Subject) -> None:
    Subject.objects.filter(pk=subject.pk).update(updated_at=clock.now(), version=F("version") + 1)


def _check_language(language: str) -> str:
    lang = (language or "").strip().lower()
    allowed = tuple(active_policy().languages) or LANGUAGES
    if lang not in allowed:
        raise InvalidInput(
            f"language {language!r} is not one of {', '.join(allowed)}",
            errors=[FieldError(f"expected one of {', '.join(allowed)}", field="language")],
        )
    return lang


def _build_item(
    *,
    subject: Subject,
    controller: str,
    subject_type: str | None,
    category: str,
    value: str,
    source: str,
    source_detail: str,
    purposes: Sequence[str] | None,
    collected_at: dt.datetime | None,
    provided_by_subject: bool | None,
    on_behalf_of: str,
    instruction_ref: str,
    field: str = "category",
) -> DataItem:
    """Validate one item against the policy and build it (unsaved). Raises InvalidInput with every error."""
    policy = active_policy()
    types: list[str | None] = (
        [subject_type] if subject_type else [*_subject_types_of(subject, controller)] or [None]
    )
    chosen: list[str] = []
    errors: list[FieldError] = []
    for kind in types:
        chosen, errors = rules.check_item(
            policy,
            category=category,
            controller=controller,
            subject_type=kind,
            source=source,
            purposes=list(purposes) if purposes else None,
            field=field,
        )
        if not errors:
            break
    stored: values.Stored | None = None
    try:
        stored = values.prepare(policy, category, value, field=field.replace("category", "value"))
    except InvalidInput as exc:
        errors.extend(exc.errors)
    if errors or stored is None:
        raise InvalidInput(
            errors[0].message if len(errors) == 1 else "the item breaks the policy", errors=errors
        )
    now = clock.now()
    src = policy.sources[source]
    return DataItem(
        subject=subject,
        controller=controller,
        category=category,
        value=stored.value,
        value_sealed=stored.value_sealed,
        lookup=stored.lookup,
        source=source,
        source_detail=source_detail[:300],
        collected_at=collected_at or now,
        purposes=chosen,
        status=DataItem.Status.ACTIVE,
        provided_by_subject=src.from_subject if provided_by_subject is None else provided_by_subject,
        on_behalf_of=on_behalf_of,
        instruction_ref=instruction_ref,
        created_at=now,
        updated_at=now,
    )


def _same_item(item: DataItem) -> DataItem | None:
    """An in-use item of the same person, controller, category and value (adding it again changes nothing)."""
    qs = DataItem.objects.filter(
        subject_id=item.subject_id,
        controller=item.controller,
        category=item.category,
        status__in=(DataItem.Status.ACTIVE, DataItem.Status.RESTRICTED),
        on_behalf_of=item.on_behalf_of,
    )
    if item.lookup:
        return qs.filter(lookup=item.lookup).first()
    if item.value_sealed:
        clear = values.item_value(item)
        return next((other for other in qs if values.item_value(other) == clear), None)
    return qs.filter(value=item.value).first()


def _item_payload(item: DataItem) -> dict[str, Any]:
    """What the audit trail may say about an item: never a sensitive value."""
    return {
        "item": item.pk,
        "category": item.category,
        "controller": item.controller,
        "source": item.source,
        "source_detail": item.source_detail,
        "collected_at": item.collected_at.isoformat() if item.collected_at else None,
        "purposes": list(item.purposes),
        "sealed": bool(item.value_sealed),
        **({"on_behalf_of": item.on_behalf_of} if item.on_behalf_of else {}),
    }


def item_add(
    *,
    subject: Subject | int,
    controller: str,
    category: str,
    value: str,
    source: str,
    source_detail: str = "",
    subject_type: str | None = None,
    purposes: Sequence[str] | None = None,
    collected_at: dt.datetime | None = None,
    provided_by_subject: bool | None = None,
    on_behalf_of: str = "",
    instruction_ref: str = "",
    principal: Principal,
) -> DataItem:
    """Record one piece of personal data with its provenance, after the policy's checks.

    The category must be in the policy; the source allowed for the subject type; the purposes (default:
    every purpose of this controller and subject type that uses the category) allowed for it; special
    categories are refused unless a purpose with a legal requirement covers them. Identifiers are
    validated and normalised and get a blind index; sensitive categories are sealed (``value`` empty).
    Adding a value the person already has for that controller and category returns the existing item.
    """
    _authorise(principal, controller, subject)
    with transaction.atomic():
        person = _subject(subject, lock=True)
        item = _build_item(
            subject=person,
            controller=controller,
            subject_type=subject_type,
            category=category,
            value=value,
            source=source,
            source_detail=source_detail,
            purposes=purposes,
            collected_at=collected_at,
            provided_by_subject=provided_by_subject,
            on_behalf_of=on_behalf_of,
            instruction_ref=instruction_ref,
        )
        existing = _same_item(item)
        if existing is not None:
            return existing
        item.save()
        _touch(person)
        audit_log(
            "item.add",
            object_type="data_item",
            object_id=item.pk,
            subject_id=person.pk,
            payload=_item_payload(item),
            actor=principal.actor,
        )
    return item


def subject_create(
    *,
    language: str = "en",
    controller: str | None = None,
    subject_type: str | None = None,
    source: str | None = None,
    source_detail: str = "",
    items: Sequence[NewItem] = (),
    collected_at: dt.datetime | None = None,
    started_on: dt.date | None = None,
    ended_on: dt.date | None = None,
    last_interest_on: dt.date | None = None,
    principal: Principal,
) -> Subject:
    """Create a person, optionally with a relationship (``subject_type`` with ``controller``) and items.

    Everything is validated first; any error refuses the whole person (nothing is written)."""
    policy = active_policy()
    lang = _check_language(language)
    require_write(principal)
    errors: list[FieldError] = []
    if items or subject_type:
        if not controller:
            errors.append(FieldError("required with items or a subject type", field="controller"))
        else:
            errors += rules.check_controller(policy, controller)
            _authorise(principal, controller)
    if subject_type:
        errors += rules.check_subject_type(policy, subject_type)
    if items and not source:
        errors.append(FieldError("required with items", field="source"))
    if errors:
        raise InvalidInput("cannot create the person", errors=errors)
    with transaction.atomic():
        now = clock.now()
        person = Subject.objects.create(language=lang, created_at=now, updated_at=now)
        audit_log(
            "subject.create",
            object_type="subject",
            object_id=person.pk,
            subject_id=person.pk,
            payload={"language": lang, "controller": controller or "", "subject_type": subject_type or ""},
            actor=principal.actor,
        )
        if subject_type and controller:
            _relationship_set(
                person=person,
                controller=controller,
                kind=subject_type,
                given={"started_on": started_on, "ended_on": ended_on, "last_interest_on": last_interest_on},
                actor=principal.actor,
            )
        built: list[DataItem] = []
        for n, new in enumerate(items):
            try:
                built.append(
                    _build_item(
                        subject=person,
                        controller=controller or "",
                        subject_type=subject_type,
                        category=new.category,
                        value=new.value,
                        source=source or "",
                        source_detail=source_detail,
                        purposes=new.purposes,
                        collected_at=collected_at,
                        provided_by_subject=new.provided_by_subject,
                        on_behalf_of="",
                        instruction_ref="",
                        field=f"items.{n}.category",
                    )
                )
            except InvalidInput as exc:
                errors.extend(exc.errors)
        if errors:
            raise InvalidInput("cannot create the person", errors=errors)
        DataItem.objects.bulk_create(built)
        audit_many(
            AuditRecord(
                "item.add",
                object_type="data_item",
                object_id=item.pk,
                subject_id=person.pk,
                payload=_item_payload(item),
                actor=principal.actor,
            )
            for item in built
        )
    return person


def item_rectify(
    *,
    item_id: int,
    value: str,
    source: str,
    source_detail: str = "",
    collected_at: dt.datetime | None = None,
    principal: Principal,
    reason: str = "",
) -> DataItem:
    """Replace an item's value (Art. 16) with the new value's own provenance.

    The old provenance (source, detail, collected_at) and, for categories that are not sensitive, the old
    value are kept in the audit trail; a sensitive old value never is (only that it changed)."""
    policy = active_policy()
    with transaction.atomic():
        item = (
            DataItem.objects.select_for_update()
            .filter(pk=item_id, status__in=(DataItem.Status.ACTIVE, DataItem.Status.RESTRICTED))
            .first()
        )
        if item is None or not _item_visible(principal, item.pk):
            raise NotFound(f"no item {item_id} in use")
        _authorise(principal, item.controller, item.subject_id)
        person = _subject(item.subject_id, lock=True)
        errors = rules.check_source(policy, source, None)
        normalised = ""
        stored: values.Stored | None = None
        try:
            normalised, kind = values.normalise_value(policy, item.category, value)
            stored = values.store(policy, item.category, normalised, kind)
        except InvalidInput as exc:
            errors += exc.errors
        if errors or stored is None:
            raise InvalidInput("cannot rectify the item", errors=errors)
        before = _item_payload(item)
        if not item.value_sealed:
            before["value"] = item.value
        changed = normalised != values.item_value(item)
        now = clock.now()
        item.value, item.value_sealed, item.lookup = stored.value, stored.value_sealed, stored.lookup
        item.source, item.source_detail = source, source_detail[:300]
        if collected_at is not None:
            # a rectification corrects the value; the date the data were collected (which retention
            # counts from) stays what the source said unless the new value's own date is given
            item.collected_at = collected_at
        item.updated_at = now
        item.provided_by_subject = policy.sources[source].from_subject
        item.save()
        _touch(person)
        audit_log(
            "item.rectify",
            object_type="data_item",
            object_id=item.pk,
            subject_id=person.pk,
            payload={
                "before": before,
                "after": _item_payload(item),
                "value_changed": changed,
                "reason": reason,
            },
            actor=principal.actor,
        )
    return item


def relationship_set(
    *,
    subject: Subject | int,
    controller: str,
    kind: str,
    started_on: dt.date | None = _UNSET,
    ended_on: dt.date | None = _UNSET,
    last_interest_on: dt.date | None = _UNSET,
    principal: Principal,
) -> Relationship:
    """Create or update a person's standing with a controller: a contract's start and end (member,
    customer, supplier), a prospect's last interest, a newsletter subscription. Omitted dates are kept."""
    policy = active_policy()
    errors = rules.check_controller(policy, controller) + rules.check_subject_type(policy, kind, field="kind")
    given = {
        "started_on": started_on,
        "ended_on": ended_on,
        "last_interest_on": last_interest_on,
    }
    given = {k: v for k, v in given.items() if v is not _UNSET}
    if errors:
        raise InvalidInput("cannot record the relationship", errors=errors)
    _authorise(principal, controller, subject)
    with transaction.atomic():
        person = _subject(subject, lock=True)
        return _relationship_set(
            person=person, controller=controller, kind=kind, given=given, actor=principal.actor
        )


def _relationship_set(
    *, person: Subject, controller: str, kind: str, given: dict[str, Any], actor: str
) -> Relationship:
    """The change :func:`relationship_set` makes, once the caller is authorised (also used when a person
    is created, and by the consent ledger for a subscription)."""
    with transaction.atomic():
        now = clock.now()
        rel = (
            Relationship.objects.select_for_update()
            .filter(subject=person, controller=controller, kind=kind)
            .first()
        )
        before: dict[str, Any] = {}
        if rel is None:
            rel = Relationship(subject=person, controller=controller, kind=kind, created_at=now, **given)
        else:
            before = {k: getattr(rel, k) for k in given}
            for key, val in given.items():
                setattr(rel, key, val)
        if rel.started_on and rel.ended_on and rel.ended_on < rel.started_on:
            raise InvalidInput(
                "cannot record the relationship: the contract would end before it starts",
                errors=[FieldError("the contract cannot end before it starts", field="ended_on")],
            )
        rel.updated_at = now
        rel.save()
        audit_log(
            "relationship.set",
            object_type="relationship",
            object_id=rel.pk,
            subject_id=person.pk,
            payload=_plain({"controller": controller, "kind": kind, "before": before, "after": given}),
            actor=actor,
        )
    return rel


def interaction_record(
    *,
    subject: Subject | int,
    controller: str,
    kind: str,
    at: dt.datetime | None = None,
    detail: dict[str, Any] | None = None,
    principal: Principal,
) -> Interaction:
    """Something the person did with a controller (event participation, contact request, registration)."""
    errors = rules.check_controller(active_policy(), controller)
    if not kind or len(kind) > 50:
        errors.append(FieldError("a short kind is required (e.g. event, contact-request)", field="kind"))
    if errors:
        raise InvalidInput("cannot record the interaction", errors=errors)
    _authorise(principal, controller, subject)
    with transaction.atomic():
        person = _subject(subject, lock=True)
        row = Interaction.objects.create(
            subject=person, controller=controller, kind=kind, at=at or clock.now(), detail=detail or {}
        )
        audit_log(
            "interaction.record",
            object_type="interaction",
            object_id=row.pk,
            subject_id=person.pk,
            payload={"controller": controller, "kind": kind},
            actor=principal.actor,
        )
    return row


def subject_set_language(*, subject: Subject | int, language: str, principal: Principal) -> Subject:
    lang = _check_language(language)
    require_write(principal)
    require_subject(principal, subject.pk if isinstance(subject, Subject) else subject)
    with transaction.atomic():
        person = _subject(subject, lock=True)
        before = person.language
        person.language = lang
        person.updated_at = clock.now()
        person.version += 1
        person.save(update_fields=["language", "updated_at", "version"])
        audit_log(
            "subject.language",
            object_type="subject",
            object_id=person.pk,
            subject_id=person.pk,
            payload={"before": before, "after": lang},
            actor=principal.actor,
        )
    return person


def _merge_dates(keep: Relationship, dup: Relationship) -> dict[str, Any]:
    def low(a: dt.date | None, b: dt.date | None) -> dt.date | None:
        return min(d for d in (a, b) if d) if (a or b) else None

    def high(a: dt.date | None, b: dt.date | None) -> dt.date | None:
        return max(d for d in (a, b) if d) if (a or b) else None

    # a contract still running on either side is still running
    ended = (
        None
        if (keep.ended_on is None and keep.started_on) or (dup.ended_on is None and dup.started_on)
        else high(keep.ended_on, dup.ended_on)
    )
    return {
        "started_on": low(keep.started_on, dup.started_on),
        "ended_on": ended,
        "last_interest_on": high(keep.last_interest_on, dup.last_interest_on),
    }


def subject_merge(*, keep: Subject | int, duplicate: Subject | int, principal: Principal) -> Subject:
    """Merge a duplicate record into ``keep``: its items, relationships and interactions move over, the
    duplicate points to ``keep`` (``merged_into``). The audit entry lists every row moved and every
    relationship's dates before the merge, which is what it takes to undo it by hand."""
    require_write(principal)
    require_decide(principal)
    keep_id = keep.pk if isinstance(keep, Subject) else keep
    dup_id = duplicate.pk if isinstance(duplicate, Subject) else duplicate
    if keep_id == dup_id:
        raise InvalidInput("cannot merge a person into themself")
    with transaction.atomic():
        people = {s.pk: s for s in Subject.objects.select_for_update().filter(pk__in=[keep_id, dup_id])}
        if len(people) != 2:
            raise NotFound("both people must exist")
        kept, dup = people[keep_id], people[dup_id]
        for person in (kept, dup):
            if person.erased_at or person.merged_into_id:
                raise InvalidInput(f"person {person.pk} is erased or already merged")
        item_ids = list(DataItem.objects.filter(subject=dup).values_list("pk", flat=True))
        interaction_ids = list(Interaction.objects.filter(subject=dup).values_list("pk", flat=True))
        moved_rel: list[int] = []
        merged_rel: list[dict[str, Any]] = []
        existing = {(r.controller, r.kind): r for r in Relationship.objects.filter(subject=kept)}
        for rel in Relationship.objects.filter(subject=dup):
            twin = existing.get((rel.controller, rel.kind))
            if twin is None:
                moved_rel.append(rel.pk)
                continue
            dates = _merge_dates(twin, rel)
            merged_rel.append(
                {
                    "kept": twin.pk,
                    "kept_before": {k: getattr(twin, k) for k in dates},
                    "removed": {
                        "id": rel.pk,
                        "controller": rel.controller,
                        "kind": rel.kind,
                        "started_on": rel.started_on,
                        "ended_on": rel.ended_on,
                        "last_interest_on": rel.last_interest_on,
                    },
                }
            )
            Relationship.objects.filter(pk=twin.pk).update(**dates, updated_at=clock.now())
            rel.delete()
        DataItem.objects.filter(pk__in=item_ids).update(subject=kept, updated_at=clock.now())
        Interaction.objects.filter(pk__in=interaction_ids).update(subject=kept)
        Relationship.objects.filter(pk__in=moved_rel).update(subject=kept, updated_at=clock.now())
        now = clock.now()
        Subject.objects.filter(pk=dup.pk).update(merged_into=kept, updated_at=now, version=F("version") + 1)
        Subject.objects.filter(pk=kept.pk).update(updated_at=now, version=F("version") + 1)
        # every other register follows: consents, requests, holds, disclosures … (tutela.core.lifecycle)
        elsewhere = lifecycle.merge_people(keep_id=kept.pk, duplicate_id=dup.pk, principal=principal)
        payload = {
            "keep": kept.pk,
            "duplicate": dup.pk,
            "duplicate_language": dup.language,
            "items_moved": item_ids,
            "interactions_moved": interaction_ids,
            "relationships_moved": moved_rel,
            "relationships_merged": merged_rel,
            "moved_elsewhere": elsewhere,
        }
        audit_many(
            [
                AuditRecord("subject.merge", "subject", kept.pk, kept.pk, _plain(payload), principal.actor),
                AuditRecord(
                    "subject.merged_into",
                    "subject",
                    dup.pk,
                    dup.pk,
                    {"keep": kept.pk, "duplicate": dup.pk},
                    principal.actor,
                ),
            ]
        )
        kept.refresh_from_db()
    return kept
