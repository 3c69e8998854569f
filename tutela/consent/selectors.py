"""Reads of the consent ledger, objections and suppression list, and the facts a purpose check needs.

Everything here is set-based: facts for one person or for ten thousand come from the same six indexed
queries (person, relationships, items, consent events, objections, suppression entries).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Q

from tutela.accounts.permissions import controller_scope, may_decide, require_in_scope
from tutela.accounts.principal import Principal
from tutela.consent.models import ConsentEvent, Objection
from tutela.consent.rules import ConsentFact, ItemFact, ObjectionFact, PurposeFacts, RelationshipFact
from tutela.core import clock
from tutela.core.clock import BRUSSELS
from tutela.core.errors import PermissionDenied
from tutela.subjects.models import DataItem, Relationship, Subject

#: identifier kinds kept on the suppression list
SUPPRESSION_KINDS = ("email", "phone")


def _chunks(values: Sequence[Any], size: int = 5000) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _in(column: str, values: Sequence[Any]) -> Q:
    """``column IN values``; on PostgreSQL long lists go through ``= ANY(array)`` (one parameter)."""
    return Q(**{f"{column}__in": values})


def lookups_present(values: Sequence[str]) -> dict[str, list[int]]:
    """Which blind indexes are in the register, and whose (not erased) items carry them."""
    found: dict[str, list[int]] = defaultdict(list)
    if not values:
        return found
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT DISTINCT lookup, subject_id FROM tutela_data_item WHERE lookup = ANY(%s) AND status <> %s",
                [list(values), DataItem.Status.ERASED],
            )
            for lookup, subject_id in cur.fetchall():
                found[lookup].append(subject_id)
        return found
    with connection.cursor() as cur:
        for chunk in _chunks(values):
            marks = ",".join(["%s"] * len(chunk))
            cur.execute(
                f"SELECT DISTINCT lookup, subject_id FROM tutela_data_item WHERE lookup IN ({marks}) AND status <> %s",  # noqa: S608 - placeholders only
                [*chunk, DataItem.Status.ERASED],
            )
            for lookup, subject_id in cur.fetchall():
                if lookup:
                    found[lookup].append(subject_id)
    return found


def suppressed_lookups(
    lookups: Sequence[str], purpose: str, controller: str | None = None
) -> dict[str, dt.datetime]:
    """The given blind indexes that are on the suppression list for the purpose (and controller), with the
    date each was added (the latest entry when several apply)."""
    out: dict[str, dt.datetime] = {}
    if not lookups:
        return out
    controllers = ["", controller] if controller else None
    if connection.vendor == "postgresql":
        sql = "SELECT lookup, created_at FROM tutela_suppression WHERE lookup = ANY(%s) AND purpose = %s"
        params: list[Any] = [list(lookups), purpose]
        if controllers:
            sql += " AND controller = ANY(%s)"
            params.append(controllers)
        with connection.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
    else:
        rows = []
        with connection.cursor() as cur:
            for chunk in _chunks(lookups):
                marks = ",".join(["%s"] * len(chunk))
                sql = f"SELECT lookup, created_at FROM tutela_suppression WHERE lookup IN ({marks}) AND purpose = %s"  # noqa: S608
                args: list[Any] = [*chunk, purpose]
                if controllers:
                    sql += " AND controller IN (%s, %s)"
                    args += controllers
                cur.execute(sql, args)
                rows.extend(cur.fetchall())
    for lookup, raw_created in rows:
        created = _aware(raw_created)
        if lookup not in out or created > out[lookup]:
            out[lookup] = created
    return out


def _aware(value: Any) -> dt.datetime:
    """A timestamp from a raw query (SQLite gives text or naive UTC values) as an aware datetime."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def is_suppressed(lookups: Sequence[str], purpose: str, controller: str | None = None) -> bool:
    """Is any of these identifiers (blind indexes of normalised e-mails or phones) suppressed for the purpose?"""
    return bool(suppressed_lookups(list(lookups), purpose, controller))


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.astimezone(BRUSSELS).date() if value is not None else None


def gather_facts(
    subject_ids: Sequence[int],
    purpose: str,
    controller: str | None = None,
    *,
    today: dt.date | None = None,
) -> dict[int, PurposeFacts]:
    """Facts for a purpose check of many people at once (six queries, whatever the number of people)."""
    ids = list(dict.fromkeys(subject_ids))
    today = today or clock.today()
    if not ids:
        return {}
    subjects = dict(Subject.objects.filter(id__in=ids).values_list("id", "erased_at"))
    rels: dict[int, list[RelationshipFact]] = defaultdict(list)
    for sid, ctrl, kind, start, end, interest in Relationship.objects.filter(subject_id__in=ids).values_list(
        "subject_id", "controller", "kind", "started_on", "ended_on", "last_interest_on"
    ):
        rels[sid].append(RelationshipFact(ctrl, kind, start, end, interest))
    items: dict[int, list[ItemFact]] = defaultdict(list)
    lookups: dict[str, set[int]] = defaultdict(set)
    for sid, ctrl, category, status, collected, received, lookup in DataItem.objects.filter(
        subject_id__in=ids
    ).values_list("subject_id", "controller", "category", "status", "collected_at", "created_at", "lookup"):
        items[sid].append(ItemFact(ctrl, category, status, _day(collected), _day(received)))
        if lookup and status != DataItem.Status.ERASED:
            lookups[lookup].add(sid)
    consents: dict[int, list[ConsentFact]] = defaultdict(list)
    for sid, ctrl, kind, at, seq, version in ConsentEvent.objects.filter(
        subject_id__in=ids, purpose=purpose
    ).values_list("subject_id", "controller", "kind", "at", "id", "policy_version"):
        consents[sid].append(ConsentFact(ctrl, kind, at, seq, version))
    objections: dict[int, list[ObjectionFact]] = defaultdict(list)
    for sid, ctrl, status, received, absolute in Objection.objects.filter(
        subject_id__in=ids, purpose=purpose
    ).values_list("subject_id", "controller", "status", "received_at", "absolute"):
        objections[sid].append(ObjectionFact(ctrl, status, received, absolute))
    suppressed: dict[int, dt.datetime] = {}
    for lookup, created in suppressed_lookups(list(lookups), purpose, controller).items():
        for sid in lookups[lookup]:
            if sid not in suppressed or created > suppressed[sid]:
                suppressed[sid] = created
    out: dict[int, PurposeFacts] = {}
    for sid in ids:
        out[sid] = PurposeFacts(
            purpose=purpose,
            controller=controller,
            today=today,
            known=sid in subjects,
            erased_at=subjects.get(sid),
            relationships=tuple(rels.get(sid, ())),
            items=tuple(items.get(sid, ())),
            consents=tuple(consents.get(sid, ())),
            objections=tuple(objections.get(sid, ())),
            suppressed_at=suppressed.get(sid),
        )
    return out


def unknown_facts(
    purpose: str, controller: str | None, suppressed_at: dt.datetime | None, today: dt.date | None = None
) -> PurposeFacts:
    """Facts for an identifier no one in the register carries (only the suppression list can speak)."""
    return PurposeFacts(
        purpose=purpose,
        controller=controller,
        today=today or clock.today(),
        known=False,
        suppressed_at=suppressed_at,
    )


def _event_dict(e: ConsentEvent) -> dict[str, Any]:
    return {
        "type": "consent",
        "id": e.pk,
        "purpose": e.purpose,
        "controller": e.controller,
        "event": e.kind,
        "at": e.at.isoformat(),
        "channel": e.channel,
        "policy_version": e.policy_version,
        "wording": e.wording,
        "wording_sha256": e.wording_sha256,
        "page": e.page,
        "request_hash": e.request_hash,
        "evidence": e.evidence,
        "topics": list(e.topics or []),
        "recorded_by": e.recorded_by,
    }


def _objection_dict(o: Objection) -> dict[str, Any]:
    return {
        "type": "objection",
        "id": o.pk,
        "purpose": o.purpose,
        "controller": o.controller,
        "event": f"objection-{o.status}",
        "at": o.received_at.isoformat(),
        "absolute": o.absolute,
        "reasons": o.reasons,
        "request_ref": o.request_ref,
        "decided_at": o.decided_at.isoformat() if o.decided_at else None,
        "decided_by": o.decided_by,
        "balancing": o.balancing,
    }


def consents_of_subject(
    subject_id: int, *, principal: Principal, controller: str | None = None
) -> list[dict[str, Any]]:
    """The person's consent history (with proof) and objections, oldest first, for the record and the
    access package. Each entry has ``type`` (consent | objection), ``purpose``, ``controller``, ``event``
    (given | withdrawn | expired | objection-upheld | objection-pending | objection-rejected) and ``at``.

    Scoped to ``principal``: NotFound for a person outside its scope; an entity's staff see only their
    entity's entries and those addressed to both (controller ""), never the other entity's evidence.
    With ``controller``, only that controller's entries (and those for both) as well."""
    require_in_scope(principal, subject_id)
    events = ConsentEvent.objects.filter(subject_id=subject_id)
    objections = Objection.objects.filter(subject_id=subject_id)
    for scope in (controller_scope(principal), controller):
        if scope is not None:
            events = events.filter(controller__in=["", scope])
            objections = objections.filter(controller__in=["", scope])
    entries = [_event_dict(e) for e in events.order_by("at", "id")]
    entries += [_objection_dict(o) for o in objections.order_by("received_at")]
    entries.sort(key=lambda e: (e["at"], e["type"], e["id"]))
    return entries


def _latest(events: Iterable[ConsentEvent]) -> ConsentEvent | None:
    best = None
    for e in events:
        if best is None or (e.at, e.pk) > (best.at, best.pk):
            best = e
    return best


def current_consent(subject_id: int, purpose: str, controller: str | None = None) -> dict[str, Any] | None:
    """The latest consent event for the person, purpose and controller (events for every controller count
    for each), or None if the person never consented. ``state`` is given, withdrawn or expired."""
    qs = ConsentEvent.objects.filter(subject_id=subject_id, purpose=purpose)
    if controller:
        qs = qs.filter(controller__in=["", controller])
    latest = qs.order_by("-at", "-id").first()
    if latest is None:
        return None
    return {**_event_dict(latest), "state": latest.kind}


def current_consents(
    subject_ids: Sequence[int], purpose: str, controller: str | None = None
) -> dict[int, str | None]:
    """Current state (given, withdrawn, expired or None) for many people in one query."""
    qs = ConsentEvent.objects.filter(subject_id__in=list(subject_ids), purpose=purpose)
    if controller:
        qs = qs.filter(controller__in=["", controller])
    latest: dict[int, tuple[dt.datetime, int, str]] = {}
    for sid, at, pk, kind in qs.values_list("subject_id", "at", "id", "kind"):
        if sid not in latest or (at, pk) > latest[sid][:2]:
            latest[sid] = (at, pk, kind)
    return {sid: (latest[sid][2] if sid in latest else None) for sid in subject_ids}


def subject_lookups(subject_id: int, kinds: Sequence[str] = SUPPRESSION_KINDS) -> list[tuple[str, str]]:
    """(kind, blind index) of the person's e-mail addresses and phone numbers, from the register.

    The kind is read from the policy's category declarations (``identifier: email|phone``)."""
    from tutela.policy.selectors import active_policy

    policy = active_policy()
    out: list[tuple[str, str]] = []
    for category, lookup in (
        DataItem.objects.filter(subject_id=subject_id, lookup__isnull=False)
        .values_list("category", "lookup")
        .distinct()
    ):
        declared = policy.category(category)
        kind = declared.identifier if declared else None
        if kind is not None and kind in kinds and lookup:
            out.append((kind, lookup))
    return out


def objections_pending(*, principal: Principal) -> list[dict[str, Any]]:
    """Objections waiting for the DPO's decision, oldest first (for the DPO and privacy officers)."""
    if not may_decide(principal):
        raise PermissionDenied("only the DPO or a privacy officer sees pending objections")
    return [
        {**_objection_dict(o), "subject_id": o.subject_id}
        for o in Objection.objects.filter(status=Objection.Status.PENDING).order_by("received_at")
    ]


def identifier_lookups(identifier: str) -> list[tuple[str, str]]:
    """The (kind, blind index) of an identifier that is an e-mail address or phone number (what the
    suppression list is keyed by); empty for other identifiers. Raises ``InvalidInput`` for an empty
    identifier or a malformed e-mail address."""
    import re

    from tutela.consent.contacts import normalise_contact
    from tutela.core.crypto import blind_index
    from tutela.core.errors import FieldError, InvalidInput

    raw = (identifier or "").strip()
    if not raw:
        raise InvalidInput("an identifier is required", errors=[FieldError("empty", field="identifier")])
    if "@" in raw:
        found = normalise_contact(raw)
        if found is None:
            raise InvalidInput(
                f"{raw!r} is not a valid e-mail address",
                errors=[FieldError("not a valid e-mail address", field="identifier")],
            )
        return [(found[0], blind_index(found[0], found[1]))]
    if re.fullmatch(r"[+0-9()\s./\-]{6,}", raw) and (
        raw.startswith(("+", "0")) or len(re.sub(r"\D", "", raw)) > 10
    ):
        found = normalise_contact(raw)
        if found is not None:
            return [(found[0], blind_index(found[0], found[1]))]
    return []


def first_live_subject(subject_ids: Sequence[int]) -> int | None:
    """The lowest id among these people that is neither erased nor merged into another record."""
    if not subject_ids:
        return None
    return (
        Subject.objects.filter(id__in=list(subject_ids), erased_at__isnull=True, merged_into__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )


def resolve(identifier: str) -> tuple[int | None, list[tuple[str, str]]]:
    """The person an identifier designates (or None) and the identifier's own (kind, blind index) pairs
    (see ``identifier_lookups``).

    IDENTIFIER is anything the register's ``resolve_identifier`` understands (e-mail, phone, national
    number, IBAN, id, public id, "name date-of-birth")."""
    from tutela.subjects.selectors import resolve_identifier

    lookups = identifier_lookups(identifier)
    person = resolve_identifier(identifier.strip())
    return (person.pk if person is not None else None), lookups


def newsletter_topics(language: str | None = None) -> list[tuple[str, str]]:
    """(key, name) of the newsletter topics on offer (see ``tutela.consent.newsletter``)."""
    from tutela.consent.newsletter import newsletter_topics as topics

    return topics(language)


def newsletter_preferences(*, token: str) -> list[str]:
    """The topics chosen in the subscription a preferences link designates."""
    from tutela.consent.newsletter import newsletter_preferences as prefs

    return prefs(token=token)
