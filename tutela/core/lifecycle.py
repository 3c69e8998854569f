"""The lifecycle contract: every app that holds data about a person says what becomes of it.

Each app registers one :class:`Owner` from its ``AppConfig.ready()`` (``lifecycle.register(Owner(...))``):

* ``registers`` — every model field that points at a person (a foreign key to ``subjects.Subject`` or
  ``subjects.DataItem``, or a plain ``subject_id``/``item_id`` column) and what erasing the person (or the
  item) does to its rows: :attr:`Erase.DELETE` (the rows go), :attr:`Erase.DETACH` (the reference is set to
  NULL), :attr:`Erase.REDACT` (the rows stay with their personal content blanked) or :attr:`Erase.KEEP`
  (kept, pseudonymised, as proof — the row keeps pointing at the bare person row or at the former item id,
  which hold no personal data), each with the reason in words;
* ``export`` — sections of what is held about the person (the access package, ``subject show``): a
  function ``(subject_id, *, principal) -> list[dict]`` per section name;
* ``merge`` — ``(keep_id=…, duplicate_id=…, principal=…) -> dict[str, int]``: moves the app's rows from a
  duplicate record to the kept one (consents, requests, holds, disclosures …);
* ``erase`` — optional ``(subject_ids, *, principal) -> dict[str, int]`` for an app whose erasure needs more
  than its statements (an audit entry of its own); by default the statements are applied set-based.

Erasure of a person (``tutela.rights.erasure``), the retention sweep (``tutela.retention.sweep``), the merge
(``tutela.subjects.services.subject_merge``) and the access package iterate this registry, with plain imports.
``manage.py check`` reports ``tutela.E001`` for a model that points at a person and has no register here.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core import checks
from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL

from tutela.accounts.principal import Principal


class Erase(enum.StrEnum):
    """What erasing a person (or an item) does to a register's rows."""

    DELETE = "deleted"
    DETACH = "detached"
    REDACT = "redacted"
    KEEP = "kept pseudonymised as proof"


PERSON = "person"
ITEM = "item"

#: plain (not foreign-key) columns that name a person or an item by id
_PERSON_COLUMNS = ("subject_id", "subject_ref")
_ITEM_COLUMNS = ("item_id", "item_ref")


@dataclass(frozen=True)
class Register:
    """One model field that points at a person or an item, and what erasure does to its rows."""

    model: type[models.Model]
    field: str
    on_erase: Erase
    why: str
    #: ``Erase.REDACT``: the values written over the personal content (``{"details": {}, "subject": None}``)
    redact: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field}"

    @property
    def points_at(self) -> str:
        """``person`` or ``item``."""
        f = self.model._meta.get_field(self.field)
        if f.is_relation and f.related_model is not None:
            return ITEM if f.related_model._meta.label == "subjects.DataItem" else PERSON
        return ITEM if self.field in _ITEM_COLUMNS else PERSON

    @property
    def is_foreign_key(self) -> bool:
        return bool(self.model._meta.get_field(self.field).is_relation)

    @property
    def column(self) -> str:
        f = self.model._meta.get_field(self.field)
        return str(getattr(f, "attname", self.field))

    def rows(self, ids: Sequence[int]) -> models.QuerySet[Any]:
        return self.model._base_manager.filter(in_ids(self.column, ids))

    def keeps_reference(self) -> bool:
        """After erasure the rows still point at the person row (which must then stay, bare)."""
        if self.on_erase is Erase.KEEP:
            return True
        if self.on_erase is Erase.REDACT:
            return self.redact.get(self.field, self.redact.get(self.column, _SAME)) is not None
        return False

    def apply(self, ids: Sequence[int]) -> int:
        """Do to the rows of ``ids`` what this register states; returns how many rows it touched."""
        if not ids:
            return 0
        rows = self.rows(ids)
        if self.on_erase is Erase.DELETE:
            deleted, _ = rows.delete()
            return int(deleted)
        if self.on_erase is Erase.DETACH:
            return int(rows.update(**{self.field: None}))
        if self.on_erase is Erase.REDACT:
            return int(rows.update(**self.redact)) if self.redact else 0
        return 0

    def move(self, *, keep_id: int, duplicate_id: int) -> int:
        """Point the duplicate's rows at the kept record (the default merge of a person register)."""
        return int(self.rows([duplicate_id]).update(**{self.column: keep_id}))


_SAME = object()

Exporter = Callable[..., list[dict[str, Any]]]
Merger = Callable[..., dict[str, int]]
Eraser = Callable[..., dict[str, int]]


@dataclass(frozen=True)
class Owner:
    """What one app holds about people and how each lifecycle step treats it."""

    app: str
    registers: tuple[Register, ...] = ()
    export: dict[str, Exporter] = field(default_factory=dict)
    merge: Merger | None = None
    erase: Eraser | None = None


_OWNERS: dict[str, Owner] = {}


def register(owner: Owner) -> None:
    """Register (or replace: ``ready()`` may run twice in tests) an app's lifecycle handlers."""
    _OWNERS[owner.app] = owner


def owners() -> list[Owner]:
    """Every registered owner, in the order of ``INSTALLED_APPS``."""
    order = {c.label: n for n, c in enumerate(apps.get_app_configs())}
    return sorted(_OWNERS.values(), key=lambda o: (order.get(o.app, len(order)), o.app))


def registers(*, points_at: str | None = None) -> list[Register]:
    out = [r for o in owners() for r in o.registers]
    return [r for r in out if points_at is None or r.points_at == points_at]


def register_of(model: type[models.Model], field_name: str) -> Register | None:
    return next((r for r in registers() if r.model is model and r.field == field_name), None)


def in_ids(column: str, ids: Iterable[Any]) -> Q:
    """``column IN ids``; on PostgreSQL one array parameter (``= ANY``), not thousands of them."""
    values = sorted(set(ids))
    if connection.vendor == "postgresql" and all(type(v) is int for v in values):
        return Q(**{f"{column}__in": RawSQL("SELECT unnest(%s::bigint[])", (values,))})
    return Q(**{f"{column}__in": values})


# ---------------------------------------------------------------- erasure
def with_duplicates(subject_ids: Iterable[int]) -> list[int]:
    """The people and every record merged into them (a merge leaves the duplicate's id in some registers:
    the audit trail, former holds): erasing a person erases what is left under their duplicates too."""
    from tutela.subjects.models import Subject

    found = set(subject_ids)
    frontier = set(found)
    for _ in range(20):  # merges chain rarely; bounded anyway
        more = set(
            Subject._base_manager.filter(in_ids("merged_into_id", frontier)).values_list("id", flat=True)
        )
        frontier = more - found
        if not frontier:
            break
        found |= frontier
    return sorted(found)


@dataclass
class PeopleErased:
    """What :func:`erase_people` did: rows per register, and which person rows must stay (bare)."""

    counts: dict[str, int] = field(default_factory=dict)
    #: person ids still referenced by a register that keeps its rows as proof (the row stays, bare)
    referenced: set[int] = field(default_factory=set)


def erase_people(
    subject_ids: Sequence[int], *, principal: Principal, skip: Iterable[str] = ()
) -> PeopleErased:
    """Apply every person register (but those of the apps in ``skip``) to these people, set-based.

    The items themselves are the caller's (erasure decides them item by item, the sweep by rule); the person
    rows too: the result says which are still referenced by a register that keeps proof of them."""
    result = PeopleErased()
    if not subject_ids:
        return result
    ids = list(subject_ids)
    skipped = set(skip)
    # the audit trail last: what the other registers' handlers write about the person is redacted too
    for owner in sorted(owners(), key=lambda o: o.app == "core"):
        if owner.app in skipped:
            continue
        if owner.erase is not None:
            for key, n in owner.erase(ids, principal=principal).items():
                result.counts[f"{owner.app}.{key}"] = n
            continue
        for reg in owner.registers:
            if reg.points_at == PERSON and reg.model._meta.label != "subjects.DataItem":
                result.counts[reg.label] = reg.apply(ids)
    for reg in registers(points_at=PERSON):
        if reg.is_foreign_key and reg.keeps_reference():
            result.referenced.update(reg.rows(ids).values_list(reg.column, flat=True).distinct())
    return result


def erase_items(item_ids: Sequence[int]) -> dict[str, int]:
    """Apply every item register to rows pointing at these (deleted) items, set-based."""
    return {reg.label: reg.apply(item_ids) for reg in registers(points_at=ITEM) if item_ids}


# ---------------------------------------------------------------- merge and export
def merge_people(*, keep_id: int, duplicate_id: int, principal: Principal) -> dict[str, dict[str, int]]:
    """Every app moves its rows from the duplicate to the kept record (inside the merge's transaction)."""
    out: dict[str, dict[str, int]] = {}
    for owner in owners():
        if owner.merge is not None:
            moved = owner.merge(keep_id=keep_id, duplicate_id=duplicate_id, principal=principal)
            if any(moved.values()):
                out[owner.app] = dict(moved)
    return out


def export_subject(
    subject_id: int, *, principal: Principal, sections: Iterable[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """What each app holds about the person, section by section, as ``principal`` may see it.

    ``sections`` limits it to some sections (``("consents", "requests")``); every registered section by
    default. The caller checks that the principal may see the person at all."""
    wanted = set(sections) if sections is not None else None
    out: dict[str, list[dict[str, Any]]] = {}
    for owner in owners():
        for name, fn in owner.export.items():
            if wanted is None or name in wanted:
                out[name] = list(fn(subject_id, principal=principal))
    return out


def erasure_statements() -> list[dict[str, str]]:
    """Each register and what erasure does to it, in words (``docs/retention.md``, the dashboard)."""
    return [
        {
            "owner": o.app,
            "register": r.label,
            "points_at": r.points_at,
            "on_erase": str(r.on_erase),
            "why": r.why,
        }
        for o in owners()
        for r in o.registers
    ]


# ---------------------------------------------------------------- the system check
def person_fields(model: type[models.Model]) -> list[str]:
    """The fields of ``model`` that point at a person or an item."""
    out = []
    for f in model._meta.concrete_fields:
        related = getattr(f, "related_model", None)
        if f.is_relation and related is not None:
            # a lazy reference not resolved yet is still a string ("subjects.Subject")
            label = related if isinstance(related, str) else related._meta.label
            if label.lower() in ("subjects.subject", "subjects.dataitem"):
                out.append(f.name)
        elif f.name in _PERSON_COLUMNS + _ITEM_COLUMNS:
            out.append(f.name)
    return out


def check_owners(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``tutela.E001``: a model that points at a person with no lifecycle register; ``E002``: a register
    naming a field that does not exist."""
    errors: list[checks.CheckMessage] = []
    known = {(r.model._meta.label, r.field) for r in registers()}
    for model in kwargs.get("models") or apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for name in person_fields(model):
            if (model._meta.label, name) not in known:
                errors.append(
                    checks.Error(
                        f"{model._meta.label}.{name} points at a person but no app registers what erasure, "
                        "merge and export do with it",
                        hint="add a lifecycle.Register for it in the owning app's lifecycle registration "
                        "(see tutela/core/lifecycle.py)",
                        obj=model,
                        id="tutela.E001",
                    )
                )
    for reg in registers():
        try:
            reg.model._meta.get_field(reg.field)
        except Exception:  # any lookup failure is the same mistake
            errors.append(
                checks.Error(
                    f"lifecycle register {reg.label}: no such field", obj=reg.model, id="tutela.E002"
                )
            )
    return errors
