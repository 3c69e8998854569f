"""The register's part of the lifecycle contract: items, relationships, interactions, merge pointers.

Items are decided by the caller (erasure item by item, the sweep by rule); the facts retention counts from
(relationships, interactions) go with the person; a duplicate's pointer to the kept record is cleared. The
merge of these rows is :func:`tutela.subjects.services.subject_merge` itself.
"""

from __future__ import annotations

from tutela.core import lifecycle
from tutela.core.lifecycle import Erase, Register


def register() -> None:
    from tutela.subjects.models import DataItem, Interaction, Relationship, Subject

    lifecycle.register(
        lifecycle.Owner(
            app="subjects",
            registers=(
                Register(
                    DataItem,
                    "subject",
                    Erase.DELETE,
                    "the items themselves: erased, or narrowed to the purposes that must keep them and archived",
                ),
                Register(
                    Relationship,
                    "subject",
                    Erase.DELETE,
                    "the facts retention counted from go with the person",
                ),
                Register(Interaction, "subject", Erase.DELETE, "the person's activity goes with them"),
                Register(
                    Subject,
                    "merged_into",
                    Erase.DETACH,
                    "a merged duplicate no longer points at an erased record",
                ),
            ),
        )
    )
