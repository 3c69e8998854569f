"""API routes for breaches: any staff member reports; the DPO and privacy officers run the rest; auditors read."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from tutela.accounts.permissions import require_manage_breaches, require_read_breaches
from tutela.api.auth import principal
from tutela.core.errors import FieldError, InvalidInput

router = Router(tags=["breaches"])


def _may_read(request: HttpRequest) -> None:
    """Refuse before the body is read; the services check the same rule themselves."""
    require_read_breaches(principal(request))


def _may_decide(request: HttpRequest) -> None:
    require_manage_breaches(principal(request))


def _json_body(request: HttpRequest) -> Any:
    from tutela.api.errors import BodyError, load_json  # bounded: no deep nesting, no lone surrogates

    try:
        return load_json(request.body or b"null")
    except BodyError as exc:
        raise InvalidInput(f"invalid JSON: {exc}", errors=[FieldError(str(exc), field="body")]) from None


class ReporterIn(Schema):
    name: str
    address: str
    phone: str
    email: str = ""


class ReportIn(Schema):
    reporter: ReporterIn
    incident_type: str
    description: str
    people_concerned: int | None = None
    detected_at: dt.datetime | None = None
    aware_at: dt.datetime | None = None
    summary: str = ""
    controller: str = ""
    processor: str = ""
    processor_reported_at: dt.datetime | None = None
    facts: dict[str, Any] | None = None


class InvestigationIn(Schema):
    nature: str | None = None
    data_types: list[str] | None = None
    personal_data_affected: bool | None = None
    is_personal_data_breach: bool | None = None
    people_concerned: int | None = None
    records_concerned: int | None = None
    identifiers: list[str] | None = None


class NotifyAuthorityIn(Schema):
    phase: str = "initial"
    delay_reasons: str = ""
    at: dt.datetime | None = None
    additional: str = ""


class NotifySubjectsIn(Schema):
    public_notice: bool = False


class RegisterIn(Schema):
    main_cause: str | None = None
    contributing_factors: str | None = None
    responses: str | None = None
    recommendations: str | None = None
    lessons_learned: str | None = None
    likely_consequences: str | None = None
    measures_taken: str | None = None
    measures_proposed: str | None = None
    no_notification_reason: str | None = None


class EventIn(Schema):
    text: str
    at: dt.datetime | None = None


class ChangeIn(Schema):
    description: str
    owner: str = ""


class ChangeStateIn(Schema):
    state: str


class DecisionIn(Schema):
    notify_authority: bool
    notify_subjects: bool
    reason: str


class ReviewIn(Schema):
    text: str
    close: bool = False


@router.post("/assess", summary="Risk assessment of breach facts (breach-facts schema)")
def assess_facts(request: HttpRequest) -> Any:
    """Body: facts per breach-facts.schema.json. Answer: breach-assessment.schema.json."""
    from tutela.breaches.assessment import assess, validate_facts
    from tutela.breaches.facts import policy_keys

    facts = _json_body(request)
    extra, special = policy_keys()
    problems = validate_facts(facts, extra_keys=extra)
    if problems:
        raise InvalidInput("invalid breach facts", errors=[FieldError(m, field=f) for f, m in problems])
    return assess(facts, special=special).as_json()


@router.post(
    "/", response={201: dict[str, Any]}, summary="Report a possible breach (high urgency; alerts the DPO)"
)
def report(request: HttpRequest, payload: ReportIn) -> Any:
    from tutela.breaches.selectors import breach_row
    from tutela.breaches.services import Reporter, breach_report

    p = principal(request)
    values = payload.dict(exclude={"reporter"})
    values["controller"] = values["controller"] or p.controller  # a staff member reports for their entity
    breach = breach_report(principal=p, reporter=Reporter(**payload.reporter.dict()), **values)
    return Status(201, breach_row(breach))


@router.get("/", summary="Breaches with their clocks")
def list_breaches(request: HttpRequest, status: str | None = None, open: bool = False) -> Any:
    from tutela.breaches.selectors import breach_list

    _may_read(request)
    rows = breach_list(principal=principal(request), status=status, open_only=open)
    return {"breaches": rows, "count": len(rows)}


@router.get("/clocks", summary="Open breaches whose 24 h or 72 h clock runs, most urgent first")
def clocks(request: HttpRequest) -> Any:
    from tutela.breaches.selectors import open_breach_clocks

    _may_read(request)
    rows = open_breach_clocks(principal=principal(request))
    return {"breaches": rows, "count": len(rows)}


@router.get("/register/export", summary="The breach register as CSV or JSON")
def register_export(request: HttpRequest, format: str = "json") -> Any:
    from tutela.breaches.selectors import register_export as export

    _may_read(request)
    if format not in ("csv", "json"):
        raise InvalidInput("bad format", errors=[FieldError("csv or json", field="format")])
    text = export(format, principal=principal(request))
    if format == "csv":
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="breach-register.csv"'
        return response
    return json.loads(text)


@router.get("/{breach_id}", summary="One breach in full")
def show(request: HttpRequest, breach_id: int) -> Any:
    from tutela.breaches.selectors import breach_detail

    _may_read(request)
    return breach_detail(breach_id, principal=principal(request))


@router.post("/{breach_id}/investigation", summary="Record the investigation's findings (§12.2)")
def investigation(request: HttpRequest, breach_id: int, payload: InvestigationIn) -> Any:
    from tutela.breaches.services import breach_record_investigation

    _may_decide(request)
    return breach_record_investigation(principal=principal(request), breach_id=breach_id, **payload.dict())


@router.post("/{breach_id}/assessment", summary="Assess the breach from facts and store the result")
def assessment(request: HttpRequest, breach_id: int) -> Any:
    from tutela.breaches.services import breach_assess

    _may_decide(request)
    facts = _json_body(request)
    row = breach_assess(principal=principal(request), breach_id=breach_id, facts=facts)
    return {**row.result, "rules_version": row.rules_version, "at": row.at.isoformat()}


@router.post("/{breach_id}/notify-authority", summary="Record a notification (phase) to the authority")
def notify_authority(request: HttpRequest, breach_id: int, payload: NotifyAuthorityIn) -> Any:
    from tutela.breaches.services import breach_notify_authority

    _may_decide(request)
    note = breach_notify_authority(principal=principal(request), breach_id=breach_id, **payload.dict())
    return {"number": note.number, "phase": note.phase, "at": note.at.isoformat(), "late": note.late,
            "content": note.content, "text": note.text}  # fmt: skip


@router.post("/{breach_id}/notify-subjects", summary="Tell the people concerned (e-mail or public notice)")
def notify_subjects(request: HttpRequest, breach_id: int, payload: NotifySubjectsIn) -> Any:
    from tutela.breaches.notifications import breach_notify_subjects
    from tutela.breaches.selectors import communication_states

    _may_decide(request)
    comm = breach_notify_subjects(
        principal=principal(request), breach_id=breach_id, public_notice=payload.public_notice
    )
    return {
        "channel": comm.channel,
        "total": comm.total,
        "delivery": communication_states(comm.pk),
        "texts": comm.texts,
    }


@router.patch("/{breach_id}/register", summary="Fill the register fields (§12.3)")
def register_update(request: HttpRequest, breach_id: int, payload: RegisterIn) -> Any:
    from tutela.breaches.selectors import breach_detail
    from tutela.breaches.services import breach_update_register

    _may_decide(request)
    breach_update_register(
        principal=principal(request), breach_id=breach_id, **payload.dict(exclude_none=True)
    )
    return breach_detail(breach_id, principal=principal(request))["register"]


@router.post("/{breach_id}/events", response={201: dict[str, Any]}, summary="Add a line to the chronology")
def add_event(request: HttpRequest, breach_id: int, payload: EventIn) -> Any:
    from tutela.breaches.services import breach_add_event

    _may_decide(request)
    e = breach_add_event(principal=principal(request), breach_id=breach_id, text=payload.text, at=payload.at)
    return Status(201, {"id": e.pk, "at": e.at.isoformat(), "kind": e.kind, "text": e.text})


@router.post("/{breach_id}/changes", response={201: dict[str, Any]}, summary="Add a recommended change")
def add_change(request: HttpRequest, breach_id: int, payload: ChangeIn) -> Any:
    from tutela.breaches.services import breach_add_change

    _may_decide(request)
    c = breach_add_change(
        principal=principal(request),
        breach_id=breach_id,
        description=payload.description,
        owner=payload.owner,
    )
    return Status(201, {"id": c.pk, "state": c.state, "description": c.description})


@router.patch("/changes/{change_id}", summary="Update how far a recommended change is implemented")
def change_state(request: HttpRequest, change_id: int, payload: ChangeStateIn) -> Any:
    from tutela.breaches.services import breach_change_update

    _may_decide(request)
    c = breach_change_update(principal=principal(request), change_id=change_id, state=payload.state)
    return {
        "id": c.pk,
        "state": c.state,
        "implemented_at": c.implemented_at.isoformat() if c.implemented_at else None,
    }


@router.post("/{breach_id}/review", summary="The DPO's follow-up review; may close the breach")
def review(request: HttpRequest, breach_id: int, payload: ReviewIn) -> Any:
    from tutela.breaches.services import breach_dpo_review

    _may_decide(request)
    b = breach_dpo_review(
        principal=principal(request), breach_id=breach_id, text=payload.text, close=payload.close
    )
    return {"id": b.pk, "status": b.status}


@router.post("/{breach_id}/decision", summary="The group's decision on the duties, with its reason")
def decide(request: HttpRequest, breach_id: int, payload: DecisionIn) -> Any:
    from tutela.breaches.services import breach_decide

    _may_decide(request)
    b = breach_decide(principal=principal(request), breach_id=breach_id, **payload.dict())
    return {"id": b.pk, "notify_authority": b.notify_authority, "notify_subjects": b.notify_subjects}
