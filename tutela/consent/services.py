"""Use cases of the consent ledger, objections and the suppression list.

Every service is keyword-only, runs in one transaction and writes its audit entry (with ``subject_id``) in
that transaction. The ledger is append-only: giving and withdrawing consent both add an event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from tutela.accounts.principal import Principal
from tutela.consent import selectors
from tutela.consent.models import Channel, ConsentEvent, NewsletterTopic, Objection, Suppression
from tutela.core import clock
from tutela.core.audit import audit_log, current_actor
from tutela.core.crypto import blind_index
from tutela.core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied, Refused
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


def _scope(policy: Policy, purpose: Purpose, controller: str, principal: Principal | None) -> str:
    if principal is not None:
        if not principal.can_write:
            raise PermissionDenied(f"role {principal.role!r} is read-only")
        if not principal.is_group_wide:
            if controller and controller != principal.controller:
                raise PermissionDenied(f"you act for {principal.controller!r}, not {controller!r}")
            controller = principal.controller
    if controller and controller not in purpose.controllers:
        names = ", ".join(purpose.controllers)
        raise InvalidInput(
            f"{controller!r} does not pursue the purpose (its controllers: {names})",
            errors=[FieldError("not a controller of this purpose", field="controller")],
        )
    return controller


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
    person: Subject, policy: Policy, purpose: Purpose, controller: str, *, running: bool
) -> None:
    """Giving consent to a subscription purpose makes the person a subscriber; withdrawing ends it."""
    from tutela.subjects.services import relationship_set

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
                relationship_set(
                    subject=person,
                    controller=ctrl,
                    kind=kind,
                    started_on=rel.started_on if rel and rel.started_on else today,
                    ended_on=None,
                )
            elif not running and rel is not None and rel.ended_on is None:
                relationship_set(subject=person, controller=ctrl, kind=kind, ended_on=today)


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
        recorded_by=current_actor(),
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
    principal: Principal | None = None,
) -> ConsentEvent:
    """Record that the person gave consent, with the proof: when, how, the policy version in force and the
    exact wording shown. ``controller=""`` records consent to every controller pursuing the purpose."""
    policy = active_policy()
    found = _consent_purpose(policy, purpose)
    controller = _scope(policy, found, controller, principal)
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
        )
        _set_subscription(person, policy, found, controller, running=True)
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
    principal: Principal | None = None,
) -> ConsentEvent:
    """Record the withdrawal of consent (as easy as giving it). The person's e-mail addresses and phone
    numbers go on the suppression list for the purpose, so a copy of their data collected elsewhere is not
    used either; giving consent again later lifts that. Refused when there is no consent to withdraw."""
    policy = active_policy()
    found = _consent_purpose(policy, purpose)
    controller = _scope(policy, found, controller, principal)
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
        )
        _set_subscription(person, policy, found, controller, running=False)
        suppression_add(
            lookups=selectors.subject_lookups(person.pk),
            purpose=purpose,
            controller=controller,
            reason="unsubscribe",
            subject_id=person.pk,
        )
    return event


def consent_expire(
    *, subject_id: int, purpose: str, controller: str = "", evidence: str = ""
) -> ConsentEvent:
    """Record that a consent lapsed (for instance a consent the policy renews periodically)."""
    policy = active_policy()
    found = _consent_purpose(policy, purpose)
    controller = _scope(policy, found, controller, None)
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
        )
        _set_subscription(person, policy, found, controller, running=False)
    return event


# --- objections -----------------------------------------------------------------------------------------


def objection_register(
    *,
    subject_id: int,
    purpose: str,
    controller: str | None = None,
    reasons: str | None = None,
    request_ref: str | None = None,
    principal: Principal | None = None,
) -> Objection:
    """Register an objection (Art. 21 GDPR, policy §10.B).

    * direct marketing (prospecting): absolute; no reasons are asked and none are kept; processing stops at
      once and the person's e-mail addresses and phone numbers go on the suppression list;
    * another legitimate-interest purpose: kept as *pending* with the person's reasons (required) for the
      DPO's balancing (``objection_decide``); processing is restricted meanwhile;
    * contract or legal obligation: refused, with the explanation;
    * consent: refused, pointing to the withdrawal of consent, which is what stops such processing.
    """
    policy = active_policy()
    found = policy.purposes.get(purpose)
    if found is None:
        raise InvalidInput(
            f"the purpose {purpose!r} is not in the policy",
            errors=[FieldError(f"choose one of {', '.join(sorted(policy.purposes))}", field="purpose")],
        )
    ctrl = controller or ""
    if ctrl and ctrl not in found.controllers:
        raise InvalidInput(
            f"{ctrl!r} does not pursue the purpose {purpose!r}",
            errors=[FieldError("not a controller of this purpose", field="controller")],
        )
    if principal is not None and not principal.can_write:
        raise PermissionDenied(f"role {principal.role!r} is read-only")
    if found.legal_basis == "consent" and not found.direct_marketing:
        raise Refused(
            f"{found.name!r} rests on consent: the person withdraws their consent instead "
            "(a withdrawal stops the processing at once)"
        )
    rule = found.objection_rule()
    if rule == "none":
        basis = (
            "the performance of a contract"
            if found.legal_basis == "contract"
            else (
                "a legal obligation"
                if found.legal_basis == "legal_obligation"
                else found.legal_basis.replace("_", " ")
            )
        )
        raise Refused(
            f"an objection to {found.name!r} cannot be accepted: the processing is necessary for {basis} "
            "(policy §10.B: no objection against processing needed for a contract, pre-contractual measures "
            "taken at the person's request or a legal or regulatory obligation)"
        )
    absolute = rule == "absolute"
    text = "" if absolute else (reasons or "").strip()
    if not absolute and not text:
        raise InvalidInput(
            f"an objection to {found.name!r} needs serious and legitimate reasons relating to the person's "
            "particular situation (policy §10.B)",
            errors=[FieldError("required for this purpose", field="reasons")],
        )
    with transaction.atomic():
        person = _person(subject_id)
        live = Objection.objects.filter(
            subject=person,
            purpose=purpose,
            controller=ctrl,
            status__in=(Objection.Status.UPHELD, Objection.Status.PENDING),
        ).first()
        if live is not None:
            return live
        now = clock.now()
        obj = Objection.objects.create(
            subject=person,
            purpose=purpose,
            controller=ctrl,
            status=Objection.Status.UPHELD if absolute else Objection.Status.PENDING,
            absolute=absolute,
            reasons=text,
            request_ref=(request_ref or "")[:100],
            received_at=now,
            decided_at=now if absolute else None,
            decided_by="policy: objection to direct marketing is absolute" if absolute else "",
        )
        audit_log(
            "objection.register",
            object_type="objection",
            object_id=obj.pk,
            subject_id=person.pk,
            payload={
                "purpose": purpose,
                "controller": ctrl,
                "status": obj.status,
                "absolute": absolute,
                "request_ref": obj.request_ref,
            },
        )
        if found.legal_basis == "consent":
            current = selectors.current_consent(person.pk, purpose, ctrl or None)
            if current is not None and current["state"] == "given":
                consent_withdraw(
                    subject_id=person.pk,
                    purpose=purpose,
                    controller=ctrl,
                    channel="staff",
                    evidence=f"objection {obj.pk} to direct marketing",
                )
        if absolute:
            suppression_add(
                lookups=selectors.subject_lookups(person.pk),
                purpose=purpose,
                controller=ctrl,
                reason="objection",
                subject_id=person.pk,
            )
    return obj


def objection_decide(
    *, objection_id: int, uphold: bool, balancing: str, principal: Principal | None = None
) -> Objection:
    """The DPO's decision on a pending objection, with the balancing of interests that supports it.

    Upheld: processing for the purpose stops. Rejected: the controller's compelling legitimate grounds
    override the person's interests (the balancing says which), and processing may resume."""
    if principal is not None and not principal.can_decide:
        raise PermissionDenied("only the DPO or a privacy officer decides objections")
    if not (balancing or "").strip():
        raise InvalidInput(
            "the decision must record the balancing of interests",
            errors=[FieldError("required", field="balancing")],
        )
    with transaction.atomic():
        obj = Objection.objects.select_for_update().filter(pk=objection_id).first()
        if obj is None:
            raise NotFound(f"no objection {objection_id}")
        if obj.status != Objection.Status.PENDING:
            raise Conflict(f"objection {objection_id} was already decided ({obj.status})")
        obj.status = Objection.Status.UPHELD if uphold else Objection.Status.REJECTED
        obj.decided_at = clock.now()
        obj.decided_by = principal.actor if principal else current_actor()
        obj.balancing = balancing.strip()
        obj.save(update_fields=["status", "decided_at", "decided_by", "balancing"])
        audit_log(
            "objection.decide",
            object_type="objection",
            object_id=obj.pk,
            subject_id=obj.subject_id,
            payload={"purpose": obj.purpose, "controller": obj.controller, "status": obj.status},
        )
    return obj


# --- suppression list -----------------------------------------------------------------------------------


def suppression_add(
    *,
    purpose: str,
    reason: str,
    lookups: Sequence[tuple[str, str]] = (),
    identifiers_raw: Sequence[tuple[str, str]] = (),
    controller: str = "",
    subject_id: int | None = None,
) -> int:
    """Put identifiers on the suppression list for a purpose: ``lookups`` are (kind, blind index) pairs,
    ``identifiers_raw`` (kind, value) pairs to normalise first. Only keyed hashes are stored; entries have
    no link to the person and survive their erasure. Returns how many entries were new."""
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


def on_subject_merged(sender: Any, *, keep_id: int, duplicate_id: int, **kwargs: Any) -> None:
    """Consents and objections follow a person merged into another record."""
    ConsentEvent.objects.filter(subject_id=duplicate_id).update(subject_id=keep_id)
    Objection.objects.filter(subject_id=duplicate_id).update(subject_id=keep_id)


#: the newsletter's use cases live in ``tutela.consent.newsletter``; they are reachable here too
_NEWSLETTER_NAMES = (
    "newsletter_subscribe",
    "newsletter_confirm",
    "newsletter_unsubscribe",
    "newsletter_preferences_set",
    "newsletter_headers",
    "newsletter_sign",
)


def __getattr__(name: str) -> Any:
    if name in _NEWSLETTER_NAMES:
        from tutela.consent import newsletter

        return getattr(newsletter, name)
    raise AttributeError(name)
