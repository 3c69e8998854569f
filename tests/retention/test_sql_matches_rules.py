"""The sweep's SQL selects exactly the items the pure rules call due, on random people and dates."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from tests.factories.retention import at
from tests.factories.subjects import DataItemFactory, RelationshipFactory, SubjectFactory
from tests.retention.conftest import TODAY
from tutela.retention.selectors import explain_items
from tutela.retention.sweep import plan_groups
from tutela.subjects.models import DataItem, Interaction

KINDS = [
    "member",
    "customer",
    "supplier",
    "prospect",
    "newsletter-subscriber",
    "event-participant",
    "visitor",
    "online-user",
]


def _day(rng: random.Random) -> dt.date:
    # dense around the cut-offs: month ends, 1 January, exactly N years ago
    base = rng.choice(
        [TODAY, dt.date(2016, 1, 1), dt.date(2025, 11, 25), dt.date(2026, 10, 31), dt.date(2014, 12, 31)]
    )
    return base + dt.timedelta(days=rng.randint(-400, 40))


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_selection_equals_the_pure_rules(policy: Any, frozen: Any, seed: int) -> None:
    rng = random.Random(seed)
    purposes = list(policy.purposes)
    for _ in range(60):
        subject = SubjectFactory()
        for kind in rng.sample(KINDS, rng.randint(0, 3)):
            ended = rng.choice([None, _day(rng), TODAY + dt.timedelta(days=rng.randint(1, 30))])
            RelationshipFactory(
                subject=subject,
                kind=kind,
                started_on=rng.choice([None, _day(rng)]),
                ended_on=ended,
                last_interest_on=rng.choice([None, _day(rng)]),
            )
        if rng.random() < 0.4:
            Interaction.objects.create(
                subject=subject, controller="crm-asbl", kind="mail", at=at(_day(rng), rng.choice([0, 23]))
            )
        for _ in range(rng.randint(1, 3)):
            DataItemFactory(
                subject=subject,
                purposes=rng.sample(purposes, rng.randint(1, 3)),
                collected_at=at(_day(rng), rng.choice([0, 12, 23])),
            )
    selected = set()
    for group in plan_groups(policy, TODAY):
        selected |= set(group.due_queryset().values_list("id", flat=True))
    items = list(DataItem.objects.all())
    by_rules = {
        i.item_id for i in explain_items(items, today=TODAY) if i.due_on is not None and i.due_on <= TODAY
    }
    assert selected == by_rules
    assert 0 < len(selected) < len(items)  # the sample exercises both outcomes
