"""Retention's part of the lifecycle contract: legal holds.

A hold is a legal record (who froze what, for which case): it names a person or items by id and outlives
what it protects, so erasure keeps it. On a merge a hold on the duplicate follows to the kept record: the
merge says they are one person, and the hold froze that person's data.
"""

from __future__ import annotations

from tutela.accounts.principal import Principal
from tutela.core import lifecycle
from tutela.core.audit import audit_log
from tutela.core.lifecycle import Erase, Register


def merge(*, keep_id: int, duplicate_id: int, principal: Principal) -> dict[str, int]:
    from tutela.retention.models import LegalHold

    holds = list(LegalHold.objects.filter(subject_id=duplicate_id).values_list("id", flat=True))
    if holds:
        LegalHold.objects.filter(id__in=holds).update(subject_id=keep_id)
        audit_log(
            "hold.merge",
            object_type="subject",
            object_id=keep_id,
            subject_id=keep_id,
            payload={"duplicate": duplicate_id, "holds": holds},
            actor=principal.actor,
        )
    return {"holds": len(holds)}


def register() -> None:
    from tutela.retention.models import LegalHold, LegalHoldItem

    lifecycle.register(
        lifecycle.Owner(
            app="retention",
            registers=(
                Register(
                    LegalHold,
                    "subject_id",
                    Erase.KEEP,
                    "a legal record naming a person by id only; it blocks erasure while active",
                ),
                Register(
                    LegalHoldItem,
                    "item_id",
                    Erase.KEEP,
                    "a legal record naming items by id only; items move with their ids on a merge",
                ),
            ),
            merge=merge,
        )
    )
