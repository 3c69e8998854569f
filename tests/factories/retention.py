"""Test people for retention: members, prospects and others with the facts the rules count from."""

from __future__ import annotations

import datetime as dt

from tests.factories.subjects import DataItemFactory, RelationshipFactory, SubjectFactory, email_item
from tutela.core import clock
from tutela.subjects.models import DataItem, Subject


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    """Noon (by default) of a Brussels day, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=clock.BRUSSELS)


def person_with(
    *,
    kind: str,
    purposes: list[str],
    collected_on: dt.date,
    started_on: dt.date | None = None,
    ended_on: dt.date | None = None,
    last_interest_on: dt.date | None = None,
    controller: str = "crm-asbl",
    items: int = 2,
    email: str | None = None,
) -> tuple[Subject, list[DataItem]]:
    """A person with one relationship of ``kind`` and ``items`` items (a name, then an e-mail) for ``purposes``."""
    subject = SubjectFactory()
    RelationshipFactory(
        subject=subject,
        controller=controller,
        kind=kind,
        started_on=started_on,
        ended_on=ended_on,
        last_interest_on=last_interest_on,
    )
    made = [
        DataItemFactory(
            subject=subject, controller=controller, purposes=list(purposes), collected_at=at(collected_on)
        )
    ]
    if items > 1:
        made.append(
            email_item(
                subject,
                email or f"person{subject.pk}@example.org",
                controller=controller,
                purposes=list(purposes),
                collected_at=at(collected_on),
            )
        )
    return subject, made
