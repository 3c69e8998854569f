"""Objections (Art. 21 GDPR, policy §10.B): registration by the policy's rule and the DPO's decision.

Also reachable as ``tutela.consent.services.objection_register`` / ``objection_decide``.
"""

from __future__ import annotations

from django.db import transaction

from tutela.accounts.permissions import may_act_for, require_decide
from tutela.accounts.principal import Principal
from tutela.consent import selectors
from tutela.consent.models import Objection
from tutela.consent.services import _authorise, _person, _suppress, _withdraw
from tutela.core import clock
from tutela.core.audit import audit_log
from tutela.core.errors import Conflict, FieldError, InvalidInput, NotFound, Refused
from tutela.policy.selectors import active_policy


def objection_register(
    *,
    subject_id: int,
    purpose: str,
    controller: str | None = None,
    reasons: str | None = None,
    request_ref: str | None = None,
    principal: Principal,
) -> Objection:
    """Register an objection (Art. 21 GDPR, policy §10.B).

    * direct marketing (prospecting): absolute; no reasons are asked and none are kept; processing stops at
      once and the person's e-mail addresses and phone numbers go on the suppression list;
    * another legitimate-interest purpose: kept as *pending* with the person's reasons (required) for the
      DPO's balancing (``objection_decide``); processing is restricted meanwhile;
    * contract or legal obligation: refused, with the explanation;
    * consent: refused, pointing to the withdrawal of consent, which is what stops such processing.

    An entity's staff register objections for their own entity only (no controller means their own), for
    people in their scope: the effects (withdrawal, suppression) stop their entity's processing, never the
    other entity's. Group-wide roles may register one for every controller (no controller).
    """
    policy = active_policy()
    found = policy.purposes.get(purpose)
    if found is None:
        raise InvalidInput(
            f"the purpose {purpose!r} is not in the policy",
            errors=[FieldError(f"choose one of {', '.join(sorted(policy.purposes))}", field="purpose")],
        )
    if controller and controller not in found.controllers:
        raise InvalidInput(
            f"{controller!r} does not pursue the purpose {purpose!r}",
            errors=[FieldError("not a controller of this purpose", field="controller")],
        )
    ctrl = _authorise(principal, found, controller, subject_id)
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
            actor=principal.actor,
        )
        if found.legal_basis == "consent":
            current = selectors.current_consent(person.pk, purpose, ctrl or None)
            if current is not None and current["state"] == "given":
                _withdraw(
                    subject_id=person.pk,
                    purpose=purpose,
                    controller=ctrl,
                    channel="staff",
                    evidence=f"objection {obj.pk} to direct marketing",
                    page="",
                    ip=None,
                    user_agent=None,
                    actor=principal.actor,
                )
        if absolute:
            _suppress(
                lookups=selectors.subject_lookups(person.pk),
                purpose=purpose,
                controller=ctrl,
                reason="objection",
                subject_id=person.pk,
                actor=principal.actor,
            )
    return obj


def objection_decide(*, objection_id: int, uphold: bool, balancing: str, principal: Principal) -> Objection:
    """The DPO's decision on a pending objection, with the balancing of interests that supports it.

    Upheld: processing for the purpose stops. Rejected: the controller's compelling legitimate grounds
    override the person's interests (the balancing says which), and processing may resume."""
    require_decide(principal)
    if not (balancing or "").strip():
        raise InvalidInput(
            "the decision must record the balancing of interests",
            errors=[FieldError("required", field="balancing")],
        )
    with transaction.atomic():
        obj = Objection.objects.select_for_update().filter(pk=objection_id).first()
        if obj is None or not (obj.controller == "" or may_act_for(principal, obj.controller)):
            raise NotFound(f"no objection {objection_id}")
        if obj.status != Objection.Status.PENDING:
            raise Conflict(f"objection {objection_id} was already decided ({obj.status})")
        obj.status = Objection.Status.UPHELD if uphold else Objection.Status.REJECTED
        obj.decided_at = clock.now()
        obj.decided_by = principal.actor
        obj.balancing = balancing.strip()
        obj.save(update_fields=["status", "decided_at", "decided_by", "balancing"])
        audit_log(
            "objection.decide",
            object_type="objection",
            object_id=obj.pk,
            subject_id=obj.subject_id,
            payload={"purpose": obj.purpose, "controller": obj.controller, "status": obj.status},
            actor=principal.actor,
        )
    return obj
