"""Requests: intake, identity, pauses, extension, signature, withdrawal — each change audited in its transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tutela.accounts.principal import Principal
from tutela.core import clock, crypto
from tutela.core.audit import audit_log, current_actor
from tutela.core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied, Refused
from tutela.rights import register, states
from tutela.rights.deadlines import Pause, deadline_for
from tutela.rights.models import Channel, RequestPause, RequestType, RightsRequest
from tutela.rights.rules import deadline_settings

LANGUAGES = ("en", "fr", "nl")
#: types whose scope is one purpose
PURPOSE_TYPES = ("objection", "restriction", "withdrawal")
#: how long an e-mail verification code stays valid
VERIFICATION_HOURS = 48
#: wrong codes after which the code is cancelled (the person asks for a new one)
MAX_CODE_FAILURES = 5


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _policy() -> Any:
    from tutela.policy.selectors import active_policy

    return active_policy()


@dataclass
class Opened:
    request: RightsRequest
    status_token: str
    verification_code: str | None


def _validate_open(
    *, type: str, channel: str, language: str | None, purpose: str, controller: str
) -> list[FieldError]:
    errors: list[FieldError] = []
    if type not in RequestType.values:
        errors.append(
            FieldError(f"unknown request type {type!r}; one of {', '.join(RequestType.values)}", field="type")
        )
    if channel not in Channel.values:
        errors.append(
            FieldError(f"unknown channel {channel!r}; one of {', '.join(Channel.values)}", field="channel")
        )
    if language is not None and language not in LANGUAGES:
        errors.append(FieldError(f"language must be one of {', '.join(LANGUAGES)}", field="language"))
    policy = _policy()
    if purpose and purpose not in policy.purposes:
        errors.append(FieldError(f"unknown purpose {purpose!r}", field="purpose"))
    if controller and controller not in policy.controllers:
        errors.append(FieldError(f"unknown controller {controller!r}", field="controller"))
    return errors


def _deadline(received: dt.date, pauses: list[Pause] | None = None) -> tuple[dt.date, dt.date]:
    months, extension, country = deadline_settings()
    d = deadline_for(
        received,
        months=months,
        extension_months=extension,
        country=country,
        pauses=pauses or (),
        today=clock.today(),
    )
    return d.due, d.extended_due


def received_date(received_at: dt.datetime) -> dt.date:
    return clock.as_aware(received_at).astimezone(clock.BRUSSELS).date()


def request_open(
    *,
    type: str,
    identifier: str,
    channel: str,
    received_at: dt.datetime | None = None,
    language: str | None = None,
    purpose: str = "",
    controller: str = "",
    verified: bool = False,
    identity_method: str = "staff",
    reply_to: str = "",
    details: dict[str, Any] | None = None,
    message_id: str | None = None,
    principal: Principal | None = None,
) -> Opened:
    """Register a request; the deadline runs from ``received_at`` (now when not given).

    Staff who checked the person's identity pass ``verified=True``; otherwise the request waits for identity
    and, for portal and e-mail requests, an e-mail code is sent to the address given.
    """
    if principal is not None:
        if not principal.can_write:
            raise PermissionDenied(f"role {principal.role!r} is read-only")
        if controller and not principal.is_group_wide and controller != principal.controller:
            raise PermissionDenied(
                f"staff of {principal.controller} cannot open a request for {controller}",
                errors=[FieldError(f"only {principal.controller} (or empty)", field="controller")],
            )
    errors = _validate_open(
        type=type, channel=channel, language=language, purpose=purpose, controller=controller
    )
    identifier = (identifier or "").strip()
    if not identifier:
        errors.append(FieldError("an identifier (e-mail, phone …) is required", field="identifier"))
    now = clock.now()
    received_at = clock.as_aware(received_at) if received_at else now
    if received_at > now + dt.timedelta(minutes=5):
        errors.append(FieldError("the reception date is in the future", field="received"))
    kind = ""
    normalised = ""
    if identifier and not errors:
        try:
            kind, normalised = register.normalise_identifier(identifier)
        except InvalidInput as exc:
            if not identifier.startswith("subject:"):
                errors.extend(exc.errors or [FieldError(exc.message, field="identifier")])
            else:
                kind, normalised = "subject", identifier
    details = dict(details or {})
    if details.get("transmit_to"):
        if type != "portability":
            details.pop("transmit_to")
        else:
            from tutela.rights.transport import check_url

            try:
                details["transmit_to"] = check_url(str(details["transmit_to"]), field="transmit_to")
            except InvalidInput as exc:
                errors.extend(exc.errors)
    if errors:
        raise InvalidInput("the request cannot be registered", errors=errors)
    subject = register.resolve(identifier)
    if not reply_to and kind == "email":
        reply_to = normalised
    if language is None:
        language = subject.language if subject is not None and subject.language in LANGUAGES else "en"
    due, extended_due = _deadline(received_date(received_at))
    token = secrets.token_urlsafe(24)
    code: str | None = None
    with transaction.atomic():
        if message_id and RightsRequest.objects.filter(message_id=message_id).exists():
            raise Conflict(f"a request was already registered for message {message_id}")
        req = RightsRequest.objects.create(
            type=type,
            subject=subject,
            identifier_kind=kind,
            identifier_sealed=crypto.encrypt(normalised or identifier, context="request.identifier"),
            reply_to_sealed=crypto.encrypt(reply_to, context="request.reply_to") if reply_to else "",
            channel=channel,
            received_at=received_at,
            language=language,
            purpose=purpose,
            controller=controller,
            due=due,
            extended_due=extended_due,
            details=details,
            status_token_hash=_digest(token),
            message_id=message_id or None,
            created_at=now,
            updated_at=now,
        )
        audit_log(
            "request.open",
            object_type="request",
            object_id=req.pk,
            subject_id=req.subject_id,
            payload={
                "type": type,
                "channel": channel,
                "identifier_kind": kind,
                "purpose": purpose,
                "received": received_at.isoformat(),
                "due": due.isoformat(),
                "resolved": subject is not None,
            },
        )
        if verified:
            _verify(req, method=identity_method, by=current_actor())
        else:
            _move(req, states.IDENTITY_PENDING, "request.identity_pending")
            if channel in ("portal", "email", "api") and reply_to:
                code = _new_code(req)
        _save(req)
        from tutela.rights import letters

        letters.send(req, "acknowledgement")
        if code is not None:
            letters.send(req, "verification", code=code, status_token=token)
    return Opened(req, token, code)


def _new_code(req: RightsRequest) -> str:
    code = f"{secrets.randbelow(10**6):06d}"
    req.verification_hash = _digest(f"{req.pk}:{code}")
    req.verification_expires = clock.now() + dt.timedelta(hours=VERIFICATION_HOURS)
    req.verification_failures = 0
    req.identity_method = "email_code"
    return code


def _move(req: RightsRequest, target: str, action: str, payload: dict[str, Any] | None = None) -> None:
    states.check_move(req.status, target, request_id=req.pk)
    before = req.status
    req.status = target
    audit_log(
        action,
        object_type="request",
        object_id=req.pk,
        subject_id=req.subject_id,
        payload={"from": before, "to": target, **(payload or {})},
    )


def _save(req: RightsRequest) -> None:
    """Write the request, bumping its version; the row is locked by the caller (or just created)."""
    req.updated_at = clock.now()
    req.version += 1
    req.save()


def locked(
    request_id: int, expected_version: int | None = None, *, principal: Principal | None = None
) -> RightsRequest:
    """The request row, locked for the rest of the transaction; NotFound when it does not exist or is another
    entity's (for ``principal``), Conflict when it moved on meanwhile."""
    from tutela.rights.selectors import visible_requests

    req = visible_requests(principal).select_for_update().filter(pk=request_id).first()
    if req is None:
        raise NotFound(f"no request {request_id}")
    if expected_version is not None and req.version != expected_version:
        raise Conflict(
            f"request {request_id} was changed by someone else (version {req.version}, you had {expected_version})"
        )
    return req


def request_get(request_id: int) -> RightsRequest:
    req = RightsRequest.objects.filter(pk=request_id).first()
    if req is None:
        raise NotFound(f"no request {request_id}")
    return req


def _verify(req: RightsRequest, *, method: str, by: str) -> None:
    if req.subject_id is None:
        subject = register.resolve(identifier_of(req))
        if subject is not None:
            req.subject = subject
    req.identity_method = method
    req.identity_verified_at = clock.now()
    req.identity_verified_by = by
    req.verification_hash = ""
    if req.status == states.ON_HOLD:
        _close_pause(req)
    _move(req, states.IN_PROGRESS, "request.identity_verified", {"method": method})


def identifier_of(req: RightsRequest) -> str:
    if req.identifier_kind == "subject":
        return crypto.decrypt(req.identifier_sealed, context="request.identifier")
    return (
        crypto.decrypt(req.identifier_sealed, context="request.identifier") if req.identifier_sealed else ""
    )


def reply_address(req: RightsRequest) -> str | None:
    if req.reply_to_sealed:
        return crypto.decrypt(req.reply_to_sealed, context="request.reply_to")
    if req.subject_id is not None:
        return register.email_of(req.subject_id)
    return None


def request_verify(
    *,
    request_id: int,
    code: str | None = None,
    method: str = "staff",
    expected_version: int | None = None,
    principal: Principal | None = None,
) -> RightsRequest:
    """Record the person's identity as verified: staff attestation, or the e-mail code they received.

    A wrong code is counted (kept even though the call fails); after ``MAX_CODE_FAILURES`` wrong codes the code
    is cancelled and only a new one can verify the request."""
    wrong = False
    with transaction.atomic():
        req = locked(request_id, expected_version, principal=principal)
        if req.identity_verified_at is not None:
            raise Conflict(f"request {request_id}: identity already verified")
        if code is not None:
            usable = (
                bool(req.verification_hash)
                and req.verification_expires is not None
                and req.verification_expires >= clock.now()
                and req.verification_failures < MAX_CODE_FAILURES
            )
            if not usable or not secrets.compare_digest(
                req.verification_hash, _digest(f"{req.pk}:{code.strip()}")
            ):
                wrong = True
                if usable:
                    req.verification_failures += 1
                    cancelled = req.verification_failures >= MAX_CODE_FAILURES
                    if cancelled:
                        req.verification_hash = ""
                    audit_log(
                        "request.code_wrong",
                        object_type="request",
                        object_id=req.pk,
                        subject_id=req.subject_id,
                        payload={"failures": req.verification_failures, "cancelled": cancelled},
                    )
                    _save(req)
            else:
                method = "email_code"
        if not wrong:
            _verify(req, method=method, by=current_actor())
            _save(req)
    if wrong:  # raised after the commit, so that the failure count is kept
        raise Refused(
            "the code is wrong or has expired",
            errors=[FieldError("ask for a new code", field="code")],
        )
    return req


def request_code_renew(*, status_token: str) -> None:
    """Send a new e-mail code for a request still waiting for identity (the old code stops working).
    Says nothing about whether the token is known."""
    req = RightsRequest.objects.filter(status_token_hash=_digest(status_token or "")).first()
    if req is None or req.identity_verified_at is not None or req.is_closed:
        return
    with transaction.atomic():
        req = locked(req.pk)
        if not req.reply_to_sealed:
            return
        code = _new_code(req)
        audit_log("request.code_renew", object_type="request", object_id=req.pk, subject_id=req.subject_id)
        _save(req)
        from tutela.rights import letters

        letters.send(req, "verification", code=code, status_token=status_token)


def request_verify_by_token(*, status_token: str, code: str) -> RightsRequest:
    req = RightsRequest.objects.filter(status_token_hash=_digest(status_token)).first()
    if req is None:
        raise NotFound("no such request")
    return request_verify(request_id=req.pk, code=code)


def request_by_token(status_token: str) -> RightsRequest:
    req = RightsRequest.objects.filter(status_token_hash=_digest(status_token or "")).first()
    if req is None:
        raise NotFound("no such request")
    return req


def _recompute_deadline(req: RightsRequest) -> None:
    pauses = [Pause(p.started_on, p.ended_on) for p in req.pauses.all()]
    req.due, req.extended_due = _deadline(received_date(req.received_at), pauses)


def _close_pause(req: RightsRequest) -> None:
    today = clock.today()
    RequestPause.objects.filter(request=req, ended_on__isnull=True).update(ended_on=today)
    _recompute_deadline(req)


def request_pause(
    *, request_id: int, reason: str, expected_version: int | None = None, principal: Principal | None = None
) -> RightsRequest:
    """Stop the clock while waiting for information asked of the person (identity, clarification)."""
    if not (reason or "").strip():
        raise InvalidInput("a pause needs a reason", errors=[FieldError("required", field="reason")])
    with transaction.atomic():
        req = locked(request_id, expected_version, principal=principal)
        req.held_from = req.status
        _move(req, states.ON_HOLD, "request.pause", {"reason_given": True})
        RequestPause.objects.create(
            request=req, started_on=clock.today(), reason=reason.strip(), created_at=clock.now()
        )
        _save(req)
    return req


def request_resume(
    *, request_id: int, expected_version: int | None = None, principal: Principal | None = None
) -> RightsRequest:
    with transaction.atomic():
        req = locked(request_id, expected_version, principal=principal)
        if req.status != states.ON_HOLD:
            raise Conflict(f"request {request_id} is {req.status}, not on hold")
        target = req.held_from or states.IDENTITY_PENDING
        if target == states.RECEIVED:
            target = states.IDENTITY_PENDING
        _close_pause(req)
        _move(req, target, "request.resume", {"due": req.due.isoformat()})
        req.held_from = ""
        _save(req)
    return req


def request_extend(
    *, request_id: int, reason: str, expected_version: int | None = None, principal: Principal | None = None
) -> RightsRequest:
    """Extend by two months (complexity or number of requests); allowed within the first month only, and the
    person is told with the reasons."""
    if not (reason or "").strip():
        raise InvalidInput("an extension needs its reasons", errors=[FieldError("required", field="reason")])
    with transaction.atomic():
        req = locked(request_id, expected_version, principal=principal)
        if req.is_closed:
            raise Conflict(f"request {request_id} is {req.status}")
        if req.extended:
            raise Conflict(f"request {request_id} was already extended")
        if clock.today() > req.due:
            raise Refused(
                f"request {request_id}: the extension must be notified within the first month (by {req.due})"
            )
        req.extended = True
        req.extension_reason = reason.strip()
        audit_log(
            "request.extend",
            object_type="request",
            object_id=req.pk,
            subject_id=req.subject_id,
            payload={"extended_due": req.extended_due.isoformat()},
        )
        _save(req)
        from tutela.rights import letters

        letters.send(req, "extension", reason=req.extension_reason)
    return req


def request_sign(
    *,
    request_id: int,
    signed_on: dt.date,
    signature: str,
    expected_version: int | None = None,
    principal: Principal | None = None,
) -> RightsRequest:
    """Record the dated and signed request (a signature reference or the SHA-256 of the scanned file)."""
    errors = []
    if not (signature or "").strip():
        errors.append(FieldError("a signature reference or file hash is required", field="signature"))
    if signed_on > clock.today():
        errors.append(FieldError("the signature date is in the future", field="signed_on"))
    if errors:
        raise InvalidInput("the signature cannot be recorded", errors=errors)
    with transaction.atomic():
        req = locked(request_id, expected_version, principal=principal)
        if req.is_closed:
            raise Conflict(f"request {request_id} is {req.status}")
        req.signed_on = signed_on
        req.signature_ref = signature.strip()[:300]
        audit_log(
            "request.sign",
            object_type="request",
            object_id=req.pk,
            subject_id=req.subject_id,
            payload={"signed_on": signed_on.isoformat()},
        )
        _save(req)
    return req


def request_withdraw(
    *, request_id: int, expected_version: int | None = None, principal: Principal | None = None
) -> RightsRequest:
    """The person withdraws their request."""
    with transaction.atomic():
        req = locked(request_id, expected_version, principal=principal)
        if req.status == states.ON_HOLD:
            _close_pause(req)
        _move(req, states.WITHDRAWN, "request.withdraw")
        req.answered_at = clock.now()
        _save(req)
    return req


def request_details_update(
    *,
    request_id: int,
    details: dict[str, Any],
    expected_version: int | None = None,
    principal: Principal | None = None,
) -> RightsRequest:
    """Add what the person said (reasons of an objection, new values of a rectification …)."""
    with transaction.atomic():
        req = locked(request_id, expected_version, principal=principal)
        if req.is_closed:
            raise Conflict(f"request {request_id} is {req.status}")
        req.details = {**req.details, **details}
        audit_log(
            "request.details",
            object_type="request",
            object_id=req.pk,
            subject_id=req.subject_id,
            payload={"keys": sorted(details)},
        )
        _save(req)
    return req


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(65536), b""):
            h.update(chunk)
    return h.hexdigest()
