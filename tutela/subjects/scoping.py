"""Who may see which items and people (policy §1 and §7).

Joint controllership does not mean both entities process everything: staff and integrations of one
controller see that controller's items, the items disclosed to it (a logged disclosure of the recipients
register) and the items of purposes the policy marks ``joint: true``. Items held as a processor
(``on_behalf_of`` set) stay with the controller that holds them for its client. The DPO, privacy officers
and auditors see the whole group. Archived and erased items are out of normal use for everyone.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from tutela.accounts.principal import Principal
from tutela.subjects.models import DataItem, Relationship, Subject

#: statuses in normal use (restricted items stay visible: restriction limits use, not knowledge)
IN_USE = (DataItem.Status.ACTIVE, DataItem.Status.RESTRICTED)


def joint_purposes() -> list[str]:
    from tutela.policy.selectors import active_policy

    return [key for key, p in active_policy().purposes.items() if p.joint]


def _disclosed_ids(controller: str) -> Any:
    """Ids of items disclosed to ``controller`` (the recipients register), or None when it has none yet."""
    try:
        from tutela.recipients.selectors import (  # type: ignore[attr-defined,unused-ignore]
            item_ids_disclosed_to_controller,
        )
    except (ImportError, AttributeError):
        return None
    return item_ids_disclosed_to_controller(controller)


def controller_q(controller: str) -> Q:
    """The items a principal of ``controller`` may see, as a filter on DataItem."""
    shared = Q(pk__in=[])
    for key in joint_purposes():
        shared |= Q(purposes__icontains=f'"{key}"')
    disclosed = _disclosed_ids(controller)
    if disclosed is not None:
        shared |= Q(pk__in=disclosed)
    return Q(controller=controller) | (Q(on_behalf_of="") & shared)


def visible_items(principal: Principal, *, include_archived: bool = False) -> QuerySet[DataItem]:
    """The items this principal may see in normal use."""
    items = DataItem.objects.filter(subject__erased_at__isnull=True)
    if include_archived and principal.archive_access:
        items = items.exclude(status=DataItem.Status.ERASED)
    else:
        items = items.filter(status__in=IN_USE)
    if principal.is_group_wide:
        return items
    if not principal.controller or principal.role == "public":
        return items.none()  # a role without an entity, or the public, sees nothing by its own right
    return items.filter(controller_q(principal.controller))


def visible_subjects(principal: Principal) -> QuerySet[Subject]:
    """The people this principal may see: those with at least one visible item or a relationship with
    the principal's controller. Merged-away and erased people are left out."""
    people = Subject.objects.filter(erased_at__isnull=True, merged_into__isnull=True)
    if principal.is_group_wide:
        return people
    if not principal.controller or principal.role == "public":
        return people.none()
    item_subjects = visible_items(principal).values("subject_id")
    related = Relationship.objects.filter(controller=principal.controller).values("subject_id")
    return people.filter(Q(pk__in=item_subjects) | Q(pk__in=related))


def can_see_subject(principal: Principal, subject_id: int) -> bool:
    return visible_subjects(principal).filter(pk=subject_id).exists()
