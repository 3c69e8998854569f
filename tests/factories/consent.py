"""Test data for consent: people built through the register's services, as the register stores them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tutela.accounts.principal import SYSTEM
from tutela.core import clock
from tutela.subjects.models import Subject


def person(
    email: str | None = None,
    *,
    phone: str | None = None,
    subject_type: str = "prospect",
    controller: str = "crm-asbl",
    source: str = "direct",
    language: str = "en",
    started_on: dt.date | None = None,
    ended_on: dt.date | None = None,
    last_interest_on: dt.date | None = None,
    **kwargs: Any,
) -> Subject:
    """A person with an e-mail address and/or phone number, one relationship and a name."""
    from tutela.subjects.services import NewItem, subject_create

    items = [NewItem(category="user.name", value="Test Person")]
    if email:
        items.append(NewItem(category="user.contact.email", value=email))
    if phone:
        items.append(NewItem(category="user.contact.phone_number", value=phone))
    return subject_create(
        language=language,
        controller=controller,
        subject_type=subject_type,
        source=source,
        items=items,
        started_on=started_on or clock.today(),
        ended_on=ended_on,
        last_interest_on=last_interest_on,
        **{"principal": SYSTEM, **kwargs},
    )
