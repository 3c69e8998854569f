"""Issue 16: anchors from the policy's facts, unknown collection dates, restricted and archived items.

The sweep's SQL must select what the pure rules say, also for items whose source gave no date (they count
from the day Tutela received them), for restricted items (a restriction suspends use, not the end date) and
for archived items (the archive phase ends)."""

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

KINDS = ["member", "customer", "supplier", "prospect", "newsletter-subscriber", "visitor", "online-user"]
STATUSES = [DataItem.Status.ACTIVE, DataItem.Status.RESTRICTED, DataItem.Status.ARCHIVED]


def _day(rng: random.Random) -> dt.date:
    base = rng.choice(
        [TODAY, dt.date(2016, 1, 1), dt.date(2006, 1, 1), dt.date(2025, 11, 25), dt.date(2014, 12, 31)]
    )
    return base + dt.timedelta(days=rng.randint(-400, 40))


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_sql_equals_the_rules_with_unknown_dates_and_every_status(
    policy: Any, frozen: Any, seed: int
) -> None:
    rng = random.Random(seed)
    purposes = list(policy.purposes)
    for _ in range(70):
        subject = SubjectFactory()
        for kind in rng.sample(KINDS, rng.randint(0, 3)):
            RelationshipFactory(
                subject=subject,
                kind=kind,
                started_on=rng.choice([None, _day(rng)]),
                ended_on=rng.choice([None, _day(rng), TODAY + dt.timedelta(days=rng.randint(1, 30))]),
                last_interest_on=rng.choice([None, _day(rng)]),
            )
        if rng.random() < 0.4:
            Interaction.objects.create(
                subject=subject, controller="crm-asbl", kind="mail", at=at(_day(rng), rng.choice([0, 23]))
            )
        for _ in range(rng.randint(1, 3)):
            received = at(_day(rng), rng.choice([0, 12, 23]))
            DataItemFactory(
                subject=subject,
                purposes=rng.sample(purposes, rng.randint(1, 3)),
                collected_at=rng.choice([None, at(_day(rng), rng.choice([0, 12, 23]))]),
                created_at=received,
                updated_at=received,
                status=rng.choice(STATUSES),
            )
    selected: set[int] = set()
    for group in plan_groups(policy, TODAY):
        selected |= set(group.due_queryset().values_list("id", flat=True))
    items = list(DataItem.objects.all())
    expected = set()
    for info, item in zip(explain_items(items, today=TODAY), items, strict=True):
        day = info.end_on if item.status == DataItem.Status.ARCHIVED else info.due_on
        if day is not None and day <= TODAY:
            expected.add(item.id)
    assert selected == expected
    assert 0 < len(selected) < len(items)
    kinds_selected = {i.status for i in items if i.id in selected}
    assert DataItem.Status.ARCHIVED in kinds_selected and DataItem.Status.RESTRICTED in kinds_selected


@pytest.mark.django_db
def test_the_archive_ends_and_restricted_items_are_swept_unless_held(policy: Any, frozen: Any) -> None:
    """Issue 16: in a run years later archived and restricted items were all still there."""
    from tests.factories.retention import person_with
    from tutela.accounts.principal import SYSTEM
    from tutela.retention.services import legal_hold_place
    from tutela.retention.sweep import retention_sweep

    # left 30 June 2016: member rule over 30 June 2026; books of 2016 archived until 1 January 2027
    archived, _ = person_with(
        kind="member",
        purposes=["member-management", "accounting"],
        collected_on=dt.date(2010, 1, 1),
        ended_on=dt.date(2016, 6, 30),
    )
    # prospects last interested in 2024 (one year: due in 2025), their items restricted
    restricted, _ = person_with(
        kind="prospect",
        purposes=["prospecting"],
        collected_on=dt.date(2024, 1, 1),
        last_interest_on=dt.date(2024, 2, 1),
    )
    held, _ = person_with(
        kind="prospect",
        purposes=["prospecting"],
        collected_on=dt.date(2024, 1, 1),
        last_interest_on=dt.date(2024, 2, 1),
    )
    DataItem.objects.filter(subject__in=[restricted, held]).update(status=DataItem.Status.RESTRICTED)
    legal_hold_place(principal=SYSTEM, subject_id=held.pk, case_ref="Court 2026/1", reason="claim")

    first = retention_sweep(principal=SYSTEM).as_dict()
    assert (first["archived"], first["erased"], first["held"]) == (2, 2, 2)
    assert set(DataItem.objects.filter(subject=archived).values_list("status", flat=True)) == {"archived"}
    assert not DataItem.objects.filter(subject=restricted).exists()
    assert DataItem.objects.filter(subject=held, status=DataItem.Status.RESTRICTED).count() == 2

    frozen.move_to(dt.datetime(2027, 1, 1, 12, tzinfo=dt.UTC))
    later = retention_sweep(principal=SYSTEM).as_dict()
    assert later["erased"] == 2
    assert not DataItem.objects.filter(subject=archived).exists()
    assert DataItem.objects.filter(subject=held).count() == 2  # the hold still stands
