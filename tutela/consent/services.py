"""Use cases of the consent ledger, objections and the suppression list.

Every service is keyword-only, runs in one transaction and writes its audit entry (with ``subject_id``) in
that transaction. The ledger is append-only: giving and withdrawing consent both add an event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from tutela.accounts.permissions import acting_controller, require_subject
from tutela.accounts.principal import Principal
from tutela.consent import selectors
from tutela.consent.models import Channel, ConsentEvent, NewsletterTopic, Objection, Suppression
from tutela.core import clock
from tutela.core.audit import audit_log
from tutela.core.crypto import blind_index
from tutela.core.errors import FieldError, InvalidInput, NotFound, Refused
from tutela.policy.schema import Policy, Purpose
from tutela.policy.selectors import active_policy, active_version
from tutela.subjects import identifiers
from tutela.subjects.models import Relationship, Subject

AUDIT_ACTIONS = {"given": "consent.give", "withdrawn": "consent.withdraw", "expired": "consent.expire"}


def request_fingerprint(ip: str | None, user_agent: str | None) -> str:
    """Keyed hash of a web request's IP address and user agent: proof of the request, never the values."""
    if not ip and not user_agent:
        return ""
    return blind_index("consent-request", f"{ip or ''}\x1f{user_agent or ''}")


def wording_digest(wording: str) -> str:
    return hashlib.sha256(wording.encode("utf-8")).hexdigest()


def _consent_purpose(policy: Policy, purpose: str) -> Purpose:
    found = policy.purposes.get(purpose)
    if found is None:
        raise InvalidInput(
            f"the purpose {purpose!r} is not in the policy",
            errors=[FieldError(f"choose one of {', '.join(sorted(policy.purposes))}", field="purpose")],
        )
    if found.legal_basis != "consent":
        raise InvalidInput(
            f"the purpose {purpose!r} rests on {found.legal_basis.replace('_', ' ')}, not on consent: "
            "there is no consent to give or withdraw",
            errors=[FieldError("not a consent purpose", field="purpose")],
        )
    if found.consent is None:
        raise InvalidInput(
            f"the policy gives no consent wording for {purpose!r}",
            errors=[FieldError("the purpose has no consent.wording", field="purpose")],
        )
    return found


def _scope(purpose: Purpose, controller: str) -> str:
    """The controller a consent event is recorded for, checked against the purpose's controllers."""
    if controller and controller not in purpose.controllers:
        names = ", ".join(purpose.controllers)
        raise InvalidInput(
            f"{controller!r} does not pursue the purpose (its controllers: {names})",
            errors=[FieldError("not a controller of this purpose", field="controller")],
        )
    return controller


def _authorise(principal: Principal, purpose: Purpose, controller: str | None, subject_id: int) -> str:
    """Who may record consent, a withdrawal or an objection, and for which controller.

    Group-wide roles for any controller of the purpose (``""``: every one of them); an entity's staff and
    integrations only for their own entity (asking for none means their own) and only for people already
    in their scope, so that recording consent never pulls someone only the other entity holds into their
    view, nor switches off the other entity's processing. Out-of-scope people answer NotFound."""
    chosen = _scope(purpose, acting_controller(principal, controller))
    if not principal.is_group_wide:
        require_subject(principal, subject_id)
    return chosen


#: other words front ends use for a channel
CHANNEL_ALIASES = {"web": "portal", "post": "paper", "letter": "paper", "mail": "email"}


def _channel(channel: str) -> str:
    channel = CHANNEL_ALIASES.get(channel, channel)
    if channel not in Channel.values:
        raise InvalidInput(
            f"unknown channel {channel!r}",
            errors=[FieldError(f"choose one of {', '.join(Channel.values)}", field="channel")],
        )
    return channel


def _person(subject_id: int, *, lock: bool = True) -> Subject:
    qs = Subject.objects.select_for_update() if lock else Subject.objects
    person = qs.filter(pk=subject_id).first()
    if person is None:
        raise NotFound(f"no person with id {subject_id}")
    if person.erased_at is not None:
        raise Refused(f"person {subject_id} was erased; nothing can be recorded for them")
    return person


def _topics(topics: Sequence[str] | None) -> list[str]:
    if not topics:
        return []
    wanted = list(dict.fromkeys(t.strip() for t in topics if t and t.strip()))
    known = set(NewsletterTopic.objects.filter(key__in=wanted, active=True).values_list("key", flat=True))
    unknown = [t for t in wanted if t not in known]
    if unknown:
        available = ", ".join(NewsletterTopic.objects.filter(active=True).values_list("key", flat=True))
        raise InvalidInput(
            f"unknown newsletter topic(s): {', '.join(unknown)}",
            errors=[FieldError(f"available topics: {available or 'none'}", field="topics")],
        )
    return wanted


def _subscription_kinds(policy: Policy, purpose: Purpose) -> list[str]:
    return [
        k
        for k in purpose.subject_types
        if k in policy.subject_types and policy.subject_types[k].relationship == "subscription"
    ]


def _set_subscription(
    person: Subject, policy: Policy, purpose: Purpose, controller: str, *, running: bool, actor: str
) -> None:
    """Giving consent to a subscription purpose makes the person a subscriber; withdrawing ends it.

    Only for the controller the consent is recorded for (``""``: every controller of the purpose), which
    the caller was authorised for."""
    from tutela.subjects.services import _relationship_set

    kinds = _subscription_kinds(policy, purpose)
    controllers = [controller] if controller else list(purpose.controllers)
    today = clock.today()
    existing = {
        (r.controller, r.kind): r
        for r in Relationship.objects.filter(subject=person, controller__in=controllers, kind__in=kinds)
    }
    for ctrl in controllers:
        for kind in kinds:
            rel = existing.get((ctrl, kind))
            if running and (rel is None or rel.ended_on is not None):
                started = rel.started_on if rel and rel.started_on else today
                _relationship_set(
                    person=person,
                    controller=ctrl,
                    kind=kind,
                    given={"started_on": started, "ended_on": None},
                    actor=actor,
                )
            elif not running and rel is not None and rel.ended_on is None:
                _relationship_set(
                    person=person, controller=ctrl, kind=kind, given={"ended_on": today}, actor=actor
                )


def _record(
    *,
    person: Subject,
    purpose_key: str,
    purpose: Purpose,
    controller: str,
    kind: str,
    channel: str,
    evidence: str,
    page: str,
    ip: str | None,
    user_agent: str | None,
    topics: list[str],
    actor: str,
    request_hash: str | None = None,
) -> ConsentEvent:
    assert purpose.consent is not None
    wording = purpose.consent.wording
    event = ConsentEvent.objects.create(
        subject=person,
        purpose=purpose_key,
        controller=controller,
        kind=kind,
        at=clock.now(),
        channel=channel,
        policy_version=active_version().number,
        wording=wording,
        wording_sha256=wording_digest(wording),
        page=(page or "")[:500],
        request_hash=request_hash if request_hash is not None else request_fingerprint(ip, user_agent),
        evidence=evidence or "",
        topics=topics,
        recorded_by=actor,
    )
    audit_log(
        AUDIT_ACTIONS[kind],
        object_type="consent_event",
        object_id=event.pk,
        subject_id=person.pk,
        payload={
            "purpose": purpose_key,
            "controller": controller,
            "event": kind,
            "channel": channel,
            "policy_version": event.policy_version,
            "wording_sha256": event.wording_sha256,
            "topics": topics,
        },
        actor=actor,
    )
    return event


def consent_give(
    *,
    subject_id: int,
    purpose: str,
    controller: str = "",
    channel: str = "staff",
    evidence: str = "",
    page: str = "",
    ip: str | None = None,
    user_agent: str | None = None,
    topics: Sequence[str] | None = None,
    request_hash: str | None = None,
    principal: Principal,
) -> ConsentEvent:
    """Record that the person gave consent, with the proof: when, how, the policy version in force and the
    exact wording shown. ``controller=""`` records consent to every controller pursuing the purpose (for a
    group-wide role; an entity's staff record it for their own entity, for people in their scope)."""
    found = _consent_purpose(active_policy(), purpose)
    controller = _authorise(principal, found, controller, subject_id)
    return _give(
        subject_id=subject_id,
        purpose=purpose,
        controller=controller,
        channel=channel,
        evidence=evidence,
        page=page,
        ip=ip,
        user_agent=user_agent,
        topics=topics,
        request_hash=request_hash,
        actor=principal.actor,
    )


def _give(
    *,
    subject_id: int,
    purpose: str,
    controller: str,
    channel: str,
    evidence: str,
    page: str,
    ip: str | None,
    user_agent: str | None,
    topics: Sequence[str] | None,
    request_hash: str | None,
    actor: str,
) -> ConsentEvent:
    """The change :func:`consent_give` makes once the caller is authorised; the public flows (the
    newsletter's double opt-in) call it after checking their own proof (the mailed token)."""
    policy = active_policy()
    found = _consent_purpose(policy, purpose)
    controller = _scope(found, controller)
    channel = _channel(channel)
    chosen = _topics(topics)
    with transaction.atomic():
        person = _person(subject_id)
        event = _record(
            person=person,
            purpose_key=purpose,
            purpose=found,
            controller=controller,
            kind="given",
            channel=channel,
            evidence=evidence,
            page=page,
            ip=ip,
            user_agent=user_agent,
            topics=chosen,
            request_hash=request_hash,
            actor=actor,
        )
        _set_subscription(person, policy, found, controller, running=True, actor=actor)
    return event


def consent_withdraw(
    *,
    subject_id: int,
    purpose: str,
    controller: str = "",
    channel: str = "staff",
    evidence: str = "",
    page: str = "",
    ip: str | None = None,
    user_agent: str | None = None,
    principal: Principal,
) -> ConsentEvent:
    """Record the withdrawal of consent (as easy as giving it). The person's e-mail addresses and phone
    numbers go on the suppression list for the purpose, so a copy of their data collected elsewhere is not
    used either; giving consent again later lifts that. Refused when there is no consent to withdraw.
    An entity's staff withdraw for their own entity only (people in their scope)."""
    found = _consent_purpose(active_policy(), purpose)
    controller = _authorise(principal, found, controller, subject_id)
    return _withdraw(
        subject_id=subject_id,
        purpose=purpose,
        controller=controller,
        channel=channel,
        evidence=evidence,
        page=page,
        ip=ip,
        user_agent=user_agent,
        actor=principal.actor,
    )


def _withdraw(
    *,
    subject_id: int,
    purpose: str,
    controller: str,
    channel: str,
    evidence: str,
    page: str,
    ip: str | None,
    user_agent: str | None,
    actor: str,
) -> ConsentEvent:
    """The change :func:`consent_withdraw` makes once the caller is authorised; the public flows (a
    signed withdrawal or unsubscribe link) call it after checking the link."""
    policy = active_policy()
    found = _consent_purpose(policy, purpose)
    controller = _scope(found, controller)
    channel = _channel(channel)
    with transaction.atomic():
        person = _person(subject_id)
        current = selectors.current_consent(person.pk, purpose, controller or None)
        if current is None or current["state"] != "given":
            state = (
                "never given" if current is None else f"already {current['state']} on {current['at'][:10]}"
            )
            raise Refused(f"no consent to withdraw for {purpose!r}: {state}")
        event = _record(
            person=person,
            purpose_key=purpose,
            purpose=found,
            controller=controller,
            kind="withdrawn",
            channel=channel,
            evidence=evidence,
            page=page,
            ip=ip,
            user_agent=user_agent,
            topics=[],
            actor=actor,
        )
        _set_subscription(person, policy, found, controller, running=False, actor=actor)
        _suppress(
            lookups=selectors.subject_lookups(person.pk),
            purpose=purpose,
            controller=controller,
            reason="unsubscribe",
            subject_id=person.pk,
            actor=actor,
        )
    return event


def consent_expire(
    *, subject_id: int, purpose: str, controller: str = "", evidence: str = "", principal: Principal
) -> ConsentEvent:
    """Record that a consent lapsed (for instance a consent the policy renews periodically)."""
    policy = active_policy()
    found = _consent_purpose(policy, purpose)
    controller = _authorise(principal, found, controller, subject_id)
    with transaction.atomic():
        person = _person(subject_id)
        current = selectors.current_consent(person.pk, purpose, controller or None)
        if current is None or current["state"] != "given":
            raise Refused(f"no running consent to {purpose!r} can expire")
        event = _record(
            person=person,
            purpose_key=purpose,
            purpose=found,
            controller=controller,
            kind="expired",
            channel="staff",
            evidence=evidence,
            page="",
            ip=None,
            user_agent=None,
            topics=[],
            actor=principal.actor,
        )
        _set_subscription(person, policy, found, controller, running=False, actor=principal.actor)
    return event


# --- suppression list -----------------------------------------------------------------------------------


def suppression_add(
    *,
    purpose: str,
    reason: str,
    lookups: Sequence[tuple[str, str]] = (),
    identifiers_raw: Sequence[tuple[str, str]] = (),
    controller: str = "",
    subject_id: int | None = None,
    principal: Principal,
) -> int:
    """Put identifiers on the suppression list for a purpose: ``lookups`` are (kind, blind index) pairs,
    ``identifiers_raw`` (kind, value) pairs to normalise first. Only keyed hashes are stored; entries have
    no link to the person and survive their erasure. Returns how many entries were new.

    An entity's staff suppress for their own entity only (``controller=""`` means their own); group-wide
    roles for any controller or the whole group."""
    controller = acting_controller(principal, controller)
    if subject_id is not None and not principal.is_group_wide:
        require_subject(principal, subject_id)
    return _suppress(
        purpose=purpose,
        reason=reason,
        lookups=lookups,
        identifiers_raw=identifiers_raw,
        controller=controller,
        subject_id=subject_id,
        actor=principal.actor,
    )


def _suppress(
    *,
    purpose: str,
    reason: str,
    lookups: Sequence[tuple[str, str]] = (),
    identifiers_raw: Sequence[tuple[str, str]] = (),
    controller: str,
    subject_id: int | None,
    actor: str,
) -> int:
    pairs = [(k, lk) for k, lk in lookups if k in selectors.SUPPRESSION_KINDS and lk]
    errors: list[FieldError] = []
    for n, (kind, raw) in enumerate(identifiers_raw):
        if kind not in selectors.SUPPRESSION_KINDS:
            errors.append(FieldError(f"kind must be email or phone, not {kind!r}", field=f"identifiers.{n}"))
            continue
        try:
            pairs.append((kind, identifiers.lookup_for(kind, raw)))
        except InvalidInput as exc:
            errors.append(FieldError(exc.message, field=f"identifiers.{n}"))
    if errors:
        raise InvalidInput("cannot add to the suppression list", errors=errors)
    if not pairs:
        return 0
    with transaction.atomic():
        now = clock.now()
        existing = set(
            Suppression.objects.filter(
                lookup__in=[lk for _, lk in pairs], purpose=purpose, controller=controller
            ).values_list("lookup", flat=True)
        )
        new = {
            lk: Suppression(
                lookup=lk, kind=k, purpose=purpose, controller=controller, reason=reason, created_at=now
            )
            for k, lk in pairs
            if lk not in existing
        }
        Suppression.objects.bulk_create(list(new.values()), ignore_conflicts=True)
        audit_log(
            "suppression.add",
            object_type="suppression",
            object_id=purpose,
            subject_id=subject_id,
            payload={"purpose": purpose, "controller": controller, "reason": reason, "entries": len(new)},
            actor=actor,
        )
    return len(new)


def subject_erase_records(*, subject_id: int) -> dict[str, int]:
    """Erasure of a person: their consent events and objections go; the suppression list (keyed hashes with
    no link to the person) stays, so prospecting and newsletters stay blocked if they are collected again."""
    with transaction.atomic():
        consents, _ = ConsentEvent.objects.filter(subject_id=subject_id).delete()
        objections, _ = Objection.objects.filter(subject_id=subject_id).delete()
        audit_log(
            "consent.erase",
            object_type="subject",
            object_id=subject_id,
            subject_id=subject_id,
            payload={"consent_events": consents, "objections": objections},
        )
    return {"consent_events": consents, "objections": objections}


#: the newsletter's use cases live in ``tutela.consent.newsletter``; they are reachable here too
_ELSEWHERE = {
    "objection_register": "tutela.consent.objections",
    "objection_decide": "tutela.consent.objections",
}
_NEWSLETTER_NAMES = (
    "newsletter_subscribe",
    "newsletter_confirm",
    "newsletter_unsubscribe",
    "newsletter_preferences_set",
    "newsletter_headers",
    "newsletter_sign",
)


def __getattr__(name: str) -> Any:
    if name in _ELSEWHERE:
        import importlib

        return getattr(importlib.import_module(_ELSEWHERE[name]), name)
    if name in _NEWSLETTER_NAMES:
        from tutela.consent import newsletter

        return getattr(newsletter, name)
    raise AttributeError(name)


def consent_history_read(*, subject_id: int, principal: Principal, channel: str) -> list[dict[str, Any]]:
    """A person's consent events (with their proof) and objections as ``principal`` may see them, with the
    read recorded in the audit trail under the principal's name (policy §9: every read of personal data)."""
    from tutela.subjects.reading import subjects_read_logged

    history = selectors.consents_of_subject(subject_id, principal=principal)
    subjects_read_logged(principal, [subject_id], channel=channel, what="consents_read")
    return history
