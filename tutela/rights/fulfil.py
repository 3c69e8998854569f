"""Deciding and carrying out a request — once: the row is locked and its version checked, so two staff acting
at the same time cannot fulfil it twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from tutela.accounts.permissions import require_decide, require_write
from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.audit import audit_log
from tutela.core.errors import Conflict, FieldError, InvalidInput, PermissionDenied, Refused
from tutela.rights import states
from tutela.rights.decisions import objection_decision
from tutela.rights.models import RightsRequest
from tutela.rights.services import _move, _save, locked
from tutela.subjects.models import DataItem


class Unmet(Refused):
    """The request cannot proceed yet; ``errors`` lists the conditions not met."""


@dataclass
class Fulfilment:
    id: int
    status: str
    outcome: str
    reasons: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "outcome": self.outcome, "reasons": self.reasons}


def _policy() -> Any:
    from tutela.policy.selectors import active_policy

    return active_policy()


def exports_dir() -> Path:
    path = Path(getattr(settings, "TUTELA_EXPORT_DIR", Path(settings.TUTELA_HOME) / "exports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def conditions(req: RightsRequest) -> list[str]:
    """What still stands in the way of carrying out the request (empty: it may proceed)."""
    policy = _policy()
    unmet: list[str] = []
    if req.status == states.ON_HOLD:
        unmet.append("the request is paused (waiting for information from the person)")
    elif req.identity_verified_at is None:
        unmet.append("the person's identity is not verified")
    right = policy.rights.get(req.type)
    signed_needed = right.dated_and_signed if right else req.type in ("objection", "restriction")
    if signed_needed and (req.signed_on is None or not req.signature_ref):
        unmet.append(f"a {req.type} must be dated and signed: record it with `tutela rights sign`")
    if req.type == "objection":
        if not req.purpose:
            unmet.append("an objection must name the purpose it is about")
        elif req.purpose in policy.purposes:
            d = objection_decision(
                policy,
                req.purpose,
                person_reasons=str(req.details.get("reasons", "")),
                dpo=req.decision.get("dpo"),
            )
            if d.outcome in ("needs_reasons", "needs_decision"):
                unmet.extend(d.reasons)
    if req.type == "rectification" and not req.details.get("changes"):
        unmet.append("a rectification needs the new values (changes)")
    return unmet


def request_decide(
    *, request_id: int, grant: bool, balancing: str, principal: Principal, expected_version: int | None = None
) -> RightsRequest:
    """The DPO's decision on an objection to legitimate-interest processing, with the balancing recorded."""
    require_decide(principal)
    if not (balancing or "").strip():
        raise InvalidInput(
            "record the balancing of interests", errors=[FieldError("required", field="balancing")]
        )
    with transaction.atomic():
        req = locked(request_id, expected_version, principal=principal)
        if req.type != "objection":
            raise InvalidInput(
                f"request {request_id} is a {req.type}: only objections are decided by the DPO"
            )
        if req.is_closed:
            raise Conflict(f"request {request_id} is {req.status}")
        req.decision = {
            **req.decision,
            "dpo": {
                "grant": grant,
                "balancing": balancing.strip(),
                "by": principal.actor,
                "at": clock.now().isoformat(),
            },
        }
        audit_log(
            "request.decide",
            object_type="request",
            object_id=req.pk,
            subject_id=req.subject_id,
            payload={"grant": grant},
            actor=principal.actor,
        )
        _save(req)
    return req


def request_fulfil(
    *, request_id: int, principal: Principal, expected_version: int | None = None
) -> Fulfilment:
    """Carry out a request whose conditions are met; raises :class:`Unmet` listing those that are not.

    The request is carried out for its own entity (or both when it names none, which only the group-wide
    roles may do) and the answer goes to the e-mail address held for the person."""
    from tutela.rights import packages
    from tutela.rights.services import letter_address

    require_write(principal)
    # a package written for a fulfilment that rolls back is removed; it appears only on commit
    with packages.staging(), transaction.atomic():
        req = locked(request_id, expected_version, principal=principal)
        if req.is_closed:
            raise Conflict(f"request {request_id} is already {req.status}")
        if not principal.is_group_wide and req.controller != principal.controller:
            raise PermissionDenied(
                f"request {request_id} concerns {req.controller or 'both controllers'}: "
                f"staff of {principal.controller} cannot carry it out (ask the DPO or a privacy officer)"
            )
        unmet = conditions(req)
        if unmet:
            raise Unmet(
                f"request {request_id} cannot be fulfilled yet",
                errors=[FieldError(u, field="condition") for u in unmet],
            )
        # where the answer goes, looked up before an erasure removes the person's address
        address = letter_address(req)
        if req.subject_id is None:
            result = Fulfilment(req.pk, states.ANSWERED, "no_data", ["We hold no personal data about you."])
        else:
            handler = HANDLERS[req.type]
            result = handler(req, principal)
        if req.type == "erasure" and result.extra.get("complete"):
            # the tombstone keeps the link; later audit entries of the request no longer name the person
            req.subject = None
        target = states.REFUSED if result.outcome == "refused" else states.ANSWERED
        req.outcome = result.outcome
        req.reasons = result.reasons
        req.answered_at = clock.now()
        _move(
            req,
            target,
            "request.fulfil",
            {"outcome": result.outcome, "reasons": len(result.reasons)},
            actor=principal.actor,
        )
        result.status = target
        from tutela.rights import letters

        recipients = [n["name"] for n in result.extra.get("notices", [])]
        if not result.extra.get("letter_after_transmission"):
            letters.send(
                req,
                "refusal" if target == states.REFUSED or result.outcome == "partial" else "answer",
                reasons=result.reasons,
                recipients=recipients,
                partial=result.outcome == "partial",
                principal=principal,
                address=address,
            )
        if req.type == "erasure" and result.extra.get("complete"):
            # nothing of the person stays: the letter is already built; forget the identifier and the note
            req.identifier_sealed = ""
            req.reply_to_sealed = ""
            req.identity_how = ""
        _save(req)
    if result.extra.get("letter_after_transmission") and not transaction.get_connection().in_atomic_block:
        # committed: a transmission that already ended (inline tasks backend) has added its sentence
        result.reasons = list(RightsRequest.objects.values_list("reasons", flat=True).get(pk=result.id))
    return result


def _sid(req: RightsRequest) -> int:
    assert req.subject_id is not None, "handlers run only for a resolved person"
    return req.subject_id


def _identifiers(req: RightsRequest) -> dict[str, str]:
    from tutela.rights.services import held_contact

    out: dict[str, str] = {}
    if req.subject_id is None:
        return out
    email = held_contact(req)
    if email:
        out["email"] = email
    return out


def _notices(req: RightsRequest, categories: list[str], principal: Principal) -> list[dict[str, Any]]:
    from tutela.rights.propagation import notices_plan

    return [
        {
            "recipient": n.recipient,
            "name": getattr(n, "display_name", n.recipient),
            "channel": n.channel,
            "status": n.status,
        }
        for n in notices_plan(req, categories=categories, identifiers=_identifiers(req), principal=principal)
    ]


def _access(req: RightsRequest, principal: Principal) -> Fulfilment:
    from tutela.rights.access import write_package
    from tutela.rights.services import request_controllers

    # the request's entities only: a request to one entity never carries what the other one holds
    path, count = write_package(
        _sid(req),
        exports_dir() / f"request-{req.pk}-access.zip",
        language=req.language,
        staged=True,
        principal=principal,
        controllers=request_controllers(req),
    )
    req.details = {**req.details, "package": str(path), "items": count}
    return Fulfilment(
        req.pk,
        "",
        "granted",
        [f"A copy of your data ({count} items) and the information of Article 15 GDPR are in the package."],
        {"package": str(path)},
    )


def _erasure(req: RightsRequest, principal: Principal) -> Fulfilment:
    from tutela.rights.erasure import erase_subject, plan

    categories = sorted(
        {
            d.category
            for d in plan(_sid(req))
            if d.action == "erase" and d.controller in (req.controller or d.controller,)
        }
    )
    notices = _notices(req, categories, principal)
    res = erase_subject(req, principal=principal)
    req.decision = {**req.decision, "items": {"erased": res.erased, "kept": res.kept}}
    if res.already:
        return Fulfilment(req.pk, "", "granted", ["Your data had already been erased."], {"complete": True})
    reasons = [f"Erased: {', '.join(res.erased)}."] if res.erased else []
    reasons += [f"Kept — {r}" for r in res.reasons]
    if not res.erased and res.kept:
        outcome = "refused"
    elif res.kept:
        outcome = "partial"
    else:
        outcome = "granted"
    return Fulfilment(req.pk, "", outcome, reasons, {"notices": notices, "complete": res.complete})


def _drop_purpose(subject_id: int, purpose: str, controller: str) -> int:
    count = 0
    items = DataItem.objects.filter(subject_id=subject_id).exclude(status="erased")
    if controller:
        items = items.filter(controller=controller)
    now = clock.now()
    for item in items:
        if purpose in (item.purposes or []):
            item.purposes = [p for p in item.purposes if p != purpose]
            item.updated_at = now
            item.save(update_fields=["purposes", "updated_at"])
            count += 1
    return count


def _objection(req: RightsRequest, principal: Principal) -> Fulfilment:
    policy = _policy()
    d = objection_decision(
        policy, req.purpose, person_reasons=str(req.details.get("reasons", "")), dpo=req.decision.get("dpo")
    )
    req.decision = {
        **req.decision,
        "objection": {"purpose": req.purpose, "rule": d.rule, "outcome": d.outcome},
    }
    from tutela.consent.models import Objection
    from tutela.consent.services import objection_decide, objection_register

    if d.outcome != "granted":
        if d.rule == "reasons" and req.decision.get("dpo"):
            # the ledger keeps the objection and the DPO's balancing that rejected it
            obj = objection_register(
                subject_id=_sid(req),
                purpose=req.purpose,
                controller=req.controller or None,
                reasons=str(req.details.get("reasons", "")),
                request_ref=f"R-{req.pk}",
                principal=principal,
            )
            if obj.status == Objection.Status.PENDING:
                objection_decide(
                    objection_id=obj.pk,
                    uphold=False,
                    balancing=req.decision["dpo"]["balancing"],
                    principal=_decider(req, principal),
                )
        return Fulfilment(req.pk, "", "refused", d.reasons)

    obj = objection_register(
        subject_id=req.subject_id,  # type: ignore[arg-type]
        purpose=req.purpose,
        controller=req.controller or None,
        reasons=None if d.rule == "absolute" else str(req.details.get("reasons", "")),
        request_ref=f"R-{req.pk}",
        principal=principal,
    )
    if obj.status == Objection.Status.PENDING and req.decision.get("dpo"):
        objection_decide(
            objection_id=obj.pk,
            uphold=True,
            balancing=req.decision["dpo"]["balancing"],
            principal=_decider(req, principal),
        )
    changed = _drop_purpose(req.subject_id, req.purpose, req.controller)  # type: ignore[arg-type]
    audit_log(
        "request.objection_applied",
        object_type="request",
        object_id=req.pk,
        subject_id=req.subject_id,
        payload={"purpose": req.purpose, "items": changed},
        actor=principal.actor,
    )
    return Fulfilment(req.pk, "", "granted", d.reasons)


def _decider(req: RightsRequest, principal: Principal) -> Principal:
    """Who took the DPO's decision recorded on the request (the ledger names them), acting through the
    fulfilment: the decision was checked by ``request_decide`` when it was taken."""
    dpo = req.decision.get("dpo") or {}
    if principal.can_decide:
        return principal
    return Principal(actor=str(dpo.get("by") or principal.actor), role="dpo")


def _restriction(req: RightsRequest, principal: Principal) -> Fulfilment:
    items = DataItem.objects.filter(subject_id=_sid(req), status=DataItem.Status.ACTIVE)
    if req.controller:
        items = items.filter(controller=req.controller)
    ids = [i.pk for i in items if not req.purpose or req.purpose in (i.purposes or [])]
    categories = sorted(set(DataItem.objects.filter(pk__in=ids).values_list("category", flat=True)))
    DataItem.objects.filter(pk__in=ids).update(status=DataItem.Status.RESTRICTED, updated_at=clock.now())
    audit_log(
        "item.restrict",
        object_type="subject",
        object_id=req.subject_id or "",
        subject_id=req.subject_id,
        payload={"request": req.pk, "items": len(ids), "categories": categories},
        actor=principal.actor,
    )
    notices = _notices(req, categories, principal)
    req.decision = {**req.decision, "items": {"restricted": ids}}
    return Fulfilment(
        req.pk,
        "",
        "granted",
        [
            f"The processing of {len(ids)} items ({', '.join(categories) or 'none'}) is restricted: we only store them."
        ],
        {"notices": notices},
    )


def _withdrawal(req: RightsRequest, principal: Principal) -> Fulfilment:
    from tutela.consent.services import consent_withdraw

    policy = _policy()
    purposes = (
        [req.purpose]
        if req.purpose
        else [k for k, p in policy.purposes.items() if p.legal_basis == "consent"]
    )
    done, reasons = [], []
    for key in purposes:
        try:
            consent_withdraw(
                subject_id=req.subject_id,  # type: ignore[arg-type]
                purpose=key,
                controller=req.controller,
                channel="staff"
                if req.channel in ("staff", "post")
                else "email"
                if req.channel == "email"
                else "web",
                evidence=f"request R-{req.pk}",
                principal=principal,
            )
            done.append(key)
        except Refused as exc:
            if req.purpose:
                reasons.append(exc.message)
        except InvalidInput as exc:
            reasons.append(exc.message)
    if not done:
        return Fulfilment(req.pk, "", "refused", reasons or ["There was no consent to withdraw."])
    names = ", ".join(policy.purposes[k].name for k in done)
    return Fulfilment(req.pk, "", "granted", [f"Your consent is withdrawn for: {names}.", *reasons])


def _rectification(req: RightsRequest, principal: Principal) -> Fulfilment:
    from tutela.subjects.services import item_rectify

    changes = req.details.get("changes") or []
    reasons: list[str] = []
    categories: list[str] = []
    errors: list[FieldError] = []
    for n, change in enumerate(changes):
        category = change.get("category", "")
        value = str(change.get("value", ""))
        qs = DataItem.objects.filter(subject_id=_sid(req), status__in=("active", "restricted"))
        if change.get("item"):
            try:
                qs = qs.filter(pk=int(change["item"]))
            except (TypeError, ValueError):
                errors.append(FieldError("the item must be an item id (a number)", field=f"changes.{n}.item"))
                continue
        else:
            qs = qs.filter(category=category)
        if req.controller:
            qs = qs.filter(controller=req.controller)
        items = list(qs)
        if not items:
            errors.append(FieldError(f"no {category or 'such'} item to rectify", field=f"changes.{n}"))
            continue
        for item in items:
            item_rectify(
                item_id=item.pk,
                value=value,
                source="direct",
                source_detail=f"rectification request R-{req.pk}",
                reason=f"request R-{req.pk}",
                principal=principal,
            )
            categories.append(item.category)
        reasons.append(f"{items[0].category}: corrected ({len(items)} item(s)).")
    if errors and not reasons:
        raise Unmet(f"request {req.pk}: nothing to rectify", errors=errors)
    notices = _notices(req, sorted(set(categories)), principal)
    return Fulfilment(
        req.pk,
        "",
        "granted" if not errors else "partial",
        reasons + [e.message for e in errors],
        {"notices": notices},
    )


def _portability(req: RightsRequest, principal: Principal) -> Fulfilment:
    from tutela.rights import packages
    from tutela.rights.portability import portable_data, portable_zip, schedule_transmission
    from tutela.rights.services import request_controllers

    data = portable_data(_sid(req), principal=principal, controllers=request_controllers(req))
    path = packages.stage(exports_dir() / f"request-{req.pk}-portability.zip", portable_zip(data))
    req.details = {**req.details, "package": str(path), "items": len(data["items"])}
    reasons = [
        f"{len(data['items'])} items you provided to us, processed on your consent or a contract, in JSON and CSV."
    ]
    extra: dict[str, Any] = {"package": str(path)}
    url = req.details.get("transmit_to")
    if url:
        # sent after commit, out of this transaction (see portability); the outcome's sentence is added to
        # the answer, and the answer letter sent, when the transmission has ended
        receipt = schedule_transmission(req, data, url=str(url))
        extra["receipt"] = receipt.pk
        extra["letter_after_transmission"] = True
    return Fulfilment(req.pk, "", "granted", reasons, extra)


HANDLERS = {
    "access": _access,
    "erasure": _erasure,
    "objection": _objection,
    "restriction": _restriction,
    "withdrawal": _withdrawal,
    "rectification": _rectification,
    "portability": _portability,
}

__all__ = ["Fulfilment", "Unmet", "conditions", "request_decide", "request_fulfil"]
