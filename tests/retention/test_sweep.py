"""The issue's "must show": who goes, who stays, the dry run, idempotence, holds, audit."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.factories.retention import person_with
from tests.retention.conftest import TODAY, years_before, years_of
from tutela.accounts.principal import SYSTEM
from tutela.core.audit import audit_verify
from tutela.core.models import AuditEntry, AuditHead
from tutela.retention.models import AnonymousCount, LegalHold, SweepRun
from tutela.retention.services import legal_hold_place, legal_hold_release
from tutela.retention.sweep import retention_sweep
from tutela.subjects.models import DataItem, Interaction, Relationship, Subject

D = dt.date
TABLES = [
    Subject,
    DataItem,
    Relationship,
    Interaction,
    AuditEntry,
    AuditHead,
    SweepRun,
    LegalHold,
    AnonymousCount,
]


def snapshot() -> dict[str, list[dict[str, Any]]]:
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in TABLES}


@pytest.fixture
def people(policy: Any, policy_data: dict[str, Any], frozen: Any) -> dict[str, Any]:
    member_years = years_of(policy_data, policy_data["purposes"]["member-management"]["retention"])
    prospect_years = years_of(policy_data, policy_data["purposes"]["prospecting"]["retention"])
    assert (member_years, prospect_years) == (10, 1)  # what the policy says in §8
    # silent for one year and one day; contract ended ten years and one day ago
    old_interest = years_before(TODAY, prospect_years) - dt.timedelta(days=1)
    old_end = years_before(TODAY, member_years) - dt.timedelta(days=1)
    out = {}
    out["old_prospect"] = person_with(
        kind="prospect",
        purposes=["prospecting"],
        collected_on=old_interest - dt.timedelta(days=30),
        started_on=old_interest - dt.timedelta(days=30),
        last_interest_on=old_interest,
    )
    out["edge_prospect"] = person_with(  # exactly one year today: the year has run out, due today
        kind="prospect",
        purposes=["prospecting"],
        collected_on=D(2025, 1, 1),
        last_interest_on=years_before(TODAY, prospect_years),
        items=1,
    )
    out["recent_prospect"] = person_with(
        kind="prospect", purposes=["prospecting"], collected_on=D(2026, 5, 1), last_interest_on=D(2026, 6, 1)
    )
    out["old_member"] = person_with(
        kind="member",
        purposes=["member-management"],
        collected_on=D(2001, 3, 1),
        started_on=D(2001, 3, 1),
        ended_on=old_end,
    )
    out["recent_former_member"] = person_with(
        kind="member",
        purposes=["member-management"],
        collected_on=D(2010, 1, 1),
        started_on=D(2010, 1, 1),
        ended_on=D(2020, 3, 31),
    )
    out["ten_years_tomorrow"] = person_with(
        kind="member",
        purposes=["member-management"],
        collected_on=D(2005, 1, 1),
        ended_on=years_before(TODAY, member_years) + dt.timedelta(days=1),
        items=1,
    )
    out["active_member"] = person_with(
        kind="member", purposes=["member-management"], collected_on=D(1999, 1, 1), started_on=D(1999, 1, 1)
    )
    return out


GONE = ["old_prospect", "edge_prospect", "old_member"]
STAY = ["recent_prospect", "recent_former_member", "ten_years_tomorrow", "active_member"]


@pytest.mark.django_db
def test_the_sweep_removes_exactly_the_people_past_their_period(
    people: dict[str, Any], tmp_path: Path
) -> None:
    before = snapshot()
    dry = retention_sweep(principal=SYSTEM, dry_run=True, report=tmp_path / "dry.csv").as_dict()
    assert snapshot() == before, "the dry run changed the database"
    assert dry["dry_run"] is True
    assert (dry["due"], dry["erased"], dry["held"]) == (5, 5, 0)
    rows = list(csv.DictReader((tmp_path / "dry.csv").open(encoding="utf-8")))
    expected_ids = {str(i.pk) for key in GONE for i in people[key][1]}
    assert {r["item_id"] for r in rows} == expected_ids
    old_member_rows = [r for r in rows if r["subject_id"] == str(people["old_member"][0].pk)]
    assert {r["due_on"] for r in old_member_rows} == {"2026-11-24"}  # 24 Nov 2016 + 10 years
    assert all(r["rules"] == "member-contract" and r["action"] == "erase" for r in old_member_rows)

    result = retention_sweep(principal=SYSTEM).as_dict()
    assert {k: result[k] for k in ("due", "erased", "anonymised", "archived", "held", "dry_run")} == {
        "due": 5,
        "erased": 5,
        "anonymised": 0,
        "archived": 0,
        "held": 0,
        "dry_run": False,
    }
    for key in GONE:
        subject = people[key][0]
        assert not Subject.objects.filter(pk=subject.pk).exists(), key
        assert not Relationship.objects.filter(subject_id=subject.pk).exists(), key
    for key in STAY:
        subject, items = people[key]
        assert DataItem.objects.filter(subject=subject, status="active").count() == len(items), key

    again = retention_sweep(principal=SYSTEM).as_dict()
    assert again["due"] == 0 and again["erased"] == 0
    assert audit_verify().intact
    batches = AuditEntry.objects.filter(action="retention.erase")
    assert sum(e.payload["items"] for e in batches) == 5
    assert {tuple(e.payload["rules"]) for e in batches} == {("member-contract",), ("prospect-interest",)}
    run = SweepRun.objects.order_by("id").first()
    assert run is not None and run.status == "done" and run.erased == 5 and run.subjects_erased == 3


@pytest.mark.django_db
def test_dry_run_json_report_says_why(people: dict[str, Any], tmp_path: Path) -> None:
    retention_sweep(principal=SYSTEM, dry_run=True, report=tmp_path / "dry.json")
    rows = json.loads((tmp_path / "dry.json").read_text(encoding="utf-8"))
    assert len(rows) == 5
    prospect = next(r for r in rows if r["subject_id"] == people["old_prospect"][0].pk)
    assert prospect["rules"] == ["prospect-interest"]
    assert prospect["due_on"] == "2026-11-24"  # last interest 24 Nov 2025 + 1 year
    assert "prospecting" in prospect["why"]


@pytest.mark.django_db
def test_a_held_person_survives_and_goes_once_released(people: dict[str, Any]) -> None:
    member = people["old_member"][0]
    hold = legal_hold_place(
        principal=SYSTEM, subject_id=member.pk, case_ref="Court of Brussels 2026/123", reason="litigation"
    )
    item_hold = legal_hold_place(
        principal=SYSTEM,
        item_ids=[people["old_prospect"][1][0].pk],
        case_ref="APD control 42",
        reason="control",
    )
    result = retention_sweep(principal=SYSTEM).as_dict()
    assert (result["erased"], result["held"], result["due"]) == (2, 3, 5)
    assert DataItem.objects.filter(subject=member).count() == 2
    assert DataItem.objects.filter(pk=people["old_prospect"][1][0].pk).exists()
    assert not DataItem.objects.filter(pk=people["old_prospect"][1][1].pk).exists()
    legal_hold_release(principal=SYSTEM, hold_id=hold.pk, reason="case closed")
    legal_hold_release(principal=SYSTEM, hold_id=item_hold.pk, reason="control closed")
    after = retention_sweep(principal=SYSTEM).as_dict()
    assert (after["erased"], after["held"]) == (3, 0)
    assert not Subject.objects.filter(pk=member.pk).exists()
    assert audit_verify().intact


@pytest.mark.django_db
def test_accounting_data_are_archived_and_statistics_anonymised(
    policy: Any, policy_data: dict[str, Any], frozen: Any
) -> None:
    rule = policy_data["retention"][policy_data["purposes"]["accounting"]["retention"]]
    assert (rule["action"], rule["period"], rule["from_next_january"]) == ("archive", "P0D", True)
    assert (rule["archive"]["period"], rule["archive"]["then"]) == ("P10Y", "erase")
    # contract ended 31 Dec 2014: books of 2014 archived from 1 Jan 2015, ten years → erased 1 Jan 2025
    gone_member, _ = person_with(
        kind="member",
        purposes=["member-management", "accounting"],
        collected_on=D(2010, 1, 1),
        ended_on=D(2014, 12, 31),
    )
    # ended 30 June 2016: member period ends 30 June 2026, then archived: the books of 2016 run to 1 Jan 2027
    kept_member, _ = person_with(
        kind="member",
        purposes=["member-management", "accounting"],
        collected_on=D(2010, 1, 1),
        ended_on=D(2016, 6, 30),
    )
    stats_rule = policy_data["retention"][policy_data["purposes"]["service-improvement"]["retention"]]
    assert (stats_rule["action"], stats_rule["period"]) == ("anonymise", "P2Y")
    _, survey_items = person_with(
        kind="member", purposes=["service-improvement"], collected_on=D(2024, 3, 1), items=1
    )
    result = retention_sweep(principal=SYSTEM).as_dict()
    assert (result["archived"], result["anonymised"], result["erased"]) == (2, 1, 2)
    assert not DataItem.objects.filter(subject=gone_member).exists()  # the archive ended: erased
    assert set(DataItem.objects.filter(subject=kept_member).values_list("status", flat=True)) == {"archived"}
    assert not DataItem.objects.filter(pk=survey_items[0].pk).exists()
    count = AnonymousCount.objects.get()
    assert (count.controller, count.category, count.year, count.count) == ("crm-asbl", "user.name", 2024, 1)
    assert retention_sweep(principal=SYSTEM).as_dict()["due"] == 0


@pytest.mark.django_db
def test_newsletter_goes_on_unsubscription_unless_another_purpose_keeps_it(policy: Any, frozen: Any) -> None:
    left, _ = person_with(
        kind="newsletter-subscriber",
        purposes=["newsletter"],
        collected_on=D(2022, 1, 1),
        ended_on=D(2026, 11, 25),
    )
    still, _ = person_with(kind="newsletter-subscriber", purposes=["newsletter"], collected_on=D(2022, 1, 1))
    member, _ = person_with(
        kind="member",
        purposes=["member-management", "newsletter"],
        collected_on=D(2022, 1, 1),
        started_on=D(2022, 1, 1),
    )
    result = retention_sweep(principal=SYSTEM).as_dict()
    assert result["erased"] == 2
    assert not Subject.objects.filter(pk=left.pk).exists()
    assert DataItem.objects.filter(subject=still).count() == 2
    assert DataItem.objects.filter(subject=member).count() == 2


@pytest.mark.django_db
def test_bad_batch_is_refused(policy: Any) -> None:
    from tutela.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        retention_sweep(principal=SYSTEM, batch=0)


@pytest.mark.django_db
def test_purposes_stored_with_other_json_spacing_are_swept_too(policy: Any, frozen: Any) -> None:
    from django.db import connection

    subject, items = person_with(
        kind="member",
        purposes=["member-management", "newsletter"],
        collected_on=D(2001, 1, 1),
        ended_on=D(2015, 1, 31),
    )
    with connection.cursor() as cursor:  # as a bulk loader writing SQL directly would store it
        cursor.execute(
            "UPDATE tutela_data_item SET purposes = %s WHERE id = %s",
            ['["member-management","newsletter"]', items[0].pk],
        )
    result = retention_sweep(principal=SYSTEM).as_dict()
    assert result["erased"] == 2
    assert not Subject.objects.filter(pk=subject.pk).exists()


@pytest.mark.django_db
def test_anonymised_items_are_counted_by_their_brussels_year_and_counts_add_up_across_batches(
    policy: Any, frozen: Any
) -> None:
    # 31 Dec 2023 23:30 UTC is already 1 January 2024 in Brussels (UTC+1 in winter)
    new_year = dt.datetime(2023, 12, 31, 23, 30, tzinfo=dt.UTC)
    for _ in range(3):
        _, items = person_with(
            kind="member", purposes=["service-improvement"], collected_on=D(2024, 3, 1), items=1
        )
    DataItem.objects.filter(pk=items[0].pk).update(collected_at=new_year)
    _, older = person_with(
        kind="member", purposes=["service-improvement"], collected_on=D(2023, 6, 1), items=1
    )
    result = retention_sweep(
        principal=SYSTEM, batch=1
    ).as_dict()  # one item per batch: the counts must add up
    assert result["anonymised"] == 4
    counts = {(c.category, c.year): c.count for c in AnonymousCount.objects.filter(controller="crm-asbl")}
    assert counts == {("user.name", 2024): 3, ("user.name", 2023): 1}
    assert not DataItem.objects.filter(pk=older[0].pk).exists()
