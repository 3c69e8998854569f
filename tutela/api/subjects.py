"""API routes for the register: people and their items.

Every route is scoped by the caller's principal (``tutela.subjects.scoping``): a person outside the
caller's view answers 404, exactly like one that does not exist. Every read of personal data is written to
the audit trail with who read, whom, and the ``purpose`` query parameter.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tutela.accounts.principal import Principal
from tutela.api.auth import principal
from tutela.core.errors import FieldError, InvalidInput, NotFound, PermissionDenied
from tutela.policy.selectors import active_policy
from tutela.subjects import services
from tutela.subjects.models import DataItem, Relationship, Subject
from tutela.subjects.reading import subject_read, subjects_read_logged
from tutela.subjects.scoping import can_see_subject, visible_items, visible_subjects
from tutela.subjects.selectors import display_name, item_dict, relationship_dict, resolve_identifier

router = Router(tags=["subjects"])

MAX_LIMIT = 200
#: the largest offset a list accepts: beyond it the database's integers overflow long before any data
MAX_OFFSET = 1_000_000_000


class ItemIn(Schema):
    category: str = Field(description="category key of the policy, e.g. user.contact.email")
    value: str
    purposes: list[str] | None = Field(default=None, description="default: every purpose that may use it")


class SubjectIn(Schema):
    controller: str
    subject_type: str
    source: str
    source_detail: str = ""
    language: str = "en"
    collected_at: dt.datetime | None = None
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    last_interest_on: dt.date | None = None
    items: list[ItemIn] = []


class ItemAddIn(Schema):
    controller: str
    category: str
    value: str
    source: str
    source_detail: str = ""
    subject_type: str | None = None
    purposes: list[str] | None = None
    collected_at: dt.datetime | None = None


class RectifyIn(Schema):
    value: str
    source: str
    source_detail: str = ""
    collected_at: dt.datetime | None = None
    reason: str = ""


class SubjectPatch(Schema):
    language: str


class ItemOut(Schema):
    id: int
    category: str
    value: str
    sensitive: bool
    controller: str
    source: str
    source_detail: str
    collected_at: str | None
    purposes: list[str]
    status: str
    provided_by_subject: bool
    on_behalf_of: str
    updated_at: str


class RelationshipOut(Schema):
    controller: str
    kind: str
    started_on: str | None
    ended_on: str | None
    last_interest_on: str | None


class SubjectOut(Schema):
    id: int
    public_id: str
    language: str
    name: str
    relationships: list[RelationshipOut]
    items: list[ItemOut]
    consents: list[dict[str, Any]] = []
    requests: list[dict[str, Any]] = []


class SubjectPage(Schema):
    count: int
    limit: int
    offset: int
    results: list[SubjectOut]


class ListFilters(Schema):
    q: str | None = Field(default=None, description="an identifier: e-mail, phone, national number, id …")
    name: str | None = Field(default=None, description="part of a name (case-insensitive)")
    controller: str | None = None
    subject_type: str | None = None
    category: str | None = Field(default=None, description="people holding an item of this category")
    purpose: str = Field(default="", description="why you read these people (recorded in the audit trail)")
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET, description="rows to skip (at most a billion)")


def _purpose(purpose: str) -> str:
    purpose = (purpose or "").strip()
    if purpose and purpose not in active_policy().purposes:
        raise InvalidInput(
            f"purpose {purpose!r} is not in the active policy",
            errors=[FieldError("unknown purpose key", field="purpose")],
        )
    return purpose


def _subject_id(p: Principal, ref: str) -> int:
    """The id behind a path reference (numeric id or public id), 404 when outside the caller's view."""
    from tutela.core.ids import is_ascii_number, parse_id

    subject_id: int | None = None
    if is_ascii_number(ref):
        subject_id = parse_id(ref)
    else:
        try:
            subject_id = Subject.objects.filter(public_id=uuid.UUID(ref)).values_list("pk", flat=True).first()
        except ValueError:
            subject_id = None
    if subject_id is None or not can_see_subject(p, subject_id):
        raise NotFound("no such person")
    return subject_id


def _read(request: HttpRequest, subject_id: int, purpose: str, reveal: bool = False) -> dict[str, Any]:
    return subject_read(
        principal(request), subject_id, purpose=_purpose(purpose), channel="api", reveal=reveal
    )


@router.get("/", response=SubjectPage, summary="List and search people (paginated, scoped, audited)")
def list_subjects(request: HttpRequest, filters: Query[ListFilters]) -> dict[str, Any]:
    p = principal(request)
    purpose = _purpose(filters.purpose)
    people = visible_subjects(p)
    if filters.q:
        found = resolve_identifier(filters.q)
        people = people.filter(pk=found.pk if found else -1)
    items = visible_items(p)
    if filters.name:
        words = [w for w in filters.name.split() if w]
        for word in words:
            people = people.filter(
                pk__in=items.filter(category__startswith="user.name", value__icontains=word).values(
                    "subject_id"
                )
            )
    if filters.category:
        cat = filters.category
        people = people.filter(
            pk__in=items.filter(Q(category=cat) | Q(category__startswith=cat + ".")).values("subject_id")
        )
    if filters.controller or filters.subject_type:
        rels = Relationship.objects.all()
        if filters.controller:
            rels = rels.filter(controller=filters.controller)
        if filters.subject_type:
            rels = rels.filter(kind=filters.subject_type)
        people = people.filter(pk__in=rels.values("subject_id"))
    count = people.count()
    page = list(people.order_by("pk")[filters.offset : filters.offset + filters.limit])
    ids = [s.pk for s in page]
    by_subject: dict[int, list[DataItem]] = {sid: [] for sid in ids}
    for item in items.filter(subject_id__in=ids).order_by("category", "pk"):
        by_subject[item.subject_id].append(item)
    rels_of: dict[int, list[dict[str, Any]]] = {sid: [] for sid in ids}
    rel_qs = Relationship.objects.filter(subject_id__in=ids).order_by("controller", "kind")
    if not p.is_group_wide:
        rel_qs = rel_qs.filter(controller=p.controller)
    for rel in rel_qs:
        rels_of[rel.subject_id].append(relationship_dict(rel))
    subjects_read_logged(p, ids, purpose=purpose, channel="api:list")
    results = [
        {
            "id": s.pk,
            "public_id": str(s.public_id),
            "language": s.language,
            "name": display_name(by_subject[s.pk]),
            "relationships": rels_of[s.pk],
            "items": [item_dict(i) for i in by_subject[s.pk]],
        }
        for s in page
    ]
    return {"count": count, "limit": filters.limit, "offset": filters.offset, "results": results}


@router.get("/search", response=SubjectOut, summary="Find one person by an identifier (audited)")
def search(request: HttpRequest, identifier: str, purpose: str = "") -> dict[str, Any]:
    found = resolve_identifier(identifier)
    if found is None or not can_see_subject(principal(request), found.pk):
        raise NotFound("nobody in your view matches that identifier")
    return _read(request, found.pk, purpose)


@router.post("/", response={201: SubjectOut}, summary="Create a person with items and a relationship")
def create(request: HttpRequest, payload: SubjectIn) -> Status:
    p = principal(request)
    person = services.subject_create(
        language=payload.language,
        controller=payload.controller,
        subject_type=payload.subject_type,
        source=payload.source,
        source_detail=payload.source_detail,
        items=[services.NewItem(i.category, i.value, i.purposes) for i in payload.items],
        collected_at=payload.collected_at,
        started_on=payload.started_on,
        ended_on=payload.ended_on,
        last_interest_on=payload.last_interest_on,
        principal=p,
    )
    return Status(201, _read(request, person.pk, ""))


@router.get("/{ref}", response=SubjectOut, summary="What is held about a person (audited read)")
def read(request: HttpRequest, ref: str, purpose: str = "", reveal: bool = False) -> dict[str, Any]:
    return _read(request, _subject_id(principal(request), ref), purpose, reveal)


@router.patch("/{ref}", response=SubjectOut, summary="Change the person's language")
def patch(request: HttpRequest, ref: str, payload: SubjectPatch) -> dict[str, Any]:
    p = principal(request)
    subject_id = _subject_id(p, ref)
    services.subject_set_language(subject=subject_id, language=payload.language, principal=p)
    return _read(request, subject_id, "")


@router.post("/{ref}/items", response={201: ItemOut}, summary="Add an item with its provenance")
def add_item(request: HttpRequest, ref: str, payload: ItemAddIn) -> Status:
    p = principal(request)
    subject_id = _subject_id(p, ref)
    item = services.item_add(
        subject=subject_id,
        controller=payload.controller,
        category=payload.category,
        value=payload.value,
        source=payload.source,
        source_detail=payload.source_detail,
        subject_type=payload.subject_type,
        purposes=payload.purposes,
        collected_at=payload.collected_at,
        principal=p,
    )
    return Status(201, item_dict(item))


@router.patch(
    "/{ref}/items/{item_id}", response=ItemOut, summary="Rectify an item (Art. 16), with provenance"
)
def rectify(request: HttpRequest, ref: str, item_id: int, payload: RectifyIn) -> dict[str, Any]:
    p = principal(request)
    subject_id = _subject_id(p, ref)
    if not visible_items(p).filter(pk=item_id, subject_id=subject_id).exists():
        raise NotFound("no such item")
    if not p.can_write:
        raise PermissionDenied(f"role {p.role!r} is read-only")
    item = services.item_rectify(
        item_id=item_id,
        value=payload.value,
        source=payload.source,
        source_detail=payload.source_detail,
        collected_at=payload.collected_at,
        reason=payload.reason,
        principal=p,
    )
    return item_dict(item)
