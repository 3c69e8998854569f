"""Factories for the register of recipients: recipients, safeguards, client controllers."""

from __future__ import annotations

import datetime as dt

import factory

from tutela.core import clock
from tutela.recipients.models import ClientController, Recipient, Safeguard


class RecipientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recipient
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"recipient-{n}")
    name = factory.Sequence(lambda n: f"Recipient {n} SA")
    recipient_type = "it-providers"
    role = "processor"
    country = "BE"
    contact_email = factory.Sequence(lambda n: f"privacy{n}@recipient.example")
    contract_ref = factory.Sequence(lambda n: f"DPA-{n:04d}")
    categories = factory.LazyFunction(lambda: ["user.name", "user.contact.email"])
    purposes = factory.LazyFunction(lambda: ["member-management"])
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)


class SafeguardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Safeguard

    recipient = factory.SubFactory(RecipientFactory)
    kind = "scc"
    scc_module = "c2p"
    reference = "SCC-2021/914"
    signed_on = dt.date(2024, 1, 15)
    created_at = factory.LazyFunction(clock.now)


class ClientControllerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientController

    key = factory.Sequence(lambda n: f"client-{n}")
    name = factory.Sequence(lambda n: f"Client Company {n}")
    contact_email = factory.Sequence(lambda n: f"dpo{n}@client.example")
    instructions_ref = factory.Sequence(lambda n: f"INSTR-{n}")
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)
