"""May this person's data be used for this purpose, now? A pure rule: facts and policy in, decision out.

The facts are gathered by ``tutela.consent.selectors`` (a fixed number of indexed queries, set-based for
lists); this module never touches the database, so it is tested exhaustively and runs in microseconds.

Every applicable reason is returned, in plain words, each with a short code (used to count refusals when a
list is scrubbed). Codes are listed in ``REASON_ORDER``: the first reason of a refusal is the most decisive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tutela.policy.schema import Policy, Purpose
from tutela.retention import rules as retention_rules

REASON_ORDER = (
    "purpose-unknown",
    "controller",
    "invalid",
    "erased",
    "objection",
    "objection-pending",
    "withdrawn",
    "expired",
    "suppressed",
    "unknown-person",
    "no-consent",
    "restricted",
    "archived",
    "contract-ended",
    "retention",
    "subject-type",
    "special-category",
)

_ORDER = {code: i for i, code in enumerate(REASON_ORDER)}

BASIS_WORDS = {
    "consent": "consent",
    "contract": "performance of a contract",
    "legal_obligation": "a legal obligation",
    "legitimate_interest": "legitimate interest",
    "vital_interests": "vital interests",
    "public_task": "a task in the public interest",
}


@dataclass(frozen=True)
class RelationshipFact:
    controller: str
    kind: str
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    last_interest_on: dt.date | None = None


@dataclass(frozen=True)
class ItemFact:
    controller: str
    category: str
    status: str  # active | restricted | archived | erased
    collected_on: dt.date | None = None  # what the source said (None: it said nothing)
    received_on: dt.date | None = None  # when Tutela received it (retention's stand-in for an unknown date)


@dataclass(frozen=True)
class ConsentFact:
    controller: str  # "" = every controller of the purpose
    kind: str  # given | withdrawn | expired
    at: dt.datetime
    seq: int = 0  # ledger order for events at the same instant
    policy_version: int | None = None


@dataclass(frozen=True)
class ObjectionFact:
    controller: str
    status: str  # upheld | pending | rejected
    received_at: dt.datetime
    absolute: bool = False


@dataclass(frozen=True)
class PurposeFacts:
    """What the selectors know about one person (or one identifier not in the register)."""

    purpose: str
    controller: str | None = None
    today: dt.date = dt.date(2000, 1, 1)
    known: bool = True
    erased_at: dt.datetime | None = None
    relationships: tuple[RelationshipFact, ...] = ()
    items: tuple[ItemFact, ...] = ()
    consents: tuple[ConsentFact, ...] = ()
    objections: tuple[ObjectionFact, ...] = ()
    suppressed_at: dt.datetime | None = None


@dataclass(frozen=True)
class Reason:
    code: str
    text: str


@dataclass
class PurposeDecision:
    allowed: bool
    reasons: list[str]
    legal_basis: str | None
    codes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "allowed": self.allowed,
            "reasons": self.reasons,
            "legal_basis": self.legal_basis,
            "codes": self.codes,
        }


def _day(value: dt.datetime | dt.date) -> str:
    if isinstance(value, dt.datetime):
        from tutela.core.clock import BRUSSELS

        value = value.astimezone(BRUSSELS).date()
    return value.isoformat()


def _names(keys: list[str], policy: Policy) -> str:
    names = [policy.subject_types[k].name if k in policy.subject_types else k for k in keys]
    return ", ".join(names) if names else "nobody"


def _in_categories(category: str, keys: list[str]) -> bool:
    return any(category == key or category.startswith(key + ".") for key in keys)


class _PurposeView:
    """What a decision reads from the policy for one purpose, worked out once per parsed policy.

    Lists of 100,000 rows are scrubbed one decision per person: the purpose's special categories and
    whether an item's category is one the purpose uses are the same answer every time."""

    __slots__ = ("controllers", "in_scope", "objects", "special", "uses")

    def __init__(self, purpose: Purpose, policy: Policy) -> None:
        self.controllers = frozenset(purpose.controllers)
        self.in_scope = self.controllers | {""}
        #: whether objections count for this purpose at all (``Purpose.objection_rule``)
        self.objects = purpose.objection_rule() != "none"
        self.special = [c for c in purpose.categories if _is_special(c, policy)]
        #: category -> does the purpose use it (filled as categories are met)
        self.uses: dict[str, bool] = {}


#: (id of the policy, purpose key) -> (policy, purpose, view); policies are frozen models, and the policy
#: and purpose are kept so that an id is never reused while its entry lives
_VIEWS: dict[tuple[int, str], tuple[Policy, Purpose, _PurposeView]] = {}


def _view(key: str, purpose: Purpose, policy: Policy) -> _PurposeView:
    entry = _VIEWS.get((id(policy), key))
    if entry is not None and entry[0] is policy and entry[1] is purpose:
        return entry[2]
    if len(_VIEWS) >= 256:
        _VIEWS.clear()
    view = _PurposeView(purpose, policy)
    _VIEWS[(id(policy), key)] = (policy, purpose, view)
    return view


def _uses(view: _PurposeView, category: str, keys: list[str]) -> bool:
    found = view.uses.get(category)
    if found is None:
        found = view.uses[category] = _in_categories(category, keys)
    return found


def _latest_consent(consents: tuple[ConsentFact, ...]) -> ConsentFact | None:
    if not consents:
        return None
    return max(consents, key=lambda c: (c.at, c.seq))


def _retention_end(
    facts: PurposeFacts, purpose: Purpose, policy: Policy, rels: list[RelationshipFact], items: list[ItemFact]
) -> tuple[dt.date | None, str]:
    """The day the purpose's retention ended for every item it uses, or None while any item is still kept.

    Uses the retention engine's pure rules (``tutela.retention.rules``), so a purpose check and the sweep
    agree on what is past retention."""
    rule = policy.retention.get(purpose.retention)
    if rule is None or not items or rule.trigger == "unsubscribed":
        # "until unsubscribed": the consent reasons already say when the person left
        return None, ""
    types = {key: st.relationship for key, st in policy.subject_types.items()}
    dues: list[dt.date] = []
    for item in items:
        if item.collected_on is None and item.received_on is None:
            return None, ""
        ret_facts = retention_rules.facts_for_purpose(
            collected_on=item.collected_on,
            received_on=item.received_on,
            relationships=[
                retention_rules.RelationshipFact(
                    kind=r.kind,
                    started_on=r.started_on,
                    ended_on=r.ended_on,
                    last_interest_on=r.last_interest_on,
                )
                for r in rels
                if r.controller == item.controller
            ],
            relationship_types=types,
            purpose_kinds=purpose.subject_types,
            today=facts.today,
        )
        # the archive phase is part of the purpose's retention (its grounds are the purpose's use then);
        # the item's status says when it is archived
        due = retention_rules.rule_end_on(rule, ret_facts)
        if due is None or due > facts.today:
            return None, ""
        dues.append(due)
    return max(dues), rule.name


def decide_purpose(facts: PurposeFacts, policy: Policy) -> PurposeDecision:
    """Allow or deny, with every reason that applies and, when allowed, the legal basis relied on."""
    reasons: list[Reason] = []
    purpose = policy.purposes.get(facts.purpose)
    if purpose is None:
        known = ", ".join(sorted(policy.purposes))
        return _decision(
            [
                Reason(
                    "purpose-unknown",
                    f"the purpose {facts.purpose!r} is not in the policy (its purposes are: {known})",
                )
            ],
            None,
        )
    view = _view(facts.purpose, purpose, policy)
    if facts.controller is not None:
        if facts.controller not in policy.controllers:
            reasons.append(Reason("controller", f"{facts.controller!r} is not a controller in the policy"))
        elif facts.controller not in purpose.controllers:
            reasons.append(
                Reason(
                    "controller",
                    f"{policy.controllers[facts.controller].name} does not pursue "
                    f"the purpose {purpose.name!r}",
                )
            )
        scope: set[str] | frozenset[str] = {facts.controller}
        in_scope: set[str] | frozenset[str] = {facts.controller, ""}
    else:
        scope, in_scope = view.controllers, view.in_scope

    rels = [r for r in facts.relationships if r.controller in scope and r.kind in purpose.subject_types]
    keys = purpose.categories
    items = [i for i in facts.items if i.controller in scope and _uses(view, i.category, keys)]
    consents = tuple([c for c in facts.consents if c.controller in in_scope]) if facts.consents else ()
    latest = _latest_consent(consents)
    # a consent given after an objection is the person's newer choice and supersedes it
    objections = [
        o
        for o in facts.objections
        if o.controller in in_scope
        and not (latest is not None and latest.kind == "given" and latest.at > o.received_at)
    ]

    if not facts.known:
        reasons.append(
            Reason(
                "unknown-person",
                "no one with this identifier is in the register, so no legal basis can be established",
            )
        )
    if facts.erased_at is not None:
        reasons.append(Reason("erased", f"the person's data were erased on {_day(facts.erased_at)}"))

    if facts.suppressed_at is not None and not (
        latest is not None and latest.kind == "given" and latest.at > facts.suppressed_at
    ):
        reasons.append(
            Reason(
                "suppressed",
                f"an e-mail address or phone number of this person is on the "
                f"suppression list for {purpose.name!r} since {_day(facts.suppressed_at)} "
                "(an objection or unsubscription, kept even after erasure)",
            )
        )

    if view.objects and objections:
        for obj in sorted(objections, key=lambda o: o.received_at):
            if obj.status == "upheld":
                how = " (no reasons needed: direct marketing)" if obj.absolute else " (upheld by the DPO)"
                reasons.append(
                    Reason(
                        "objection",
                        f"the person objected to {purpose.name!r} on {_day(obj.received_at)}{how}",
                    )
                )
                break
        for obj in sorted(objections, key=lambda o: o.received_at):
            if obj.status == "pending":
                reasons.append(
                    Reason(
                        "objection-pending",
                        f"the person objected to {purpose.name!r} on "
                        f"{_day(obj.received_at)}; until the DPO decides, processing is "
                        "restricted (Art. 18(1)(d) GDPR)",
                    )
                )
                break

    if purpose.legal_basis == "consent":
        if latest is None:
            reasons.append(
                Reason(
                    "no-consent",
                    f"the legal basis of {purpose.name!r} is consent and the person has not given it",
                )
            )
        elif latest.kind == "withdrawn":
            reasons.append(
                Reason(
                    "withdrawn",
                    f"the legal basis of {purpose.name!r} is consent and the "
                    f"person withdrew it on {_day(latest.at)}",
                )
            )
        elif latest.kind == "expired":
            reasons.append(
                Reason(
                    "expired",
                    f"the legal basis of {purpose.name!r} is consent and the "
                    f"person's consent expired on {_day(latest.at)}",
                )
            )

    if facts.known and facts.erased_at is None:
        restricted = [i for i in items if i.status == "restricted"]
        if restricted:
            reasons.append(
                Reason(
                    "restricted",
                    f"processing of this person's data is restricted "
                    f"({len(restricted)} item{'s' if len(restricted) != 1 else ''}): the data may "
                    "only be stored until the restriction is lifted",
                )
            )
        if items and not any(i.status in ("active", "restricted") for i in items):
            if any(i.status == "archived" for i in items):
                reasons.append(
                    Reason(
                        "archived",
                        "the data for this purpose are archived: usable only as "
                        "proof in court, for an authority's control or to produce documents",
                    )
                )
            else:
                reasons.append(Reason("erased", "the data for this purpose have been erased"))
        ended, rule_name = _retention_end(facts, purpose, policy, rels, items)
        if ended is not None:
            reasons.append(
                Reason("retention", f"the retention period ({rule_name}) ended on {ended.isoformat()}")
            )
        ended_on = _contract_ended(purpose, policy, rels, facts.today)
        if ended_on is not None:
            reasons.append(
                Reason(
                    "contract-ended",
                    f"the legal basis of {purpose.name!r} is performance of a contract and the contract "
                    f"ended on {ended_on.isoformat()}: the data now serve only the purposes they are kept "
                    "for (accounting, claims)",
                )
            )
        if not rels:
            held = sorted(
                {f"{r.kind} of {r.controller}" for r in facts.relationships if r.controller in scope}
            )
            who = "; this person is " + ", ".join(held) if held else "; this person has no such relationship"
            reasons.append(
                Reason(
                    "subject-type", f"{purpose.name!r} is for {_names(purpose.subject_types, policy)}{who}"
                )
            )

    special = view.special
    if special and not (purpose.legal_basis == "legal_obligation" and purpose.legal_requirement):
        reasons.append(
            Reason(
                "special-category",
                f"{purpose.name!r} uses the special "
                f"categor{'ies' if len(special) > 1 else 'y'} {', '.join(special)} without a legal "
                "requirement (Art. 9 GDPR)",
            )
        )

    if reasons:
        return _decision(reasons, None)
    return _decision([Reason("allowed", _basis_text(purpose, latest, rels, policy))], purpose.legal_basis)


def _contract_ended(
    purpose: Purpose, policy: Policy, rels: list[RelationshipFact], today: dt.date
) -> dt.date | None:
    """For a contract purpose: the day the person's last contract of its subject types ended, when none
    runs any more (a contract still running, or a relationship that is no contract — a prospect's
    pre-contractual request — keeps the basis). ``None`` when the basis holds or does not apply."""
    if purpose.legal_basis != "contract" or not rels:
        return None
    ends: list[dt.date] = []
    for r in rels:
        st = policy.subject_types.get(r.kind)
        if st is None or st.relationship != "contract":
            return None
        if r.ended_on is None or r.ended_on > today:
            return None
        ends.append(r.ended_on)
    return max(ends)


def _is_special(category: str, policy: Policy) -> bool:
    if _in_categories(category, policy.special_categories):
        return True
    declared = policy.category(category)
    return bool(declared and declared.special)


def _basis_text(
    purpose: Purpose, latest: ConsentFact | None, rels: list[RelationshipFact], policy: Policy
) -> str:
    words = BASIS_WORDS.get(purpose.legal_basis, purpose.legal_basis)
    if purpose.legal_basis == "consent" and latest is not None:
        version = f", policy version {latest.policy_version}" if latest.policy_version else ""
        return f"allowed on the basis of consent given on {_day(latest.at)}{version}"
    if purpose.legal_basis == "legal_obligation" and purpose.legal_requirement:
        return f"allowed on the basis of a legal obligation ({purpose.legal_requirement})"
    if purpose.legal_basis == "contract" and rels:
        kinds = sorted({f"{_names([r.kind], policy).lower()} of {r.controller}" for r in rels})
        return f"allowed on the basis of performance of a contract ({', '.join(kinds)})"
    if purpose.legal_basis == "legitimate_interest" and purpose.balancing_test:
        return f"allowed on the basis of legitimate interest ({purpose.balancing_test.interest})"
    return f"allowed on the basis of {words}"


def _decision(reasons: list[Reason], basis: str | None) -> PurposeDecision:
    order = _ORDER
    ordered = sorted(reasons, key=lambda r: order.get(r.code, len(order))) if len(reasons) > 1 else reasons
    return PurposeDecision(
        allowed=basis is not None,
        reasons=[r.text for r in ordered],
        legal_basis=basis,
        codes=[r.code for r in ordered if r.code != "allowed"],
    )
