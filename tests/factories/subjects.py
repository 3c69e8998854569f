"""Factories for the register: people, items with provenance, relationships."""

from __future__ import annotations

import datetime as dt

import factory

from tutela.core import clock, crypto
from tutela.subjects import identifiers
from tutela.subjects.models import DataItem, Relationship, Subject


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject

    language = "en"
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)


class DataItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataItem

    subject = factory.SubFactory(SubjectFactory)
    controller = "crm-asbl"
    category = "user.name"
    value = factory.Sequence(lambda n: f"Person {n}")
    source = "direct"
    collected_at = factory.LazyFunction(clock.now)
    purposes = factory.LazyFunction(lambda: ["member-management"])
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)


def email_item(subject: Subject, email: str, **kwargs: object) -> DataItem:
    """An e-mail item with its blind index, as the register stores it."""
    normalised = identifiers.normalise("email", email)
    return DataItemFactory(
        subject=subject,
        category="user.contact.email",
        value=normalised,
        lookup=identifiers.lookup_of_normalised("email", normalised),
        **kwargs,
    )


def sealed_item(subject: Subject, category: str, kind: str, raw: str, **kwargs: object) -> DataItem:
    """A sensitive identifier (national number, IBAN): encrypted value plus blind index, no clear text."""
    normalised = identifiers.normalise(kind, raw)
    return DataItemFactory(
        subject=subject,
        category=category,
        value="",
        value_sealed=crypto.encrypt(normalised, context=category),
        lookup=identifiers.lookup_of_normalised(kind, normalised),
        **kwargs,
    )


class RelationshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Relationship

    subject = factory.SubFactory(SubjectFactory)
    controller = "crm-asbl"
    kind = "member"
    started_on = dt.date(2020, 1, 1)
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)
