"""API routes for data-subject requests (/api/v1/requests/).

Staff and integrations (bearer token) register and run requests; the rights services decide the scope
from the caller's principal. The portal's anonymous routes (``auth=None``) take a request from the public,
verify the person by the private link's token and the e-mail code (both sent only to the address held for
the person), and show its status from that token; they never return personal data nor any secret the mail
carries, and answer the same whether or not the address is known.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import PositiveInt

from tutela.accounts.permissions import require_write
from tutela.accounts.principal import public_principal
from tutela.api.auth import principal
from tutela.core.errors import FieldError, InvalidInput, TutelaError

router = Router(tags=["rights"])

#: wrong-code guesses allowed per IP and per status token in the hour (the code itself dies after 5 wrong ones)
VERIFY_PER_HOUR = 10


class TooManyRequests(TutelaError):
    """Too many attempts from one address (or for one e-mail address or request) in the hour: HTTP 429."""

    exit_code = 1
    http_status = 429


def _limit(request: HttpRequest, scope: str, identifier: str, limit: int | None = None) -> None:
    from django.conf import settings

    from tutela.portal.ratelimit import allow

    if limit is not None:
        limit = min(limit, settings.TUTELA_RATE_LIMIT_PER_HOUR)
    if not allow(request, scope, identifier, limit=limit):
        raise TooManyRequests("too many attempts from this address or for this request: try again in an hour")


class ChangeIn(Schema):
    """One rectification: the item (its id) or the category to correct, and the new value."""

    category: str = ""
    item: PositiveInt | None = None
    value: str = ""


class RequestIn(Schema):
    type: str
    identifier: str
    channel: str = "api"
    purpose: str = ""
    controller: str = ""
    received_at: dt.datetime | None = None
    language: str | None = None
    verified: bool = False
    #: with ``verified``: how staff checked (staff = in person or known to us, id_document, phone_callback)
    identity_method: str = "staff"
    identity_how: str = ""
    #: kept as a note: letters go only to the address held for the person
    reply_to: str = ""
    reasons: str = ""
    changes: list[ChangeIn] = []
    transmit_to: str = ""
    transmit_token: str = ""


class RequestOut(Schema):
    id: int
    type: str
    status: str
    due: str


class ReasonIn(Schema):
    reason: str


class SignIn(Schema):
    signed_on: dt.date
    signature: str


class DecideIn(Schema):
    grant: bool
    balancing: str


class VersionIn(Schema):
    version: int | None = None


class VerifyIn(Schema):
    code: str | None = None
    method: str = "staff"
    how: str = ""


class PortalIn(Schema):
    type: str
    email: str
    language: str = "en"
    purpose: str = ""
    reasons: str = ""


class PortalVerifyIn(Schema):
    status_token: str
    code: str


def _details(body: RequestIn) -> dict[str, Any]:
    from tutela.core import crypto
    from tutela.rights.transport import check_url

    details: dict[str, Any] = {}
    if body.reasons:
        details["reasons"] = body.reasons
    if body.changes:
        bad = [n for n, c in enumerate(body.changes) if not c.category and not c.item]
        if bad:
            raise InvalidInput(
                "bad changes",
                errors=[
                    FieldError("each change needs a category and a value", field=f"changes.{n}") for n in bad
                ],
            )
        details["changes"] = [c.model_dump(exclude_none=True) for c in body.changes]
    if body.transmit_to:
        details["transmit_to"] = check_url(body.transmit_to, field="transmit_to")
        if body.transmit_token:
            details["transmit_token_sealed"] = crypto.encrypt(body.transmit_token, context="request.transmit")
    return details


def _writer(request: HttpRequest) -> Any:
    p = principal(request)
    require_write(p)
    return p


@router.post("/", response={201: RequestOut}, summary="Register a request (staff or a connected system)")
def request_create(request: HttpRequest, body: RequestIn) -> Status:
    from tutela.rights.services import request_open

    opened = request_open(
        principal=_writer(request),
        type=body.type,
        identifier=body.identifier,
        channel=body.channel,
        received_at=body.received_at,
        language=body.language,
        purpose=body.purpose,
        controller=body.controller,
        verified=body.verified,
        identity_method=body.identity_method,
        identity_how=body.identity_how,
        reply_to=body.reply_to,
        details=_details(body),
    )
    r = opened.request
    return Status(201, RequestOut(id=r.pk, type=r.type, status=r.status, due=r.due.isoformat()))


@router.get("/", summary="Requests, newest first (filters: overdue, at_risk, open)")
def request_list(
    request: HttpRequest, overdue: bool = False, at_risk: bool = False, open: bool = False
) -> list[dict[str, Any]]:
    from tutela.rights.selectors import requests_details

    return requests_details(principal=principal(request), overdue=overdue, at_risk=at_risk, open_only=open)


@router.get("/{int:request_id}", summary="One request in full")
def request_show(request: HttpRequest, request_id: int) -> dict[str, Any]:
    from tutela.rights.selectors import request_detail

    return request_detail(request_id, principal=principal(request))


@router.post("/{int:request_id}/verify", summary="Identity verified (staff attestation, or the e-mail code)")
def request_verify_route(request: HttpRequest, request_id: int, body: VerifyIn) -> dict[str, Any]:
    from tutela.rights.selectors import request_detail
    from tutela.rights.services import request_verify

    who = _writer(request)
    request_verify(request_id=request_id, code=body.code, method=body.method, how=body.how, principal=who)
    return request_detail(request_id, principal=who)


@router.post("/{int:request_id}/pause", summary="Stop the clock while waiting for information")
def request_pause_route(request: HttpRequest, request_id: int, body: ReasonIn) -> dict[str, Any]:
    from tutela.rights.selectors import request_detail
    from tutela.rights.services import request_pause

    who = _writer(request)
    request_pause(request_id=request_id, reason=body.reason, principal=who)
    return request_detail(request_id, principal=who)


@router.post("/{int:request_id}/resume", summary="Restart the clock")
def request_resume_route(request: HttpRequest, request_id: int) -> dict[str, Any]:
    from tutela.rights.selectors import request_detail
    from tutela.rights.services import request_resume

    who = _writer(request)
    request_resume(request_id=request_id, principal=who)
    return request_detail(request_id, principal=who)


@router.post("/{int:request_id}/extend", summary="Extend by two months, with reasons")
def request_extend_route(request: HttpRequest, request_id: int, body: ReasonIn) -> dict[str, Any]:
    from tutela.rights.selectors import request_detail
    from tutela.rights.services import request_extend

    who = _writer(request)
    request_extend(request_id=request_id, reason=body.reason, principal=who)
    return request_detail(request_id, principal=who)


@router.post("/{int:request_id}/sign", summary="Record the dated and signed request")
def request_sign_route(request: HttpRequest, request_id: int, body: SignIn) -> dict[str, Any]:
    from tutela.rights.selectors import request_detail
    from tutela.rights.services import request_sign

    who = _writer(request)
    request_sign(request_id=request_id, signed_on=body.signed_on, signature=body.signature, principal=who)
    return request_detail(request_id, principal=who)


@router.post("/{int:request_id}/decide", summary="The DPO's decision on an objection (balancing recorded)")
def request_decide_route(request: HttpRequest, request_id: int, body: DecideIn) -> dict[str, Any]:
    from tutela.rights.fulfil import request_decide
    from tutela.rights.selectors import request_detail

    who = principal(request)
    request_decide(request_id=request_id, grant=body.grant, balancing=body.balancing, principal=who)
    return request_detail(request_id, principal=who)


@router.post("/{int:request_id}/withdraw", summary="The person withdraws the request")
def request_withdraw_route(request: HttpRequest, request_id: int) -> dict[str, Any]:
    from tutela.rights.selectors import request_detail
    from tutela.rights.services import request_withdraw

    who = _writer(request)
    request_withdraw(request_id=request_id, principal=who)
    return request_detail(request_id, principal=who)


@router.post(
    "/{int:request_id}/fulfil",
    response={200: dict, 409: dict},
    summary="Carry out the request (409 with the unmet conditions when it cannot proceed)",
)
def request_fulfil_route(request: HttpRequest, request_id: int, body: VersionIn) -> Status:
    from tutela.rights.fulfil import Unmet, request_fulfil
    from tutela.rights.services import request_get

    who = principal(request)
    try:
        result = request_fulfil(request_id=request_id, expected_version=body.version, principal=who)
    except Unmet as exc:
        req = request_get(request_id, principal=who)
        return Status(
            409,
            {
                "id": req.pk,
                "status": req.status,
                "outcome": "blocked",
                "reasons": [e.message for e in exc.errors],
            },
        )
    return Status(200, result.as_dict())


# ------------------------------------------------------------------------------------------- the portal


@router.post("/portal", auth=None, response={202: dict}, summary="A request from the public portal")
def portal_request(request: HttpRequest, body: PortalIn) -> Status:
    """Registers the request. When the address is held for a person, the code and the private link go to
    that address; when nobody holds it, that address is told that nothing is held. The answer is the same
    either way and carries no secret of the mail (no token, no code): only the reference."""
    from tutela.rights.services import request_open

    _limit(request, "api-rights-portal", f"email:{body.email.strip().lower()}")
    if "@" not in body.email:
        raise InvalidInput(
            "an e-mail address is required", errors=[FieldError("not an e-mail address", field="email")]
        )
    opened = request_open(
        type=body.type,
        identifier=body.email,
        channel="portal",
        language=body.language,
        purpose=body.purpose,
        details={"reasons": body.reasons} if body.reasons else {},
        principal=public_principal("portal"),
    )
    return Status(202, {"reference": f"R-{opened.request.pk}", "verification": "sent"})


@router.post("/portal/verify", auth=None, summary="The person enters the code they received")
def portal_verify(request: HttpRequest, body: PortalVerifyIn) -> dict[str, Any]:
    from tutela.rights.selectors import request_public_status
    from tutela.rights.services import request_verify_by_token

    _limit(request, "api-rights-verify", f"token:{body.status_token}", limit=VERIFY_PER_HOUR)
    req = request_verify_by_token(
        status_token=body.status_token, code=body.code, principal=public_principal("portal")
    )
    return request_public_status(req)


@router.get("/portal/status", auth=None, summary="Where a request stands, from its private token")
def portal_status(request: HttpRequest, token: str) -> dict[str, Any]:
    from tutela.rights.selectors import request_public_status
    from tutela.rights.services import request_by_token

    return request_public_status(request_by_token(token, principal=public_principal("portal")))


class PortalCodeIn(Schema):
    status_token: str


@router.post("/portal/code", auth=None, response={202: dict}, summary="Send a new verification code")
def portal_code(request: HttpRequest, body: PortalCodeIn) -> Status:
    """A new e-mail code for a request waiting for identity (after the old one expired or was cancelled by
    too many wrong tries). The answer is the same whether or not the token is known."""
    from tutela.rights.services import request_code_renew

    _limit(request, "api-rights-code", f"token:{body.status_token}", limit=VERIFY_PER_HOUR)
    request_code_renew(status_token=body.status_token, principal=public_principal("portal"))
    return Status(202, {"verification": "sent"})
