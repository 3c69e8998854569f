"""API routes for consent: the ledger, objections, the suppression list and the newsletter.

Anonymous routes (``auth=None``) serve the portal and mail clients: they take a token or an address and
never return personal data (the same answer whether or not an address is known).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from ninja import Router, Schema

from tutela.accounts.principal import PUBLIC, Principal
from tutela.api.auth import principal
from tutela.core.errors import FieldError, InvalidInput, NotFound, TutelaError

router = Router(tags=["consent"])


class TooManyRequests(TutelaError):
    """Too many attempts from one address or for one e-mail address in the hour (HTTP 429)."""

    exit_code = 1
    http_status = 429


class ConsentIn(Schema):
    identifier: str | None = None
    subject_id: int | None = None
    purpose: str
    controller: str = ""
    channel: str = "api"
    evidence: str = ""
    page: str = ""
    topics: list[str] = []


class ObjectionIn(Schema):
    identifier: str | None = None
    subject_id: int | None = None
    purpose: str
    controller: str | None = None
    reasons: str | None = None
    request_ref: str | None = None


class DecisionIn(Schema):
    uphold: bool
    balancing: str


class SuppressionIn(Schema):
    purpose: str
    reason: str = "objection"
    controller: str = ""
    emails: list[str] = []
    phones: list[str] = []


class SubscribeIn(Schema):
    email: str
    topics: list[str] = []
    language: str = "en"
    controller: str = ""
    page: str = ""


class SignIn(Schema):
    email: str
    controller: str = ""


def _subject_id(identifier: str | None, subject_id: int | None, who: Principal) -> int:
    """The person a call names; someone an identifier finds outside the caller's scope answers like nobody
    (the services answer 404 for an id outside it)."""
    from tutela.accounts.permissions import may_see_subject
    from tutela.consent.selectors import resolve

    if (identifier is None) == (subject_id is None):
        raise InvalidInput(
            "give either an identifier or a subject_id",
            errors=[FieldError("one of them", field="identifier")],
        )
    if subject_id is not None:
        return subject_id
    found, _ = resolve(identifier or "")
    if found is None or not (who.is_group_wide or may_see_subject(who, found)):
        raise NotFound("no one with this identifier is in the register")
    return found


def _client(request: HttpRequest) -> tuple[str | None, str | None]:
    return request.META.get("REMOTE_ADDR"), request.META.get("HTTP_USER_AGENT")


def _consent_answer(event: Any) -> dict[str, Any]:
    from tutela.consent.selectors import current_consent

    current = current_consent(event.subject_id, event.purpose, event.controller or None)
    return {
        "subject": event.subject_id,
        "purpose": event.purpose,
        "controller": event.controller,
        "state": current["state"] if current else None,
        "event": event.pk,
        "at": event.at.isoformat(),
        "policy_version": event.policy_version,
        "wording_sha256": event.wording_sha256,
    }


@router.post("/give")
def give(request: HttpRequest, payload: ConsentIn) -> Any:
    """Record consent with its proof (the wording and policy version in force are added by Tutela)."""
    from tutela.consent.services import consent_give

    ip, agent = _client(request)
    event = consent_give(
        subject_id=_subject_id(payload.identifier, payload.subject_id, principal(request)),
        purpose=payload.purpose,
        controller=payload.controller,
        channel=payload.channel,
        evidence=payload.evidence,
        page=payload.page,
        topics=payload.topics or None,
        ip=ip if payload.page else None,
        user_agent=agent if payload.page else None,
        principal=principal(request),
    )
    return _consent_answer(event)


@router.post("/withdraw")
def withdraw(request: HttpRequest, payload: ConsentIn) -> Any:
    """Record the withdrawal of consent: one call, as easy as giving it."""
    from tutela.consent.services import consent_withdraw

    event = consent_withdraw(
        subject_id=_subject_id(payload.identifier, payload.subject_id, principal(request)),
        purpose=payload.purpose,
        controller=payload.controller,
        channel=payload.channel,
        evidence=payload.evidence,
        page=payload.page,
        principal=principal(request),
    )
    return _consent_answer(event)


@router.get("/subjects/{subject_id}")
def history(request: HttpRequest, subject_id: int) -> Any:
    """A person's consent events (with proof) and objections (entity staff: their entity's and those for
    both entities, never the other entity's)."""
    from tutela.consent.services import consent_history_read

    history = consent_history_read(subject_id=subject_id, principal=principal(request), channel="api")
    return {"subject": subject_id, "consents": history}


@router.post("/objections")
def objection_register(request: HttpRequest, payload: ObjectionIn) -> Any:
    """Register an objection: absolute for direct marketing, otherwise pending the DPO's balancing."""
    from tutela.consent import objections

    obj = objections.objection_register(
        subject_id=_subject_id(payload.identifier, payload.subject_id, principal(request)),
        purpose=payload.purpose,
        controller=payload.controller,
        reasons=payload.reasons,
        request_ref=payload.request_ref,
        principal=principal(request),
    )
    return {
        "id": obj.pk,
        "subject": obj.subject_id,
        "purpose": obj.purpose,
        "status": obj.status,
        "absolute": obj.absolute,
    }


@router.get("/objections/pending")
def objections_pending(request: HttpRequest) -> Any:
    from tutela.consent.selectors import objections_pending as pending

    return {"objections": pending(principal=principal(request))}


@router.post("/objections/{objection_id}/decide")
def objection_decide(request: HttpRequest, objection_id: int, payload: DecisionIn) -> Any:
    """The DPO's decision on a pending objection, with the balancing of interests."""
    from tutela.consent import objections

    obj = objections.objection_decide(
        objection_id=objection_id,
        uphold=payload.uphold,
        balancing=payload.balancing,
        principal=principal(request),
    )
    return {"id": obj.pk, "purpose": obj.purpose, "status": obj.status}


@router.post("/suppressions")
def suppression_add(request: HttpRequest, payload: SuppressionIn) -> Any:
    """Put e-mail addresses or phone numbers on the suppression list (stored as keyed hashes only)."""
    from tutela.accounts.permissions import require_write
    from tutela.consent import services
    from tutela.policy.selectors import active_policy

    who = principal(request)
    require_write(who)
    if payload.purpose not in active_policy().purposes:
        raise InvalidInput("unknown purpose", errors=[FieldError("not in the policy", field="purpose")])
    raw = [("email", e) for e in payload.emails] + [("phone", p) for p in payload.phones]
    # entity staff suppress for their own controller only (the service refuses the other entity's)
    added = services.suppression_add(
        identifiers_raw=raw,
        purpose=payload.purpose,
        controller=payload.controller,
        reason=payload.reason,
        principal=who,
    )
    return {"added": added, "given": len(raw)}


# --- newsletter -----------------------------------------------------------------------------------------


@router.get("/newsletter/topics", auth=None)
def topics(request: HttpRequest, language: str = "en") -> Any:
    from tutela.consent.newsletter import newsletter_topics

    return {"topics": [{"key": k, "name": n} for k, n in newsletter_topics(language)]}


@router.post("/newsletter/subscribe", auth=None)
def subscribe(request: HttpRequest, payload: SubscribeIn) -> Any:
    """Start a double opt-in: a confirmation link goes to the address (valid 48 hours, single use)."""
    from tutela.consent.newsletter import newsletter_subscribe
    from tutela.portal.ratelimit import allow

    # the same hourly limit as the portal's form, per IP address and per e-mail address
    if not allow(request, "newsletter", payload.email):
        raise TooManyRequests(
            "too many subscription attempts; try again later",
            errors=[FieldError("rate limit reached for this address or network", field="email")],
        )
    ip, agent = _client(request)
    newsletter_subscribe(
        email=payload.email,
        topics=payload.topics,
        language=payload.language,
        controller=payload.controller,
        page=payload.page,
        source="api",
        ip=ip,
        user_agent=agent,
        principal=PUBLIC,
    )
    return {"status": "a confirmation link was sent to the address"}


@router.post("/newsletter/confirm/{token}", auth=None)
def confirm(request: HttpRequest, token: str) -> Any:
    from tutela.consent.newsletter import newsletter_confirm

    ip, agent = _client(request)
    answer = newsletter_confirm(token=token, ip=ip, user_agent=agent, principal=PUBLIC)
    return {"subscribed": answer["subscribed"], "topics": answer["topics"]}


@router.post("/unsubscribe/{token}", auth=None)
def unsubscribe(request: HttpRequest, token: str) -> Any:
    """RFC 8058 one-click unsubscribe: a POST (``List-Unsubscribe=One-Click``) unsubscribes at once."""
    from tutela.consent.newsletter import newsletter_unsubscribe

    ip, agent = _client(request)
    newsletter_unsubscribe(token=token, ip=ip, user_agent=agent, principal=PUBLIC)
    return {"unsubscribed": True}


@router.post("/withdraw/{token}", auth=None)
def withdraw_by_link(request: HttpRequest, token: str) -> Any:
    """One-click withdrawal of any consent from the link in a mail (``tutela.consent.links``)."""
    from tutela.consent.links import consent_withdraw_by_token

    ip, agent = _client(request)
    return consent_withdraw_by_token(token=token, ip=ip, user_agent=agent, principal=PUBLIC)


@router.get("/unsubscribe/{token}", auth=None, include_in_schema=False)
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    """A GET (a person following the link) never unsubscribes by itself: it leads to the portal's button."""
    from tutela.consent.newsletter import unsubscribe_page_url

    return HttpResponseRedirect(unsubscribe_page_url(token, request.GET.get("lang", "en")[:2]))


@router.post("/newsletter/sign")
def sign(request: HttpRequest, payload: SignIn) -> Any:
    """The RFC 8058 headers for one recipient of the group's newsletter tool (refused without consent)."""
    from tutela.consent.newsletter import newsletter_sign

    who = principal(request)
    # entity staff and integrations sign for their own entity (asking for none means their own)
    controller = payload.controller if who.is_group_wide else (payload.controller or who.controller)
    return newsletter_sign(email=payload.email, controller=controller, principal=who)
