"""Reads for retention: holds, the facts an item's rules count from, due dates, previews and summaries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Q, QuerySet

from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.policy.schema import Policy
from tutela.policy.selectors import active_policy
from tutela.retention import rules
from tutela.retention.models import LegalHold, LegalHoldItem, SweepRun
from tutela.subjects.models import DataItem, Interaction, Relationship


# ---------------------------------------------------------------- holds
def active_holds() -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(released_at__isnull=True)


def holds_for_subject(subject_id: int, *, principal: Principal) -> list[LegalHold]:
    """Active holds that protect this person: on the person, or on any of their items.

    Holds are the DPO's register (docs/decisions/0011): group-wide roles see them; anyone else gets an
    empty list, so no case reference of either entity reaches an entity's staff."""
    if not principal.is_group_wide:
        return []
    return _holds_of_subject(subject_id)


def _holds_of_subject(subject_id: int) -> list[LegalHold]:
    item_ids = DataItem.objects.filter(subject_id=subject_id).values("id")
    return list(
        active_holds()
        .filter(Q(subject_id=subject_id) | Q(items__item_id__in=item_ids))
        .distinct()
        .order_by("placed_at")
    )


def held_subject_ids() -> QuerySet[LegalHold, Any]:
    """A subquery of the people under an active hold."""
    return active_holds().filter(subject_id__isnull=False).values("subject_id")


def held_item_ids() -> QuerySet[LegalHoldItem, Any]:
    """A subquery of the items named by an active hold (people's holds are in :func:`held_subject_ids`)."""
    return LegalHoldItem.objects.filter(hold__released_at__isnull=True).values("item_id")


def held_q() -> Q:
    """Items protected by an active hold, as a filter for DataItem querysets."""
    return Q(subject_id__in=held_subject_ids()) | Q(id__in=held_item_ids())


def is_held(*, subject_id: int | None = None, item_id: int | None = None) -> bool:
    """Is this person, or this item (directly or through its person), under an active hold?"""
    if item_id is not None:
        owner = DataItem.objects.filter(id=item_id).values_list("subject_id", flat=True).first()
        if LegalHoldItem.objects.filter(hold__released_at__isnull=True, item_id=item_id).exists():
            return True
        if owner is not None and active_holds().filter(subject_id=owner).exists():
            return True
    if subject_id is not None:
        return bool(_holds_of_subject(subject_id))
    return False


def camera_holds() -> list[LegalHold]:
    return list(active_holds().exclude(camera=""))


# ---------------------------------------------------------------- facts and due dates
def _local_date(value: dt.datetime) -> dt.date:
    return clock.as_aware(value).astimezone(clock.BRUSSELS).date()


def relationship_types(policy: Policy) -> dict[str, str]:
    return {key: st.relationship for key, st in policy.subject_types.items()}


@dataclass(frozen=True)
class ItemRetention:
    """An item's retention: per purpose its rule and date, and for the item the day it is due and the action."""

    item_id: int
    subject_id: int
    controller: str
    category: str
    purposes: list[str]
    parts: list[rules.PurposeRetention]
    due_on: dt.date | None
    action: str | None
    unknown_purposes: list[str]
    #: the day the item leaves its lifecycle for good (the archive phase included), and what then happens
    end_on: dt.date | None = None
    final_action: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "subject_id": self.subject_id,
            "controller": self.controller,
            "category": self.category,
            "purposes": self.purposes,
            "rules": [p.rule_key for p in self.parts],
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "action": self.action,
            "end_on": self.end_on.isoformat() if self.end_on else None,
        }


def explain_items(
    items: Sequence[DataItem], *, policy: Policy | None = None, today: dt.date | None = None
) -> list[ItemRetention]:
    """Each item's retention, computed by the pure rules from facts loaded in three queries for the lot."""
    policy = policy or active_policy()
    today = today or clock.today()
    types = relationship_types(policy)
    subject_ids = {i.subject_id for i in items}
    rels: dict[tuple[int, str], list[rules.RelationshipFact]] = defaultdict(list)
    for r in Relationship.objects.filter(subject_id__in=subject_ids).values(
        "subject_id", "controller", "kind", "started_on", "ended_on", "last_interest_on"
    ):
        rels[(r["subject_id"], r["controller"])].append(
            rules.RelationshipFact(r["kind"], r["started_on"], r["ended_on"], r["last_interest_on"])
        )
    activity = {
        (row["subject_id"], row["controller"]): _local_date(row["last"])
        for row in Interaction.objects.filter(subject_id__in=subject_ids)
        .values("subject_id", "controller")
        .annotate(last=Max("at"))
    }
    out = []
    for item in items:
        collected = _local_date(item.collected_at) if item.collected_at else None
        received = _local_date(item.created_at)
        parts: list[rules.PurposeRetention] = []
        unknown: list[str] = []
        for key in item.purposes or []:
            purpose = policy.purposes.get(key)
            rule = policy.retention.get(purpose.retention) if purpose else None
            if purpose is None or rule is None:
                unknown.append(key)
                continue
            facts = rules.facts_for_purpose(
                collected_on=collected,
                relationships=rels.get((item.subject_id, item.controller), []),
                relationship_types=types,
                purpose_kinds=purpose.subject_types,
                last_activity_on=activity.get((item.subject_id, item.controller)),
                today=today,
                received_on=received,
            )
            parts.append(
                rules.PurposeRetention(key, purpose.retention, rule, facts, rules.rule_due_on(rule, facts))
            )
        due = None if unknown else rules.item_due_on((p.rule, p.facts) for p in parts)
        end = None if unknown else rules.item_end_on((p.rule, p.facts) for p in parts)
        action = rules.combined_action(p.rule.action for p in parts) if parts else None
        final = rules.final_action(p.rule for p in parts) if parts else None
        out.append(
            ItemRetention(
                item.id,
                item.subject_id,
                item.controller,
                item.category,
                list(item.purposes or []),
                parts,
                due,
                action,
                unknown,
                end,
                final,
            )
        )
    return out


def item_retention(item: DataItem, *, today: dt.date | None = None) -> ItemRetention:
    """One item's retention (the due day, the action, and each purpose's date)."""
    return explain_items([item], today=today)[0]


def item_is_past_retention(
    item: DataItem, *, purpose: str | None = None, today: dt.date | None = None
) -> bool:
    """Is the item past retention today, as a whole or (with ``purpose``) for that one purpose?

    Purpose checks use the second form: a purpose whose period has run out may no longer use the item, even
    while another purpose still keeps it.
    """
    today = today or clock.today()
    info = item_retention(item, today=today)
    if purpose is None:
        return info.due_on is not None and today >= info.due_on
    part = next((p for p in info.parts if p.purpose == purpose), None)
    return part is not None and rules.is_past_retention([(part.rule, part.facts)], today)


# ---------------------------------------------------------------- runs
def last_run() -> SweepRun | None:
    return SweepRun.objects.order_by("-started_at", "-id").first()


def next_sweep_at(now: dt.datetime | None = None) -> dt.datetime:
    """The next daily sweep time (``TUTELA_RETENTION_SWEEP_AT``, Brussels time) after ``now``."""
    from django.conf import settings

    local = (now or clock.now()).astimezone(clock.BRUSSELS)
    hour, minute = settings.TUTELA_RETENTION_SWEEP_AT
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (local + dt.timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
        candidate = dt.datetime.combine(candidate.date(), candidate.time(), tzinfo=clock.BRUSSELS)
    return candidate


def next_sweep_preview(limit: int = 50) -> list[dict[str, Any]]:
    """What the next sweep will remove (or archive): up to ``limit`` items with their rule and action."""
    from tutela.retention.sweep import plan_groups

    today = clock.today()
    rows: list[dict[str, Any]] = []
    for group in plan_groups(active_policy(), today):
        if len(rows) >= limit:
            break
        items = list(group.due_queryset().order_by("id")[: limit - len(rows)])
        for info in explain_items(items, today=today):
            rows.append({**info.as_dict(), "held": False})
    return rows


def retention_summary_for_subject(
    subject_id: int, *, principal: Principal, lang: str = "en"
) -> list[dict[str, Any]]:
    """For the access package and the notice: per item, each purpose's period in words and the due date.

    Only the items ``principal`` may see (archived ones with archive access, or for group-wide roles);
    NotFound for a person outside its scope."""
    from tutela.accounts.permissions import require_in_scope
    from tutela.retention.wording import period_in_words
    from tutela.subjects.scoping import visible_items

    require_in_scope(principal, subject_id)
    policy = active_policy()
    if principal.is_group_wide:
        scoped = DataItem.objects.exclude(status=DataItem.Status.ERASED)
    else:
        scoped = visible_items(principal, include_archived=True)
    items = list(scoped.filter(subject_id=subject_id).order_by("controller", "category", "id"))
    out = []
    for info in explain_items(items, policy=policy):
        out.append(
            {
                "item_id": info.item_id,
                "controller": info.controller,
                "category": info.category,
                "purposes": [
                    {
                        "purpose": p.purpose,
                        "rule": p.rule_key,
                        "period": p.rule.period,
                        "in_words": period_in_words(policy, p.rule_key, lang),
                        "due_on": p.due_on.isoformat() if p.due_on else None,
                    }
                    for p in info.parts
                ],
                "due_on": info.due_on.isoformat() if info.due_on else None,
                "action": info.action,
                "end_on": info.end_on.isoformat() if info.end_on else None,
            }
        )
    return out


def holds_list(*, principal: Principal, active_only: bool = True) -> list[dict[str, Any]]:
    """The legal holds (active ones unless ``active_only`` is False): group-wide roles only, since a hold's
    case reference is the DPO's to share (docs/decisions/0011)."""
    from tutela.accounts.permissions import require_group_wide

    require_group_wide(principal, "the register of legal holds")
    qs = LegalHold.objects.order_by("placed_at", "id").prefetch_related("items")
    if active_only:
        qs = qs.filter(released_at__isnull=True)
    return [hold_as_dict(h) for h in qs]


def hold_as_dict(h: LegalHold) -> dict[str, Any]:
    return {
        "id": h.id,
        "case_ref": h.case_ref,
        "reason": h.reason,
        "subject_id": h.subject_id,
        "item_ids": sorted(i.item_id for i in h.items.all()),
        "camera": h.camera or None,
        "window_start": h.window_start.isoformat() if h.window_start else None,
        "window_end": h.window_end.isoformat() if h.window_end else None,
        "placed_at": h.placed_at.isoformat(),
        "placed_by": h.placed_by,
        "active": h.active,
        "released_at": h.released_at.isoformat() if h.released_at else None,
        "release_reason": h.release_reason or None,
    }
