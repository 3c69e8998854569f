"""The audit trail's part of the lifecycle contract: entries about a person are redacted, never deleted.

The payload is blanked and ``redacted_at`` set; the entry and its hash stay, so the chain still verifies.
Entries keep the id they were written with (a merge does not rewrite the chain): erasing a person redacts the
entries of every record merged into theirs too (:func:`tutela.core.lifecycle.with_duplicates`).
"""

from __future__ import annotations

from collections.abc import Sequence

from tutela.accounts.principal import Principal
from tutela.core import clock, lifecycle
from tutela.core.audit import REDACTED
from tutela.core.lifecycle import Erase, Register


def erase(subject_ids: Sequence[int], *, principal: Principal) -> dict[str, int]:
    from tutela.core.models import AuditEntry

    redacted = AuditEntry.objects.filter(
        lifecycle.in_ids("subject_id", subject_ids), redacted_at__isnull=True
    ).update(payload=REDACTED, redacted_at=clock.now())
    return {"audit_entries_redacted": redacted}


def register() -> None:
    from tutela.core.models import AuditEntry

    lifecycle.register(
        lifecycle.Owner(
            app="core",
            registers=(
                Register(
                    AuditEntry,
                    "subject_id",
                    Erase.REDACT,
                    "the trail stays and still verifies; what it said about the person is blanked",
                ),
            ),
            erase=erase,
        )
    )
