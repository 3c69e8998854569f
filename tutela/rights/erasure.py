"""Erasure of one person (Art. 17): atomic, idempotent, resumable (a crash rolls everything back).

What is erased is deleted. A refused or partial erasure changes nothing still in use: an item a running
contract needs stays active (only the purposes that no longer hold are dropped), an item under a legal hold
stays exactly as it is (the person stays findable); only an item kept for a legal obligation alone is narrowed
to those purposes and archived. When everything could go, every register that holds something about the
person does what its lifecycle statement says (:mod:`tutela.core.lifecycle`: the consent ledger goes, the
disclosure log stays as pseudonymised proof …), for the records merged into theirs too. A minimal tombstone
remains (request, date, categories erased — no value), audit payloads about the person are redacted (the
chain still verifies), and suppression hashes are kept for direct marketing so the person is not contacted
again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from tutela.accounts.principal import Principal
from tutela.core import clock, lifecycle
from tutela.core.audit import audit_log, audit_redact_subject
from tutela.rights import register
from tutela.rights.decisions import ItemDecision, ItemFacts, erasure_decisions
from tutela.rights.models import RightsRequest, Tombstone
from tutela.subjects.models import DataItem, Relationship, Subject


@dataclass
class ErasureResult:
    erased: list[str] = field(default_factory=list)  # categories
    kept: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    complete: bool = False
    already: bool = False


def plan(subject_id: int, *, today: Any = None) -> list[ItemDecision]:
    from tutela.policy.selectors import active_policy

    policy = active_policy()
    items = DataItem.objects.filter(subject_id=subject_id).exclude(status="erased")
    facts = [
        ItemFacts(
            i.pk,
            i.controller,
            i.category,
            tuple(i.purposes or ()),
            clock.as_aware(i.collected_at or i.created_at).astimezone(clock.BRUSSELS).date(),
        )
        for i in items
    ]
    return erasure_decisions(
        policy,
        facts,
        relationships=Relationship.objects.filter(subject_id=subject_id),
        holds=register.holds_of(subject_id),
        today=today or clock.today(),
    )


def _marketing_purposes(subject_id: int) -> list[str]:
    from tutela.policy.selectors import active_policy

    policy = active_policy()
    used: set[str] = set()
    for purposes in DataItem.objects.filter(subject_id=subject_id).values_list("purposes", flat=True):
        used.update(purposes or ())
    return sorted(k for k in used if k in policy.purposes and policy.purposes[k].direct_marketing)


def suppress(subject_id: int, purposes: list[str], *, reason: str, principal: Principal) -> int:
    """Keep keyed hashes of the person's e-mail addresses and phone numbers for these purposes."""
    if not purposes:
        return 0
    from tutela.consent.selectors import subject_lookups
    from tutela.consent.services import suppression_add

    lookups = subject_lookups(subject_id)
    return sum(
        suppression_add(purpose=p, reason=reason, lookups=lookups, subject_id=subject_id, principal=principal)
        for p in purposes
    )


def erase_subject(req: RightsRequest, *, principal: Principal) -> ErasureResult:
    """Carry out an erasure request for its subject (inside the caller's transaction, or its own).

    ``principal`` carries it out (the caller decided it may) and is the actor of its audit entries."""
    result = ErasureResult()
    subject_id = req.subject_id
    if subject_id is None:
        return result
    with transaction.atomic():
        subject = Subject.objects.select_for_update().get(pk=subject_id)
        if subject.erased_at is not None:
            result.already = True
            result.complete = True
            return result
        decisions = plan(subject_id)
        others = 0
        if req.controller:  # a request to one joint controller erases what that controller holds
            others = sum(1 for d in decisions if d.controller != req.controller)
            decisions = [d for d in decisions if d.controller == req.controller]
        erase_ids = [d.item_id for d in decisions if d.action == "erase"]
        keep = [d for d in decisions if d.action == "keep"]
        result.erased = sorted({d.category for d in decisions if d.action == "erase"})
        marketing = _marketing_purposes(subject_id)
        suppressed = (
            suppress(subject_id, marketing, reason="objection", principal=principal) if marketing else 0
        )
        now = clock.now()
        for d in keep:
            if d.archive:  # a legal obligation alone keeps it: out of normal use, for those purposes only
                DataItem.objects.filter(pk=d.item_id).update(
                    purposes=list(d.keep_for), status=DataItem.Status.ARCHIVED, updated_at=now
                )
            elif d.ground != "legal_claims":  # still in use: only the purposes that no longer hold go
                DataItem.objects.filter(pk=d.item_id).exclude(purposes=list(d.keep_for)).update(
                    purposes=list(d.keep_for), updated_at=now
                )
            # under a hold: frozen as it is
            result.kept.append(
                {
                    "item": d.item_id,
                    "category": d.category,
                    "controller": d.controller,
                    "ground": d.ground,
                    "until": d.until.isoformat() if d.until else None,
                    "reason": d.reason,
                    "in_use": not d.archive,
                }
            )
        result.reasons = [f"{k['category']}: {k['reason']}" for k in result.kept]
        lifecycle.erase_items(erase_ids)
        DataItem.objects.filter(pk__in=erase_ids).delete()
        result.complete = not keep and not others
        if erase_ids or result.complete:
            # the access and portability packages hold the erased data: they go too (after commit)
            from tutela.rights.packages import forget_subject

            forget_subject(subject_id)
            _cancel_transmissions(subject_id)
        people = lifecycle.with_duplicates([subject_id])
        elsewhere: dict[str, int] = {}
        if result.complete:
            # this request keeps its link and reply address until its answer is sent; the others forget them
            _forget_requests(people, keep=req.pk)
            # every other register, as its lifecycle statement says; the audit trail last (below)
            elsewhere = lifecycle.erase_people(people, principal=principal, skip=("rights", "core")).counts
            Subject.objects.filter(pk__in=people).update(erased_at=now, updated_at=now)
            Subject.objects.filter(pk=subject_id).update(version=subject.version + 1)
        Tombstone.objects.create(
            request=req,
            subject_ref=subject_id,
            erased_at=now,
            categories=result.erased,
            kept=[{k: v for k, v in item.items() if k != "item"} for item in result.kept],
        )
        if result.complete:
            for person in people:
                audit_redact_subject(person)
        audit_log(
            "subject.erase",
            object_type="subject",
            object_id=subject_id,
            subject_id=subject_id if not result.complete else None,
            payload={
                "request": req.pk,
                "categories": result.erased,
                "items_erased": len(erase_ids),
                "items_kept": len(keep),
                "suppression_entries": suppressed,
                "elsewhere": {k: v for k, v in elsewhere.items() if v},
            },
            actor=principal.actor,
        )
    return result


def _cancel_transmissions(subject_id: int) -> None:
    """A transmission to another controller not yet made holds a copy of the erased data: it is cancelled
    and the copy goes now (a worker that starts later finds nothing to send)."""
    from tutela.rights.models import TransmissionReceipt, TransmissionState

    TransmissionReceipt.objects.filter(
        request__in=RightsRequest.objects.filter(subject_id=subject_id),
        state__in=[TransmissionState.PENDING, TransmissionState.SENDING],
    ).update(
        state=TransmissionState.FAILED,
        delivered=False,
        body_sealed="",
        response_excerpt="cancelled: the person's data were erased before it was sent",
    )


def _forget_requests(people: list[int], *, keep: int) -> None:
    """The person's other requests keep their dates and outcomes, not what identifies them or what they
    said (what the rights register's lifecycle statement redacts); the mail that opened this one goes too."""
    from tutela.rights.models import InboundMail

    reg = lifecycle.register_of(RightsRequest, "subject")
    assert reg is not None, "the rights app registers its requests"
    others = RightsRequest.objects.filter(subject_id__in=people).exclude(pk=keep)
    InboundMail.objects.filter(request__in=others).update(sender_sealed="", subject_line="")
    InboundMail.objects.filter(request_id=keep).update(sender_sealed="", subject_line="")
    others.update(**reg.redact)
