"""Requests: intake, identity, pauses, extension, signature, withdrawal — each change audited in its transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tutela.accounts.permissions import (
    PUBLIC_ROLE,
    may_act_for,
    may_see_subject,
    require_write,
)
from tutela.accounts.principal import Principal
from tutela.core import clock, crypto
from tutela.core.audit import audit_log
from tutela.core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied, Refused
from tutela.rights import register, states
from tutela.rights.deadlines import Pause, deadline_for
from tutela.rights.models import Channel, RequestPause, RequestType, RightsRequest
from tutela.rights.rules import deadline_settings
from tutela.subjects.models import DataItem, Relationship, Subject

LANGUAGES = ("en", "fr", "nl")
#: types whose scope is one purpose
PURPOSE_TYPES = ("objection", "restriction", "withdrawal")
#: how long an e-mail verification code stays valid
VERIFICATION_HOURS = 48
#: wrong codes after which the code is cancelled (the person asks for a new one)
MAX_CODE_FAILURES = 5
#: how staff may have checked a person's identity (``staff``: in person, or known to us)
STAFF_METHODS = ("staff", "id_document", "phone_callback")
#: channels on which the person is asked to confirm by a code sent to the address held for them
CODE_CHANNELS = ("portal", "email", "api")
#: channels a public caller (the portal, the DPO mailbox) may open a request on
PUBLIC_CHANNELS = ("portal", "email")


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


def request_controllers(req: RightsRequest) -> list[str]:
    """The entities a request is addressed to: its controller, or every entity of the policy (empty)."""
    if req.controller:
        return [req.controller]
    return sorted(_policy().controllers)


def _controllers(controller: str) -> list[str]:
    return [controller] if controller else sorted(_policy().controllers)


def _holds_anything(subject_id: int, controllers: list[str]) -> bool:
    """Whether one of ``controllers`` holds something about the person (an item in use or a relationship)."""
    return (
        DataItem.objects.filter(
            subject_id=subject_id, controller__in=controllers, status__in=register.LIVE_STATUSES
        ).exists()
        or Relationship.objects.filter(subject_id=subject_id, controller__in=controllers).exists()
    )


def _person_in_scope(identifier: str, controllers: list[str], principal: Principal) -> Subject | None:
    """The person ``identifier`` designates, when the request's entities hold something about them and the
    caller may see them; otherwise None — the same answer as for someone nobody holds (no hint that the
    other entity holds them)."""
    subject = register.resolve(identifier)
    if subject is None or not _holds_anything(subject.pk, controllers):
        return None
    scoped = principal.role != PUBLIC_ROLE and not principal.is_group_wide
    if scoped and not may_see_subject(principal, subject.pk):
        return None
    return subject


def held_contact(req: RightsRequest) -> str | None:
    """The e-mail address held for the request's person by the request's entities — the only address a
    code, a private link, an answer or a package goes to. The address the person wrote with is preferred
    when it is one of those held; ``reply_to`` never is a destination (it is a note for staff)."""
    if req.subject_id is None:
        return None
    items = list(
        DataItem.objects.filter(
            subject_id=req.subject_id,
            category="user.contact.email",
            controller__in=request_controllers(req),
            status__in=register.LIVE_STATUSES,
        ).order_by("-collected_at", "-id")
    )
    if not items:
        return None
    values = [register.item_value(i) for i in items]
    given = identifier_of(req).strip().lower() if req.identifier_kind == "email" else ""
    for value in values:
        if given and value.strip().lower() == given:
            return value
    return values[0]


def letter_address(req: RightsRequest) -> str | None:
    """Where letters about the request go: the contact held for the person; for a request about nobody we
    hold, the e-mail address that was looked up (its owner learns only that nothing is held under it)."""
    if req.subject_id is not None:
        return held_contact(req)
    if req.identifier_kind == "email" and req.identifier_sealed:
        return identifier_of(req)
    return None


def _check_principal_open(
    principal: Principal, *, channel: str, controller: str, verified: bool, errors: list[FieldError]
) -> str:
    """Who may open what; returns the request's controller (an entity's staff always open for their own)."""
    if principal.role == PUBLIC_ROLE:
        if verified:
            raise PermissionDenied("a public request cannot be recorded as verified")
        if channel not in PUBLIC_CHANNELS:
            errors.append(FieldError(f"one of {', '.join(PUBLIC_CHANNELS)}", field="channel"))
        return controller
    require_write(principal)
    if principal.is_group_wide:
        return controller
    if not principal.controller:
        raise PermissionDenied(f"role {principal.role!r} without an entity may not register requests")
    if controller and not may_act_for(principal, controller):
        raise PermissionDenied(
            f"staff of {principal.controller} cannot open a request for {controller}",
            errors=[FieldError(f"only {principal.controller} (or empty)", field="controller")],
        )
    return principal.controller


def request_open(
    *,
    type: str,
    identifier: str,
    channel: str,
    principal: Principal,
    received_at: dt.datetime | None = None,
    language: str | None = None,
    purpose: str = "",
    controller: str = "",
    verified: bool = False,
    identity_method: str = "staff",
    identity_how: str = "",
    reply_to: str = "",
    details: dict[str, Any] | None = None,
    message_id: str | None = None,
    signed_on: dt.date | None = None,
    signature: str = "",
) -> Opened:
    """Register a request; the deadline runs from ``received_at`` (now when not given).

    ``principal`` decides the scope: an entity's staff open requests for their own entity only, and for a
    person their entity holds (anyone else is treated as nobody held — no hint); the public (portal, the
    DPO mailbox) open unverified requests only. Staff who checked the person's identity pass
    ``verified=True`` with ``identity_method`` (and ``identity_how``); otherwise the request waits for
    identity and a code goes to the e-mail address held for the person — never to ``reply_to``, which is
    kept as a note. A public request about nobody held is answered at once: nothing is held.
    """
    errors = _validate_open(
        type=type, channel=channel, language=language, purpose=purpose, controller=controller
    )
    controller = _check_principal_open(
        principal, channel=channel, controller=controller, verified=verified, errors=errors
    )
    if verified and identity_method not in STAFF_METHODS:
        errors.append(FieldError(f"one of {', '.join(STAFF_METHODS)}", field="identity_method"))
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
            if not identifier.startswith("subject:") or principal.role == PUBLIC_ROLE:
                errors.extend(exc.errors or [FieldError(exc.message, field="identifier")])
            else:
                kind, normalised = "subject", identifier
    if signature and signed_on is None:
        errors.append(FieldError("the date of the signature is required", field="signed_on"))
    if signed_on is not None and signed_on > clock.today():
        errors.append(FieldError("the signature date is in the future", field="signed_on"))
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
    subject = _person_in_scope(identifier, _controllers(controller), principal)
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
                "controller": controller,
                "received": received_at.isoformat(),
                "due": due.isoformat(),
                "resolved": subject is not None,
                "reply_to_noted": bool(reply_to),
            },
            actor=principal.actor,
        )
        if signature:
            assert signed_on is not None
            _record_signature(req, signed_on=signed_on, signature=signature, principal=principal)
        from tutela.rights import letters

        nothing_held = subject is None and principal.role == PUBLIC_ROLE
        if nothing_held:
            _answer_nothing_held(req, principal)
        elif verified:
            _verify(req, method=identity_method, how=identity_how, principal=principal)
        else:
            _move(req, states.IDENTITY_PENDING, "request.identity_pending", actor=principal.actor)
            if subject is not None and channel in CODE_CHANNELS and held_contact(req):
                code = _new_code(req)
        _save(req)
        if not nothing_held:
            letters.send(req, "acknowledgement", principal=principal)
        if code is not None:
            letters.send(req, "verification", code=code, status_token=token, principal=principal)
    return Opened(req, token, code)


def _answer_nothing_held(req: RightsRequest, principal: Principal) -> None:
    """A public request about nobody held: closed at once; the looked-up address (if any) is told that
    nothing is held. No code is sent: there is nobody to prove to be."""
    from tutela.rights import letters

    req.outcome = "no_data"
    req.reasons = ["We hold no personal data about you."]
    req.answered_at = clock.now()
    _move(req, states.ANSWERED, "request.fulfil", {"outcome": "no_data", "reasons": 1}, actor=principal.actor)
    letters.send(req, "answer", reasons=req.reasons, recipients=[], partial=False, principal=principal)


def _new_code(req: RightsRequest) -> str:
    code = f"{secrets.randbelow(10**6):06d}"
    req.verification_hash = _digest(f"{req.pk}:{code}")
    req.verification_expires = clock.now() + dt.timedelta(hours=VERIFICATION_HOURS)
    req.verification_failures = 0
    req.identity_method = "email_code"
    return code


def _move(
    req: RightsRequest,
    target: str,
    action: str,
    payload: dict[str, Any] | None = None,
    *,
    actor: str | None = None,
) -> None:
    states.check_move(req.status, target, request_id=req.pk)
    before = req.status
    req.status = target
    audit_log(
        action,
        object_type="request",
        object_id=req.pk,
        subject_id=req.subject_id,
        payload={"from": before, "to": target, **(payload or {})},
        actor=actor,
    )


def _save(req: RightsRequest) -> None:
    """Write the request, bumping its version; the row is locked by the caller (or just created)."""
    req.updated_at = clock.now()
    req.version += 1
    req.save()


def locked(request_id: int, expected_version: int | None = None, *, principal: Principal) -> RightsRequest:
    """The request row, locked for the rest of the transaction; NotFound when it does not exist or is
    outside ``principal``'s scope, Conflict when it moved on meanwhile."""
    from tutela.rights.selectors import visible_requests

    req = visible_requests(principal).select_for_update(of=("self",)).filter(pk=request_id).first()
    if req is None:
        raise NotFound(f"no request {request_id}")
    if expected_version is not None and req.version != expected_version:
        raise Conflict(
            f"request {request_id} was changed by someone else (version {req.version}, you had {expected_version})"
        )
    return req


def _locked_writable(request_id: int, expected_version: int | None, principal: Principal) -> RightsRequest:
    require_write(principal)
    return locked(request_id, expected_version, principal=principal)


def request_get(request_id: int, *, principal: Principal) -> RightsRequest:
    from tutela.rights.selectors import visible_requests

    req = visible_requests(principal).filter(pk=request_id).first()
    if req is None:
        raise NotFound(f"no request {request_id}")
    return req


def _verify(req: RightsRequest, *, method: str, how: str = "", principal: Principal) -> None:
    if req.subject_id is None:
        subject = _person_in_scope(identifier_of(req), request_controllers(req), principal)
        if subject is not None:
            req.subject = subject
    req.identity_method = method
    req.identity_verified_at = clock.now()
    req.identity_verified_by = principal.actor[:150]
    req.identity_how = (how or "").strip()[:300]
    req.verification_hash = ""
    if req.status == states.ON_HOLD:
        _close_pause(req)
    _move(
        req,
        states.IN_PROGRESS,
        "request.identity_verified",
        {"method": method, "by": req.identity_verified_by, "how_given": bool(req.identity_how)},
        actor=principal.actor,
    )


def identifier_of(req: RightsRequest) -> str:
    return (
        crypto.decrypt(req.identifier_sealed, context="request.identifier") if req.identifier_sealed else ""
    )


def reply_to_note(req: RightsRequest) -> str:
    """The address the person asked to be answered at: a note for staff, never where Tutela writes to."""
    return crypto.decrypt(req.reply_to_sealed, context="request.reply_to") if req.reply_to_sealed else ""


def _code_matches(req: RightsRequest, code: str, principal: Principal) -> bool:
    """Check ``code`` against the request's current code; a wrong one is counted against that code (and
    cancels it at ``MAX_CODE_FAILURES``), never against the request: a new code starts afresh."""
    usable = (
        bool(req.verification_hash)
        and req.verification_expires is not None
        and req.verification_expires >= clock.now()
        and req.verification_failures < MAX_CODE_FAILURES
    )
    if usable and secrets.compare_digest(req.verification_hash, _digest(f"{req.pk}:{code.strip()}")):
        return True
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
            actor=principal.actor,
        )
        _save(req)
    return False


def _wrong_code() -> Refused:
    return Refused(
        "the code is wrong or has expired", errors=[FieldError("ask for a new code", field="code")]
    )


def request_verify(
    *,
    request_id: int,
    principal: Principal,
    code: str | None = None,
    method: str = "staff",
    how: str = "",
    expected_version: int | None = None,
) -> RightsRequest:
    """Staff record the person's identity as verified: their own check (``method``, and ``how`` in words;
    the principal is recorded as who checked), or the e-mail code the person read out to them.

    A wrong code is counted against the code (kept even though the call fails). The public verify with the
    private link's token instead (:func:`request_verify_by_token`)."""
    if principal.role == PUBLIC_ROLE:
        raise PermissionDenied("the public confirm a request with the link and the code of the e-mail")
    if code is None and method not in STAFF_METHODS:
        raise InvalidInput(
            "choose how the identity was checked",
            errors=[FieldError(f"one of {', '.join(STAFF_METHODS)}", field="method")],
        )
    wrong = False
    with transaction.atomic():
        req = _locked_writable(request_id, expected_version, principal)
        if req.identity_verified_at is not None:
            raise Conflict(f"request {request_id}: identity already verified")
        if code is not None:
            wrong = not _code_matches(req, code, principal)
            method, how = "email_code", ""
        if not wrong:
            _verify(req, method=method, how=how, principal=principal)
            _save(req)
    if wrong:  # raised after the commit, so that the failure count is kept
        raise _wrong_code()
    return req


def _by_token(status_token: str, *, lock: bool = False) -> RightsRequest | None:
    token = (status_token or "").strip()
    if not token:
        return None
    qs = RightsRequest.objects.filter(status_token_hash=_digest(token))
    if lock:
        qs = qs.select_for_update()
    return qs.first()


def request_verify_by_token(*, status_token: str, code: str, principal: Principal) -> RightsRequest:
    """The person confirms with the private link (its token) and the code of the same e-mail, both sent
    only to the address held for them. Wrong codes count against that code, bounded per code."""
    wrong = False
    with transaction.atomic():
        req = _by_token(status_token, lock=True)
        if req is None:
            raise NotFound("no such request")
        if req.identity_verified_at is not None:
            raise Conflict("identity already verified")
        if req.is_closed:
            raise Conflict(f"the request is {req.status}")
        wrong = not _code_matches(req, code or "", principal)
        if not wrong:
            _verify(req, method="email_code", principal=principal)
            _save(req)
    if wrong:
        raise _wrong_code()
    return req


def request_code_renew(*, status_token: str, principal: Principal) -> None:
    """Send a new e-mail code for a request still waiting for identity (the old code stops working), to
    the address held for the person. Says nothing about whether the token is known."""
    with transaction.atomic():
        req = _by_token(status_token, lock=True)
        if req is None or req.identity_verified_at is not None or req.is_closed or req.subject_id is None:
            return
        if not held_contact(req):
            return
        code = _new_code(req)
        audit_log(
            "request.code_renew",
            object_type="request",
            object_id=req.pk,
            subject_id=req.subject_id,
            actor=principal.actor,
        )
        _save(req)
        from tutela.rights import letters

        letters.send(req, "verification", code=code, status_token=status_token, principal=principal)


def request_by_token(status_token: str, *, principal: Principal) -> RightsRequest:
    """The request a private link designates (the token is the proof; ``principal`` names the caller)."""
    req = _by_token(status_token)
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
    *, request_id: int, reason: str, principal: Principal, expected_version: int | None = None
) -> RightsRequest:
    """Stop the clock while waiting for information asked of the person (identity, clarification)."""
    if not (reason or "").strip():
        raise InvalidInput("a pause needs a reason", errors=[FieldError("required", field="reason")])
    with transaction.atomic():
        req = _locked_writable(request_id, expected_version, principal)
        req.held_from = req.status
        _move(req, states.ON_HOLD, "request.pause", {"reason_given": True}, actor=principal.actor)
        RequestPause.objects.create(
            request=req, started_on=clock.today(), reason=reason.strip(), created_at=clock.now()
        )
        _save(req)
    return req


def request_resume(
    *, request_id: int, principal: Principal, expected_version: int | None = None
) -> RightsRequest:
    with transaction.atomic():
        req = _locked_writable(request_id, expected_version, principal)
        if req.status != states.ON_HOLD:
            raise Conflict(f"request {request_id} is {req.status}, not on hold")
        target = req.held_from or states.IDENTITY_PENDING
        if target == states.RECEIVED:
            target = states.IDENTITY_PENDING
        _close_pause(req)
        _move(req, target, "request.resume", {"due": req.due.isoformat()}, actor=principal.actor)
        req.held_from = ""
        _save(req)
    return req


def request_extend(
    *, request_id: int, reason: str, principal: Principal, expected_version: int | None = None
) -> RightsRequest:
    """Extend by two months (complexity or number of requests); allowed within the first month only, and the
    person is told with the reasons."""
    if not (reason or "").strip():
        raise InvalidInput("an extension needs its reasons", errors=[FieldError("required", field="reason")])
    with transaction.atomic():
        req = _locked_writable(request_id, expected_version, principal)
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
            actor=principal.actor,
        )
        _save(req)
        from tutela.rights import letters

        letters.send(req, "extension", reason=req.extension_reason, principal=principal)
    return req


def request_sign(
    *,
    request_id: int,
    signed_on: dt.date,
    signature: str,
    principal: Principal,
    expected_version: int | None = None,
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
        req = _locked_writable(request_id, expected_version, principal)
        if req.is_closed:
            raise Conflict(f"request {request_id} is {req.status}")
        _record_signature(req, signed_on=signed_on, signature=signature, principal=principal)
        _save(req)
    return req


def _record_signature(
    req: RightsRequest, *, signed_on: dt.date, signature: str, principal: Principal
) -> None:
    req.signed_on = signed_on
    req.signature_ref = signature.strip()[:300]
    audit_log(
        "request.sign",
        object_type="request",
        object_id=req.pk,
        subject_id=req.subject_id,
        payload={"signed_on": signed_on.isoformat()},
        actor=principal.actor,
    )


def request_withdraw(
    *, request_id: int, principal: Principal, expected_version: int | None = None
) -> RightsRequest:
    """The person withdraws their request."""
    with transaction.atomic():
        req = _locked_writable(request_id, expected_version, principal)
        if req.status == states.ON_HOLD:
            _close_pause(req)
        _move(req, states.WITHDRAWN, "request.withdraw", actor=principal.actor)
        req.answered_at = clock.now()
        _save(req)
    return req


def request_details_update(
    *,
    request_id: int,
    details: dict[str, Any],
    principal: Principal,
    expected_version: int | None = None,
) -> RightsRequest:
    """Add what the person said (reasons of an objection, new values of a rectification …)."""
    with transaction.atomic():
        req = _locked_writable(request_id, expected_version, principal)
        if req.is_closed:
            raise Conflict(f"request {request_id} is {req.status}")
        req.details = {**req.details, **details}
        audit_log(
            "request.details",
            object_type="request",
            object_id=req.pk,
            subject_id=req.subject_id,
            payload={"keys": sorted(details)},
            actor=principal.actor,
        )
        _save(req)
    return req


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(65536), b""):
            h.update(chunk)
    return h.hexdigest()
