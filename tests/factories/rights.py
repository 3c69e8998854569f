"""Test data for rights requests: people built through the register's services, requests through ours."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tutela.accounts.principal import SYSTEM
from tutela.core import clock
from tutela.subjects.models import Subject


def member(
    email: str = "marie.dupont@example.be",
    *,
    controller: str = "crm-asbl",
    language: str = "fr",
    started_on: dt.date = dt.date(2019, 3, 1),
    ended_on: dt.date | None = None,
    iban: str | None = "BE71096123456769",
    collected_at: dt.datetime | None = None,
) -> Subject:
    """A member (or former member, with ``ended_on``) with contact data, an IBAN for accounting, a phone."""
    from tutela.subjects.services import NewItem, subject_create

    items = [
        NewItem(category="user.name", value="Marie Dupont", purposes=["member-management"]),
        NewItem(
            category="user.contact.email", value=email, purposes=["member-management", "service-information"]
        ),
        NewItem(
            category="user.contact.phone_number", value="+32 470 12 34 56", purposes=["member-management"]
        ),
    ]
    if iban:
        items.append(
            NewItem(
                category="user.financial.bank_account",
                value=iban,
                purposes=["member-management", "accounting"],
            )
        )
    return subject_create(
        principal=SYSTEM,
        language=language,
        controller=controller,
        subject_type="member",
        source="direct",
        items=items,
        collected_at=collected_at or dt.datetime(2019, 3, 1, 10, tzinfo=dt.UTC),
        started_on=started_on,
        ended_on=ended_on,
    )


def prospect(
    email: str = "jan.peeters@example.be",
    *,
    controller: str = "crm-asbl",
    language: str = "nl",
    source: str = "public-web",
    **kwargs: Any,
) -> Subject:
    from tutela.subjects.services import NewItem, subject_create

    return subject_create(
        language=language,
        controller=controller,
        subject_type="prospect",
        source=source,
        items=[
            NewItem(category="user.name", value="Jan Peeters", purposes=["prospecting"]),
            NewItem(category="user.contact.email", value=email, purposes=["prospecting"]),
            NewItem(category="user.contact.phone_number", value="+32 475 98 76 54", purposes=["prospecting"]),
        ],
        started_on=clock.today() - dt.timedelta(days=30),
        last_interest_on=clock.today() - dt.timedelta(days=30),
        **{"principal": SYSTEM, **kwargs},
    )


def open_request(type: str, identifier: str, **kwargs: Any) -> Any:
    """A request opened by the operator (the CLI principal) unless ``principal`` says who."""
    from tutela.accounts.principal import CLI
    from tutela.rights.services import request_open

    kwargs.setdefault("channel", "staff")
    kwargs.setdefault("verified", True)
    kwargs.setdefault("principal", CLI)
    return request_open(type=type, identifier=identifier, **kwargs).request


def link_token(mail: Any) -> str:
    """The private token of the link in a verification e-mail (the only place it is given); ``mail`` is a
    message of Django's outbox or one received by the test SMTP server."""
    import re

    text = mail.body if hasattr(mail, "body") else mail.get_body(preferencelist=("plain",)).get_content()
    found = re.search(r"/requests/verify/\?token=([\w-]+)", text)
    assert found, "no private link in the mail"
    return found.group(1)
