"""Consent's part of the lifecycle contract: the consent ledger and the objections.

Erasure deletes a person's consent events and objections; the suppression list (keyed hashes, no link to the
person) is no register of a person and stays, so that prospecting and newsletters stay blocked if the person
is collected again. On a merge, consents and objections follow the kept record.
"""

from __future__ import annotations

from typing import Any

from tutela.accounts.principal import Principal
from tutela.core import lifecycle
from tutela.core.audit import audit_log
from tutela.core.lifecycle import Erase, Register


def export_consents(subject_id: int, *, principal: Principal) -> list[dict[str, Any]]:
    """The person's consent history and objections as ``principal`` may see them (the consent selector
    decides the scope; a merge moved the duplicate's entries here)."""
    from tutela.consent.selectors import consents_of_subject

    return consents_of_subject(subject_id, principal=principal)


def merge(*, keep_id: int, duplicate_id: int, principal: Principal) -> dict[str, int]:
    from tutela.consent.models import ConsentEvent, Objection

    consents = ConsentEvent.objects.filter(subject_id=duplicate_id).update(subject_id=keep_id)
    objections = Objection.objects.filter(subject_id=duplicate_id).update(subject_id=keep_id)
    if consents or objections:
        audit_log(
            "consent.merge",
            object_type="subject",
            object_id=keep_id,
            subject_id=keep_id,
            payload={"duplicate": duplicate_id, "consent_events": consents, "objections": objections},
            actor=principal.actor,
        )
    return {"consent_events": consents, "objections": objections}


def register() -> None:
    from tutela.consent.models import ConsentEvent, Objection

    lifecycle.register(
        lifecycle.Owner(
            app="consent",
            registers=(
                Register(
                    ConsentEvent,
                    "subject",
                    Erase.DELETE,
                    "the consent ledger of an erased person goes; the suppression list keeps them from being "
                    "contacted again",
                ),
                Register(
                    Objection, "subject", Erase.DELETE, "objections go with the person (suppression stays)"
                ),
            ),
            export={"consents": export_consents},
            merge=merge,
        )
    )
