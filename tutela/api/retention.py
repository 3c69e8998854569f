"""API routes for retention: status and preview, the archive (on a stated ground), legal holds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from tutela.api.auth import principal
from tutela.core.errors import PermissionDenied

router = Router(tags=["retention"])


class ArchiveOpenIn(Schema):
    item_id: int | None = None
    subject_id: int | None = None
    ground: str
    reference: str


class HoldIn(Schema):
    subject_id: int | None = None
    item_ids: list[int] = []
    case_ref: str
    reason: str
    camera: str | None = None
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None


class ReleaseIn(Schema):
    reason: str


@router.get("/status")
def status(request: HttpRequest) -> dict[str, Any]:
    from tutela.retention.selectors import last_run, next_sweep_at

    run = last_run()
    last = None
    if run is not None:
        last = {
            "run": run.pk,
            "status": run.status,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "due": run.due,
            "erased": run.erased,
            "anonymised": run.anonymised,
            "archived": run.archived,
            "held": run.held,
            # what the run could not do and why (purpose sets, item ids of both entities: group-wide roles)
            "problems": list(run.problems) if principal(request).is_group_wide else len(run.problems),
        }
    return {"last": last, "next": next_sweep_at()}


@router.get("/preview")
def preview(request: HttpRequest, limit: int = 50) -> dict[str, Any]:
    from tutela.retention.selectors import next_sweep_preview

    if not principal(request).is_group_wide:
        raise PermissionDenied("the sweep preview covers both entities: DPO, privacy officer or auditor")
    return {"items": next_sweep_preview(max(1, min(limit, 500)))}


@router.post("/archive/open")
def archive_open(request: HttpRequest, payload: ArchiveOpenIn) -> dict[str, Any]:
    from tutela.retention.services import archive_open as open_archive

    return open_archive(
        principal=principal(request),
        ground=payload.ground,
        reference=payload.reference,
        item_id=payload.item_id,
        subject_id=payload.subject_id,
    )


@router.get("/holds")
def holds(request: HttpRequest, all: bool = False) -> dict[str, Any]:
    from tutela.retention.selectors import holds_list

    return {"holds": holds_list(principal=principal(request), active_only=not all)}


@router.post("/holds", response={201: dict[str, Any]})
def hold_place(request: HttpRequest, payload: HoldIn) -> Status[dict[str, Any]]:
    from tutela.retention.selectors import hold_as_dict
    from tutela.retention.services import legal_hold_place

    hold = legal_hold_place(
        principal=principal(request),
        subject_id=payload.subject_id,
        item_ids=payload.item_ids,
        case_ref=payload.case_ref,
        reason=payload.reason,
        camera=payload.camera,
        window_start=payload.window_start,
        window_end=payload.window_end,
    )
    return Status(201, hold_as_dict(hold))


@router.post("/holds/{hold_id}/release")
def hold_release(request: HttpRequest, hold_id: int, payload: ReleaseIn) -> dict[str, Any]:
    from tutela.retention.selectors import hold_as_dict
    from tutela.retention.services import legal_hold_release

    return hold_as_dict(
        legal_hold_release(hold_id=hold_id, reason=payload.reason, principal=principal(request))
    )


@router.get("/subjects/{subject_id}/summary")
def subject_summary(request: HttpRequest, subject_id: int, lang: str = "en") -> dict[str, Any]:
    from tutela.retention.services import retention_summary_read

    summary = retention_summary_read(
        subject_id=subject_id, principal=principal(request), channel="api", lang=lang
    )
    return {"subject_id": subject_id, "retention": summary}
