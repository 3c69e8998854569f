"""Breaches' part of the lifecycle contract: who a breach concerned and who was told.

The breach register is documentation the law requires (Art. 33(5), Art. 34): who was concerned and the
state of each notice are kept, pseudonymised (the bare person row; no address is stored). On a merge they
follow the kept record (once per breach).
"""

from __future__ import annotations

from tutela.accounts.principal import Principal
from tutela.core import lifecycle
from tutela.core.lifecycle import Erase, Register


def merge(*, keep_id: int, duplicate_id: int, principal: Principal) -> dict[str, int]:
    from tutela.breaches.models import BreachSubject, SubjectNotice

    already = BreachSubject.objects.filter(subject_id=keep_id).values("breach_id")
    twins, _ = BreachSubject.objects.filter(subject_id=duplicate_id, breach_id__in=already).delete()
    moved = BreachSubject.objects.filter(subject_id=duplicate_id).update(subject_id=keep_id)
    notices = SubjectNotice.objects.filter(subject_id=duplicate_id).update(subject_id=keep_id)
    return {"breach_subjects": moved, "breach_subjects_merged": int(twins), "breach_notices": notices}


def register() -> None:
    from tutela.breaches.models import BreachSubject, SubjectNotice

    lifecycle.register(
        lifecycle.Owner(
            app="breaches",
            registers=(
                Register(
                    BreachSubject,
                    "subject",
                    Erase.KEEP,
                    "breach documentation (Art. 33(5)): who was concerned, kept with the bare person row",
                ),
                Register(
                    SubjectNotice,
                    "subject",
                    Erase.KEEP,
                    "proof of the communication to the person (Art. 34): its state, no address",
                ),
            ),
            merge=merge,
        )
    )
