"""Recipients' part of the lifecycle contract: the disclosure log.

The log is the proof of what was disclosed to whom (Art. 5(2), Art. 19): it holds no value, only the
category, the recipient, the date, the former item id (``item_ref``) and the person row. Erasure keeps it,
pseudonymised: the item reference is cleared (``item_ref`` stays), the person row stays bare (no item, no
fact). On a merge the log follows the kept record.
"""

from __future__ import annotations

from typing import Any

from tutela.accounts.principal import Principal
from tutela.core import lifecycle
from tutela.core.audit import audit_log
from tutela.core.lifecycle import Erase, Register


def export_recipients(subject_id: int, *, principal: Principal) -> list[dict[str, Any]]:
    """Who received the person's data, as ``principal`` may see it (a merge moved the duplicate's log here)."""
    from tutela.recipients.selectors import recipients_of_subject

    return recipients_of_subject(subject_id, principal=principal)


def merge(*, keep_id: int, duplicate_id: int, principal: Principal) -> dict[str, int]:
    from tutela.recipients.models import DisclosedItem

    moved = DisclosedItem.objects.filter(subject_id=duplicate_id).update(subject_id=keep_id)
    if moved:
        audit_log(
            "disclosure.merge",
            object_type="subject",
            object_id=keep_id,
            subject_id=keep_id,
            payload={"duplicate": duplicate_id, "disclosed_items": moved},
            actor=principal.actor,
        )
    return {"disclosed_items": moved}


def register() -> None:
    from tutela.recipients.models import DisclosedItem

    lifecycle.register(
        lifecycle.Owner(
            app="recipients",
            registers=(
                Register(
                    DisclosedItem,
                    "subject",
                    Erase.KEEP,
                    "proof of disclosure (Art. 5(2), Art. 19): kept with the bare person row, no value",
                ),
                Register(
                    DisclosedItem,
                    "item",
                    Erase.DETACH,
                    "the erased item is no longer referenced; its former id stays in item_ref",
                ),
                Register(DisclosedItem, "item_ref", Erase.KEEP, "the former item id: no personal data"),
            ),
            export={"recipients": export_recipients},
            merge=merge,
        )
    )
