"""Factories for the breach register: facts documents, reports made through the service, raw rows for reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from tutela.accounts.principal import CLI, Principal
from tutela.breaches.models import Breach
from tutela.core import clock


def facts(**overrides: Any) -> dict[str, Any]:
    """Breach facts (breach-facts schema): basic contact data of a few people sent by mistake, unless overridden."""
    base: dict[str, Any] = {
        "summary": "test breach",
        "data_categories": ["user.name", "user.contact.email"],
        "subjects_affected": 3,
        "malicious": False,
        "confidentiality": {"lost": True, "recipient": "known", "exfiltrated": False},
    }
    base.update(overrides)
    return base


def report(principal: Principal = CLI, **overrides: Any) -> Breach:
    """A breach reported through ``breach_report`` (the DPO alert and events included), by ``principal``
    (the operator at the shell unless given)."""
    from tutela.breaches.services import Reporter, breach_report

    reporter = overrides.pop(
        "reporter",
        Reporter(
            name="Martens, Els",
            address="Rue Haute 1, 1000 Brussels",
            phone="+32 2 555 01 01",
            email="els.martens@example.org",
        ),
    )
    values: dict[str, Any] = {
        "incident_type": "disclosure_by_mistake",
        "description": "A member list was e-mailed to the wrong mailing list by mistake.",
        "people_concerned": 25,
    }
    values.update(overrides)
    return breach_report(principal=principal, reporter=reporter, **values)


class BreachFactory(factory.django.DjangoModelFactory):
    """A raw register row, for tests of reads only (state changes go through the services)."""

    class Meta:
        model = Breach

    summary = factory.Sequence(lambda n: f"breach {n}")
    incident_type = "other"
    description = "Something happened to personal data."
    reporter_name = "Reporter"
    reporter_address = "Street 1"
    reporter_phone = "+3225550000"
    detected_at = factory.LazyFunction(clock.now)
    aware_at = factory.LazyAttribute(lambda o: o.detected_at)
    reported_at = factory.LazyAttribute(lambda o: o.detected_at + dt.timedelta(minutes=5))
