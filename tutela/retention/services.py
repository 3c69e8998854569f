"""Retention's state changes: legal holds, opening the archive, scheduling the daily sweep."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from tutela.accounts.permissions import controller_scope, may_decide, require_archive, require_write
from tutela.accounts.principal import Principal
from tutela.core import clock, crypto
from tutela.core.audit import audit_log
from tutela.core.errors import FieldError, InvalidInput, NotFound, PermissionDenied, Refused
from tutela.retention.models import LegalHold, LegalHoldItem
from tutela.subjects.models import DataItem, Subject

#: the legal grounds on which archived data may be opened (policy §8)
ARCHIVE_GROUNDS = {
    "court": "proof in court",
    "authority": "control by an authority",
    "production": "production of documents",
}


def legal_hold_place(
    *,
    subject_id: int | None = None,
    item_ids: list[int] | None = None,
    case_ref: str,
    reason: str,
    camera: str | None = None,
    window_start: dt.datetime | None = None,
    window_end: dt.datetime | None = None,
    principal: Principal,
) -> LegalHold:
    """Place a hold on a person, on items, or on a camera's recordings (optionally within a time window).

    Legal holds are the DPO's register (docs/decisions/0011): placed and released by the DPO or a privacy
    officer, seen by group-wide roles only."""
    _may_hold(principal)
    errors = []
    case_ref = (case_ref or "").strip()
    reason = (reason or "").strip()
    camera = (camera or "").strip()
    item_ids = sorted(set(item_ids or []))
    if not case_ref:
        errors.append(FieldError("name the case the hold is for", field="case_ref"))
    if not reason:
        errors.append(FieldError("say why the data must be kept", field="reason"))
    if subject_id is None and not item_ids and not camera:
        errors.append(FieldError("a hold names a person, items or a camera", field="subject_id"))
    if (window_start or window_end) and not camera:
        errors.append(FieldError("a time window needs a camera", field="camera"))
    if window_start and window_end and window_end < window_start:
        errors.append(FieldError("the window ends before it starts", field="window_end"))
    if subject_id is not None and not Subject.objects.filter(pk=subject_id).exists():
        errors.append(FieldError(f"no person {subject_id}", field="subject_id"))
    if item_ids:
        found = set(DataItem.objects.filter(pk__in=item_ids).values_list("id", flat=True))
        missing = [i for i in item_ids if i not in found]
        if missing:
            errors.append(FieldError(f"no item {', '.join(map(str, missing[:20]))}", field="item_ids"))
    if errors:
        raise InvalidInput("the hold cannot be placed", errors=errors)
    with transaction.atomic():
        hold = LegalHold.objects.create(
            case_ref=case_ref,
            reason=reason,
            subject_id=subject_id,
            camera=camera,
            window_start=clock.as_aware(window_start) if window_start else None,
            window_end=clock.as_aware(window_end) if window_end else None,
            placed_at=clock.now(),
            placed_by=principal.actor,
        )
        LegalHoldItem.objects.bulk_create([LegalHoldItem(hold=hold, item_id=i) for i in item_ids])
        owners = set(DataItem.objects.filter(pk__in=item_ids).values_list("subject_id", flat=True))
        if subject_id is not None:
            owners.add(subject_id)
        audit_log(
            "retention.hold.place",
            object_type="legal_hold",
            object_id=hold.pk,
            subject_id=next(iter(owners)) if len(owners) == 1 else None,
            payload={
                "case_ref": case_ref,
                "items": len(item_ids),
                "people": len(owners),
                "camera": camera or None,
                "window_start": hold.window_start.isoformat() if hold.window_start else None,
                "window_end": hold.window_end.isoformat() if hold.window_end else None,
            },
            actor=principal.actor,
        )
    return hold


def legal_hold_release(*, hold_id: int, reason: str, principal: Principal) -> LegalHold:
    """Release a hold, saying why; the data it protected fall under the normal rules again."""
    _may_hold(principal)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why the hold is released", errors=[FieldError("required", field="reason")])
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().filter(pk=hold_id).first()
        if hold is None:
            raise NotFound(f"no legal hold {hold_id}")
        if hold.released_at is not None:
            raise Refused(f"legal hold {hold_id} was already released on {hold.released_at:%Y-%m-%d}")
        hold.released_at = clock.now()
        hold.released_by = principal.actor
        hold.release_reason = reason
        hold.save(update_fields=["released_at", "released_by", "release_reason"])
        audit_log(
            "retention.hold.release",
            object_type="legal_hold",
            object_id=hold.pk,
            subject_id=hold.subject_id,
            payload={"case_ref": hold.case_ref},
            actor=principal.actor,
        )
    return hold


def _may_hold(principal: Principal) -> None:
    require_write(principal)
    if not may_decide(principal):
        raise PermissionDenied("legal holds are placed and released by the DPO or a privacy officer")


def _item_data(item: DataItem) -> dict[str, Any]:
    value = item.value
    if item.value_sealed:
        value = crypto.decrypt(item.value_sealed, context=item.category)
    return {
        "id": item.pk,
        "subject_id": item.subject_id,
        "controller": item.controller,
        "category": item.category,
        "value": value,
        "source": item.source,
        "collected_at": item.collected_at.isoformat() if item.collected_at else None,
        "purposes": list(item.purposes or []),
        "status": item.status,
    }


def archive_open(
    *,
    principal: Principal,
    ground: str,
    reference: str,
    item_id: int | None = None,
    subject_id: int | None = None,
) -> dict[str, Any]:
    """Open archived data for a stated legal ground and reference; the opening lands in the audit trail.

    Only principals with archive access may open it; the data are returned, not changed.
    """
    require_archive(principal)
    errors = []
    if ground not in ARCHIVE_GROUNDS:
        errors.append(FieldError(f"one of {', '.join(ARCHIVE_GROUNDS)}", field="ground"))
    if not (reference or "").strip():
        errors.append(FieldError("the case, control or request reference", field="reference"))
    if (item_id is None) == (subject_id is None):
        errors.append(FieldError("name one item or one person", field="item_id"))
    if errors:
        raise InvalidInput("the archive can only be opened on a stated legal ground", errors=errors)
    qs = DataItem.objects.filter(status=DataItem.Status.ARCHIVED)
    scope = controller_scope(principal)
    if scope is not None:  # an archivist opens their own entity's archive only
        qs = qs.filter(controller=scope)
    if item_id is not None:
        qs = qs.filter(pk=item_id)
    elif subject_id is not None:
        qs = qs.filter(subject_id=subject_id)
    items = list(qs.order_by("id"))
    if not items:
        what = f"item {item_id}" if item_id is not None else f"person {subject_id}"
        raise NotFound(f"no archived data for {what}")
    people = {i.subject_id for i in items}
    with transaction.atomic():
        audit_log(
            "retention.archive.open",
            object_type="data_item" if item_id is not None else "subject",
            object_id=item_id if item_id is not None else subject_id or "",
            subject_id=next(iter(people)) if len(people) == 1 else None,
            payload={
                "ground": ground,
                "reference": reference.strip(),
                "items": [i.pk for i in items],
                "categories": sorted({i.category for i in items}),
            },
            actor=principal.actor,
        )
    return {
        "ground": ground,
        "ground_text": ARCHIVE_GROUNDS[ground],
        "reference": reference.strip(),
        "items": [_item_data(i) for i in items],
    }


def retention_schedule_next() -> dt.datetime | None:
    """Queue the next daily sweep at ``TUTELA_RETENTION_SWEEP_AT`` when the tasks backend can defer.

    Returns the time queued, or None when the backend runs tasks at once (then cron calls
    ``tutela retention sweep``).
    """
    from django_tasks import default_task_backend

    from tutela.retention.selectors import next_sweep_at
    from tutela.retention.tasks import retention_sweep_task

    if not getattr(default_task_backend, "supports_defer", False):
        return None
    when = next_sweep_at()
    if _already_queued(when):
        return when
    retention_sweep_task.using(run_after=when).enqueue(reschedule=True)
    return when


def _already_queued(when: dt.datetime) -> bool:
    """Is a daily sweep already waiting on the database queue (so scheduling twice queues it once)?"""
    try:
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another backend: it keeps its own queue
        return False
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path__endswith=".retention_sweep_task",
        run_after__gte=when - dt.timedelta(minutes=1),
    ).exists()


def retention_summary_read(
    *, subject_id: int, principal: Principal, channel: str, lang: str = "en"
) -> list[dict[str, Any]]:
    """How long each of a person's items is kept, as ``principal`` may see it, with the read audited under the
    principal's name (the summary names the person's categories and dates: personal data)."""
    from tutela.accounts.permissions import require_group_wide
    from tutela.retention.selectors import retention_summary_for_subject
    from tutela.subjects.reading import subjects_read_logged

    require_group_wide(principal, "the retention summary")
    summary = retention_summary_for_subject(subject_id, principal=principal, lang=lang)
    subjects_read_logged(principal, [subject_id], channel=channel, what="retention_read")
    return summary
