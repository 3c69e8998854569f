"""The policy's rules for deciding requests, as pure functions over the policy and plain facts (no database).

* Objection (Art. 21): to direct marketing — granted at once, no reasons; to legitimate-interest processing —
  the person's reasons, then the DPO's balancing; to contract or legal-obligation processing — refused, with
  the explanation.
* Erasure (Art. 17): item by item; kept when an Art. 17(3) ground holds — a legal obligation whose retention
  period still runs (accounting …), a legal hold (claims) — or while a running contract needs it. What is
  still in use stays in use: an item a running contract needs keeps its status (only purposes that no longer
  hold are dropped), an item under a hold is left exactly as it is; only an item kept for a legal
  obligation alone leaves normal use (narrowed to those purposes and archived).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tutela.policy.schema import Policy

BASIS_WORDS = {
    "consent": "your consent",
    "contract": "the performance of a contract with you",
    "legal_obligation": "a legal obligation",
    "legitimate_interest": "our legitimate interest",
    "vital_interests": "vital interests",
    "public_task": "a task in the public interest",
}


@dataclass(frozen=True)
class ObjectionDecision:
    purpose: str
    rule: str  # absolute, reasons, none
    outcome: str  # granted, refused, needs_reasons, needs_decision
    reasons: list[str] = field(default_factory=list)


def objection_decision(
    policy: Policy, purpose_key: str, *, person_reasons: str = "", dpo: dict[str, Any] | None = None
) -> ObjectionDecision:
    purpose = policy.purposes[purpose_key]
    right = policy.rights.get("objection")
    not_against = list(right.not_against) if right else ["contract", "legal_obligation"]
    rule = purpose.objection_rule()
    if purpose.legal_basis in not_against or rule == "none":
        basis = BASIS_WORDS.get(purpose.legal_basis, purpose.legal_basis)
        return ObjectionDecision(
            purpose_key,
            "none",
            "refused",
            [
                f"{purpose.name} is based on {basis}: the right to object (Art. 21 GDPR) applies only to "
                "processing based on a legitimate interest or a public task, and to direct marketing."
            ],
        )
    if rule == "absolute":
        return ObjectionDecision(
            purpose_key, rule, "granted", [f"We stopped processing your data for {purpose.name}."]
        )
    if not person_reasons.strip():
        return ObjectionDecision(
            purpose_key,
            rule,
            "needs_reasons",
            ["the person's reasons related to their particular situation are missing"],
        )
    if not dpo:
        return ObjectionDecision(
            purpose_key, rule, "needs_decision", ["the DPO has not yet decided (balancing of interests)"]
        )
    if dpo.get("grant"):
        return ObjectionDecision(
            purpose_key, rule, "granted", [f"We stopped processing your data for {purpose.name}."]
        )
    return ObjectionDecision(
        purpose_key,
        rule,
        "refused",
        [
            f"We have compelling legitimate grounds to continue {purpose.name} that override your interests: "
            f"{dpo.get('balancing') or dpo.get('reasons') or ''}".strip()
        ],
    )


@dataclass(frozen=True)
class ItemFacts:
    item_id: int
    controller: str
    category: str
    purposes: tuple[str, ...]
    collected_on: dt.date | None
    #: when Tutela received it (counts where the source gave no collection date)
    received_on: dt.date | None = None


@dataclass(frozen=True)
class ItemDecision:
    item_id: int
    controller: str
    category: str
    action: str  # erase or keep
    ground: str = ""  # legal_obligation, legal_claims, contract
    keep_for: tuple[str, ...] = ()
    until: dt.date | None = None
    reason: str = ""
    #: ``keep`` only: the item leaves normal use (archived, narrowed to ``keep_for``) — a legal obligation
    #: alone keeps it. False: still in use (a running contract) or frozen by a hold: it stays findable.
    archive: bool = False


def _rel_facts(relationships: Iterable[Any], controller: str) -> list[Any]:
    from tutela.retention.rules import RelationshipFact

    return [
        RelationshipFact(
            kind=r.kind, started_on=r.started_on, ended_on=r.ended_on, last_interest_on=r.last_interest_on
        )
        for r in relationships
        if r.controller == controller
    ]


def _purpose_due(
    policy: Policy, purpose_key: str, item: ItemFacts, rels: Sequence[Any], today: dt.date
) -> tuple[bool, dt.date | None]:
    """(still needed, until) for one purpose of an item, by its retention rule: until the end of its
    lifecycle, archive phase included (an archive kept for a legal obligation still keeps the item)."""
    from tutela.retention.rules import facts_for_purpose, rule_end_on

    purpose = policy.purposes[purpose_key]
    rule = policy.retention.get(purpose.retention)
    if rule is None:
        return True, None
    facts = facts_for_purpose(
        collected_on=item.collected_on,
        relationships=rels,
        relationship_types={k: t.relationship for k, t in policy.subject_types.items()},
        purpose_kinds=purpose.subject_types,
        today=today,
        received_on=item.received_on,
    )
    due = rule_end_on(rule, facts)
    return (due is None or today < due), due


def erasure_decisions(
    policy: Policy,
    items: Sequence[ItemFacts],
    *,
    relationships: Iterable[Any],
    holds: Sequence[dict[str, Any]],
    today: dt.date,
) -> list[ItemDecision]:
    """Decide, item by item, what an erasure request erases and what the law makes us keep (and why)."""
    relationships = list(relationships)
    out: list[ItemDecision] = []
    for item in items:
        hold = next(
            (
                h
                for h in holds
                if (not h.get("categories") or item.category in h["categories"])
                and (not h.get("controller") or h["controller"] == item.controller)
                and (not h.get("items") or item.item_id in h["items"])
            ),
            None,
        )
        if hold is not None:
            out.append(
                ItemDecision(
                    item.item_id,
                    item.controller,
                    item.category,
                    "keep",
                    "legal_claims",
                    item.purposes,
                    None,
                    f"kept under a legal hold ({hold.get('reason') or 'legal claim'}): Art. 17(3)(e) GDPR, the "
                    "establishment, exercise or defence of legal claims",
                )
            )
            continue
        rels = _rel_facts(relationships, item.controller)
        kept: list[tuple[str, dt.date | None, str]] = []
        for key in item.purposes:
            purpose = policy.purposes.get(key)
            if purpose is None:
                continue
            if purpose.legal_basis == "legal_obligation":
                needed, until = _purpose_due(policy, key, item, rels, today)
                if needed:
                    kept.append((key, until, "legal_obligation"))
            elif purpose.legal_basis == "contract":
                kinds = set(purpose.subject_types)
                running = any(
                    r.kind in kinds
                    and policy.subject_types.get(r.kind) is not None
                    and policy.subject_types[r.kind].relationship == "contract"
                    and r.running(today)
                    for r in rels
                )
                if running:
                    kept.append((key, None, "contract"))
        if not kept:
            out.append(ItemDecision(item.item_id, item.controller, item.category, "erase"))
            continue
        ground = "legal_obligation" if any(k[2] == "legal_obligation" for k in kept) else "contract"
        reasons = []
        for key, until, why in kept:
            purpose = policy.purposes[key]
            rule = policy.retention.get(purpose.retention)
            if why == "legal_obligation":
                law = purpose.legal_requirement or (rule.basis if rule else "the law")
                text = f"kept for {purpose.name}, which the law requires ({law}): Art. 17(3)(b) GDPR"
                if rule is not None:
                    text += f"; {rule.description}"
                if until is not None:
                    text += f" (until {until.isoformat()})"
                reasons.append(text)
            else:
                reasons.append(
                    f"kept for {purpose.name}: your contract still runs and needs these data (Art. 17(1)(a) "
                    "GDPR does not apply)"
                )
        dates = [u for _, u, _ in kept]
        until_all = None if any(d is None for d in dates) else max(d for d in dates if d is not None)
        in_use = any(why == "contract" for _, _, why in kept)
        out.append(
            ItemDecision(
                item.item_id,
                item.controller,
                item.category,
                "keep",
                ground,
                tuple(k for k, _, _ in kept),
                until_all,
                "; ".join(reasons),
                archive=not in_use,
            )
        )
    return out
