"""Issue 16 §2: the daily sweep always finishes.

Before: the first due person with a disclosure-log row made the batch's commit fail on a foreign key (the log
points at the person and the item), the run was marked failed and every rerun failed the same way, so no
expired prospect and no CCTV file went that day. Now the log is kept as its lifecycle statement says
(pseudonymised proof: the item reference cleared, ``item_ref`` kept, the bare person row kept), and a batch
that fails for any other reason is reported while the rest goes on (the run ends ``partial``).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tests.factories.retention import person_with
from tests.retention.test_cli import seed
from tutela.accounts.principal import SYSTEM
from tutela.core import lifecycle
from tutela.core.audit import audit_verify
from tutela.core.models import AuditEntry
from tutela.recipients.disclosures import disclosure_create
from tutela.recipients.models import DisclosedItem
from tutela.recipients.services import recipient_create
from tutela.retention import sweep as sweep_module
from tutela.retention.models import SweepRun
from tutela.retention.sweep import retention_sweep, sweep_status
from tutela.subjects.models import DataItem, Relationship, Subject

D = dt.date
TODAY = D(2026, 11, 25)


@pytest.fixture
def frozen() -> Any:
    import time_machine

    from tutela.core import clock

    with time_machine.travel(dt.datetime(2026, 11, 25, 12, 0, tzinfo=clock.BRUSSELS), tick=False) as t:
        yield t


def _printer() -> None:
    recipient_create(
        principal=SYSTEM,
        key="printer",
        name="Printer SA",
        recipient_type="group-entities",
        role="joint_controller",
        country="BE",
        purposes=["prospecting"],
        categories=["user.name", "user.contact.email"],
    )


def _disclosed_prospect(last_interest: D) -> tuple[Subject, list[DataItem]]:
    """A prospect whose data went to a recipient while they were interested, silent since ``last_interest``."""
    subject, items = person_with(
        kind="prospect", purposes=["prospecting"], collected_on=D(2023, 1, 1), last_interest_on=TODAY
    )
    disclosure_create(
        principal=SYSTEM,
        recipient_key="printer",
        purpose="prospecting",
        controller="crm-asbl",
        subject_ids=[subject.pk],
    )
    Relationship.objects.filter(subject=subject).update(last_interest_on=last_interest)
    return subject, items


@pytest.mark.django_db(transaction=True)
def test_a_disclosed_person_is_swept_and_the_log_stays_as_pseudonymised_proof(
    policy: Any, frozen: Any
) -> None:
    _printer()
    disclosed, disclosed_items = _disclosed_prospect(D(2024, 2, 1))  # silent for almost three years
    plain, plain_items = person_with(
        kind="prospect", purposes=["prospecting"], collected_on=D(2023, 1, 1), last_interest_on=D(2024, 2, 1)
    )
    recent, recent_items = person_with(
        kind="prospect", purposes=["prospecting"], collected_on=D(2026, 1, 1), last_interest_on=D(2026, 9, 1)
    )
    logged = list(DisclosedItem.objects.filter(subject=disclosed).values_list("item_ref", "category"))
    assert logged, "the disclosure was logged per item"

    result = retention_sweep(principal=SYSTEM, batch=1).as_dict()

    assert result["status"] == "done" and result["problems"] == []
    assert result["erased"] == len(disclosed_items) + len(plain_items)
    assert not DataItem.objects.filter(subject_id__in=[disclosed.pk, plain.pk]).exists()
    assert DataItem.objects.filter(subject=recent).count() == len(recent_items)
    # the log: same rows, no live item reference, the former ids kept
    rows = list(
        DisclosedItem.objects.filter(subject_id=disclosed.pk).values_list("item_id", "item_ref", "category")
    )
    assert sorted((ref, cat) for _, ref, cat in rows) == sorted(logged)
    assert all(item is None for item, _, _ in rows)
    assert {ref for _, ref, _ in rows} <= {i.pk for i in disclosed_items}
    # the person row stays bare (no item, no fact), marked erased; the one with no log is gone
    bare = Subject.objects.get(pk=disclosed.pk)
    assert bare.erased_at is not None
    assert not Relationship.objects.filter(subject_id=disclosed.pk).exists()
    assert not Subject.objects.filter(pk=plain.pk).exists()
    assert not AuditEntry.objects.filter(subject_id=disclosed.pk, redacted_at__isnull=True).exists()
    run = SweepRun.objects.get()
    assert (run.status, run.subjects_erased) == ("done", 2)
    assert audit_verify().intact
    # the next day finds nothing more to do, and does not count the bare row again
    again = retention_sweep(principal=SYSTEM).as_dict()
    assert (again["status"], again["erased"]) == ("done", 0)


@pytest.mark.django_db(transaction=True)
def test_a_failing_batch_is_reported_and_the_rest_goes_on(
    policy: Any, frozen: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [
        person_with(
            kind="prospect",
            purposes=["prospecting"],
            collected_on=D(2023, 1, 1),
            last_interest_on=D(2024, 2, 1),
        )
        for _ in range(3)
    ]
    poisoned = people[1][1][0].pk  # the second person's first item
    real = lifecycle.erase_items

    def erase_items(item_ids: Any) -> dict[str, int]:
        if poisoned in item_ids:
            raise RuntimeError("disk full")
        return real(item_ids)

    monkeypatch.setattr(lifecycle, "erase_items", erase_items)
    result = retention_sweep(principal=SYSTEM, batch=2).as_dict()

    # batches of two ids: [p0a, p0b], [p1a, p1b] fails, [p2a, p2b]
    assert result["status"] == "partial"
    assert result["erased"] == 4
    assert not DataItem.objects.filter(subject=people[0][0]).exists()
    assert not DataItem.objects.filter(subject=people[2][0]).exists()
    assert DataItem.objects.filter(subject=people[1][0]).count() == 2  # rolled back whole
    (problem,) = result["problems"]
    assert problem["purposes"] == ["prospecting"] and problem["rules"] == ["prospect-interest"]
    assert problem["first_item"] == poisoned and problem["items"] == 2
    assert problem["item_ids"] == sorted(i.pk for i in people[1][1])
    assert problem["error"] == "RuntimeError: disk full"
    run = SweepRun.objects.get()
    assert (run.status, run.erased, run.subjects_erased) == ("partial", 4, 2)
    assert AuditEntry.objects.get(action="retention.failed").payload["error"] == "RuntimeError: disk full"
    status = sweep_status()["last"]
    assert status["status"] == "partial" and status["problems"] == run.problems
    assert audit_verify().intact

    # the cause gone, the next run does what was left
    monkeypatch.setattr(lifecycle, "erase_items", real)
    after = retention_sweep(principal=SYSTEM).as_dict()
    assert (after["status"], after["erased"], after["problems"]) == ("done", 2, [])
    assert not DataItem.objects.filter(subject=people[1][0]).exists()


@pytest.mark.django_db(transaction=True)
def test_a_purpose_set_that_cannot_be_read_is_reported_and_the_others_are_swept(
    policy: Any, frozen: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    prospect, _ = person_with(
        kind="prospect", purposes=["prospecting"], collected_on=D(2023, 1, 1), last_interest_on=D(2024, 2, 1)
    )
    member, _ = person_with(
        kind="member", purposes=["member-management"], collected_on=D(2001, 1, 1), ended_on=D(2014, 1, 1)
    )
    real = sweep_module._candidates

    def candidates(group: Any) -> Any:
        if group.purposes == ["prospecting"]:
            raise ValueError("bad plan")
        return real(group)

    monkeypatch.setattr(sweep_module, "_candidates", candidates)
    result = retention_sweep(principal=SYSTEM).as_dict()
    assert result["status"] == "partial" and result["erased"] == 2
    assert not Subject.objects.filter(pk=member.pk).exists()
    assert DataItem.objects.filter(subject=prospect).count() == 2
    (problem,) = result["problems"]
    assert (problem["purposes"], problem["items"], problem["error"]) == (
        ["prospecting"],
        None,
        "ValueError: bad plan",
    )


@pytest.mark.django_db(transaction=True)
def test_status_command_shows_what_could_not_be_done(policy: Any, frozen: Any, capsys: Any) -> None:
    SweepRun.objects.create(
        started_at=dt.datetime(2026, 11, 25, 3, tzinfo=dt.UTC),
        finished_at=dt.datetime(2026, 11, 25, 3, 5, tzinfo=dt.UTC),
        as_of=TODAY,
        status="partial",
        erased=10,
        problems=[
            {
                "purposes": ["cctv"],
                "rules": ["camera-act"],
                "action": "erase",
                "items": 2,
                "first_item": 7,
                "last_item": 8,
                "item_ids": [7, 8],
                "error": "IntegrityError: boom",
            }
        ],
    )
    call_command("retention", "status", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["last"]["status"] == "partial"
    assert data["last"]["problems"][0]["item_ids"] == [7, 8]
    call_command("retention", "status")
    text = capsys.readouterr().out
    assert "partial" in text and "cctv: items 7..8 (2): IntegrityError: boom" in text


def _sql(db: Path, statement: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(statement, args).fetchall())


def test_the_cli_sweep_finishes_with_a_disclosure_log(cli: Any, tutela_home: Path) -> None:
    """Through the real command: the run that failed on the foreign key of the log now ends done."""
    assert cli("init").returncode == 0
    db = tutela_home / "tutela.sqlite3"
    seed(db, due=0, recent=2)  # two prospects interested last month, two items each
    added = cli(
        "recipient", "add", "printer", "--name", "Printer SA", "--type", "group-entities", "--role",
        "joint_controller", "--country", "BE", "--purposes", "prospecting", "--categories",
        "user.name,user.contact.phone_number", "--json",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    ids = [r[0] for r in _sql(db, "SELECT id FROM tutela_subject ORDER BY id")]
    (tutela_home / "ids.txt").write_text("\n".join(map(str, ids)) + "\n", encoding="utf-8")
    sent = cli(
        "disclose", "--recipient", "printer", "--purpose", "prospecting", "--controller", "crm-asbl",
        "--subjects", str(tutela_home / "ids.txt"), "--out", str(tutela_home / "out.csv"), "--json",
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    assert sent.json()["items"] == 4
    # two years later, as far as the register knows: silent since then
    old = dt.date.today().replace(year=dt.date.today().year - 2).isoformat()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE tutela_relationship SET last_interest_on = ?, started_on = ?", (old, old))
        conn.execute("UPDATE tutela_data_item SET collected_at = ?", (old + " 09:00:00",))

    swept = cli("retention", "sweep", "--json")
    assert swept.returncode == 0, swept.stderr
    data = swept.json()
    assert (data["status"], data["erased"], data["problems"]) == ("done", 4, [])
    assert _sql(db, "SELECT COUNT(*) FROM tutela_data_item") == [(0,)]
    assert _sql(db, "SELECT COUNT(*), COUNT(item_id), COUNT(item_ref) FROM tutela_disclosed_item") == [
        (4, 0, 4)
    ]
    assert _sql(db, "SELECT COUNT(*) FROM tutela_subject WHERE erased_at IS NOT NULL") == [(2,)]
    status = cli("retention", "status", "--json")
    assert status.returncode == 0
    assert status.json()["last"]["status"] == "done" and status.json()["last"]["problems"] == []
    assert cli("audit", "verify", "--json").json()["intact"] is True
