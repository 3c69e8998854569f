"""API routes for purpose checks and list scrubbing."""

from __future__ import annotations

import io
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from tutela.api.auth import principal
from tutela.core.errors import FieldError, InvalidInput

router = Router(tags=["purpose"])


class CheckOut(Schema):
    allowed: bool
    reasons: list[str]
    legal_basis: str | None
    codes: list[str]


class CheckIn(Schema):
    identifier: str | None = None
    subject_id: int | None = None
    purpose: str
    controller: str | None = None


class BatchIn(Schema):
    checks: list[CheckIn]


def _controller(request: HttpRequest, controller: str | None) -> str | None:
    """Staff and integrations of one entity check for their entity."""
    who = principal(request)
    return controller if who.is_group_wide else who.controller


@router.get("/check", response=CheckOut)
def check(
    request: HttpRequest,
    purpose: str,
    identifier: str | None = None,
    subject_id: int | None = None,
    controller: str | None = None,
) -> Any:
    """May this person's data be used for this purpose now? Every reason, and the legal basis when allowed."""
    from tutela.consent.checks import purpose_check

    return purpose_check(
        identifier=identifier,
        subject_id=subject_id,
        purpose=purpose,
        controller=_controller(request, controller),
    ).as_dict()


@router.post("/check")
def check_many(request: HttpRequest, payload: BatchIn) -> Any:
    """Many checks in one call (up to 1,000); facts are gathered set-based."""
    from tutela.consent.checks import CheckRequest, purpose_check_many

    requests = [
        CheckRequest(
            purpose=c.purpose,
            identifier=c.identifier,
            subject_id=c.subject_id,
            controller=_controller(request, c.controller),
        )
        for c in payload.checks
    ]
    return {"results": purpose_check_many(requests)}


@router.post("/scrub")
def scrub(
    request: HttpRequest,
    file: File[UploadedFile],
    purpose: Form[str],
    controller: Form[str | None] = None,
    column: Form[str | None] = None,
    output: Form[str] = "json",
) -> Any:
    """Scrub an uploaded CSV list of e-mails or phones: counts per refusal reason and the usable rows
    (``output=json``: ``{"kept", "removed", "reasons", "usable"}``; ``output=csv``: the usable rows as CSV,
    counts in the ``X-Tutela-Kept`` and ``X-Tutela-Removed`` headers)."""
    from tutela.consent.scrub import scrub_stream

    if output not in ("json", "csv"):
        raise InvalidInput("output must be json or csv", errors=[FieldError("json or csv", field="output")])
    try:
        source = io.TextIOWrapper(file.file, encoding="utf-8-sig", newline="")  # type: ignore[type-var]
        sink = io.StringIO()
        result = scrub_stream(
            source,
            sink,
            purpose=purpose,
            controller=_controller(request, controller or None),
            column=column or None,
            filename=file.name or "upload",
        )
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "the file is not UTF-8 text", errors=[FieldError(str(exc), file=file.name)]
        ) from None
    if output == "csv":
        response = HttpResponse(sink.getvalue(), content_type="text/csv; charset=utf-8")
        response["X-Tutela-Kept"] = str(result.kept)
        response["X-Tutela-Removed"] = str(result.removed)
        return response
    import csv

    rows = list(csv.reader(io.StringIO(sink.getvalue()), delimiter=result.delimiter))
    if result.header and rows:
        rows = rows[1:]
    return {**result.as_dict(), "usable": rows}
