"""API routes for the register of recipients and for disclosures to them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from tutela.api.auth import principal
from tutela.recipients.disclosures import disclosure_create
from tutela.recipients.inputs import parse_day
from tutela.recipients.selectors import (
    expiring_contracts,
    recipient_by_key,
    recipient_dict,
    recipient_list,
    safeguard_dict,
)
from tutela.recipients.services import recipient_create, safeguard_add
from tutela.recipients.subjects_input import resolve_all

router = Router(tags=["recipients"])


class RecipientIn(Schema):
    key: str
    name: str
    type: str
    country: str = ""
    role: str | None = None
    scheme: str | None = None
    group_controller: str | None = None
    contact_email: str | None = None
    webhook_url: str | None = None
    contract_ref: str | None = None
    contract_expires_on: str | None = None
    categories: list[str] | None = None
    purposes: list[str] | None = None
    notes: str | None = None


class SafeguardIn(Schema):
    kind: str
    signed_on: str
    scc_module: str = ""
    reference: str = ""
    expires_on: str | None = None


class DisclosureIn(Schema):
    purpose: str
    controller: str
    subjects: list[str] = []
    format: str = "json"
    on: str | None = None
    derogation: str | None = None
    reason: str = ""


@router.get("/")
def list_recipients(request: HttpRequest, type: str | None = None, country: str | None = None) -> Any:
    rows = recipient_list(recipient_type=type, country=country)
    return {"recipients": [recipient_dict(r, safeguards=list(r.safeguards.all())) for r in rows]}


@router.post("/", response={201: dict})
def add_recipient(request: HttpRequest, payload: RecipientIn) -> Any:
    data = payload.dict()
    r = recipient_create(
        principal=principal(request),
        key=data["key"],
        name=data["name"],
        recipient_type=data["type"],
        country=data["country"],
        role=data["role"],
        scheme=data["scheme"] or "",
        group_controller=data["group_controller"] or "",
        contact_email=data["contact_email"] or "",
        webhook_url=data["webhook_url"] or "",
        contract_ref=data["contract_ref"] or "",
        contract_expires_on=parse_day(data["contract_expires_on"], field="contract_expires_on"),
        categories=data["categories"],
        purposes=data["purposes"],
        notes=data["notes"] or "",
    )
    return Status(201, recipient_dict(r, safeguards=[]))


@router.get("/expiring-contracts")
def expiring(request: HttpRequest, within_days: int = 60) -> Any:
    return {"contracts": expiring_contracts(within_days)}


@router.get("/{key}")
def show_recipient(request: HttpRequest, key: str) -> Any:
    r = recipient_by_key(key)
    return recipient_dict(r, safeguards=list(r.safeguards.all()))


@router.post("/{key}/safeguards", response={201: dict})
def add_safeguard(request: HttpRequest, key: str, payload: SafeguardIn) -> Any:
    signed = parse_day(payload.signed_on, field="signed_on")
    if signed is None:
        from tutela.core.errors import FieldError, InvalidInput

        raise InvalidInput("signed_on is required", errors=[FieldError("required", field="signed_on")])
    s = safeguard_add(
        principal=principal(request),
        recipient_key=key,
        kind=payload.kind,
        scc_module=payload.scc_module,
        reference=payload.reference,
        signed_on=signed,
        expires_on=parse_day(payload.expires_on, field="expires_on"),
    )
    return Status(201, {"recipient": key, **safeguard_dict(s)})


@router.post("/{key}/disclosures", response={201: dict})
def disclose(request: HttpRequest, key: str, payload: DisclosureIn) -> Any:
    """Disclose people (ids, public ids or identifiers) to the recipient; answers with the rows sent."""
    recipient_by_key(key)
    who = principal(request)
    ids = resolve_all([(s, None) for s in payload.subjects], principal=who)
    export = disclosure_create(
        principal=who,
        recipient_key=key,
        purpose=payload.purpose,
        controller=payload.controller,
        subject_ids=ids,
        fmt=payload.format,
        on=parse_day(payload.on, field="on"),
        derogation=payload.derogation,
        reason=payload.reason,
    )
    return Status(201, {**export.summary(), "rows": export.rows})
