"""The importer's bulk paths on the configured database (run on SQLite and on PostgreSQL): COPY text lines
keep awkward characters, sensitive values are sealed, the file-wide map of known people follows merges
and stays true from one batch to the next."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tutela.accounts.principal import SYSTEM
from tutela.core import clock, crypto
from tutela.core.models import AuditEntry
from tutela.subjects import values
from tutela.subjects.importing import service
from tutela.subjects.importing.service import import_file
from tutela.subjects.models import DataItem, Relationship, Subject

pytestmark = pytest.mark.django_db

EMAIL = "user.contact.email"
LAST = "user.name.last"
NN = "user.government_id.national_identification_number"
NN_1985 = "85073003328"  # 850730033 mod 97 = 69 -> check digits 97 - 69 = 28
NN_2002 = "02031504582"  # born 2002: 2020315045 mod 97 = 15 -> 82


def write_csv(tmp_path: Path, name: str, header: list[str], rows: list[list[str]]) -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(path: Path, **kw: object) -> service.ImportReport:
    return import_file(
        path=path,
        controller="crm-asbl",
        subject_type="member",
        source="direct",
        **{"principal": SYSTEM, **kw},
    )  # type: ignore[arg-type]


def holder(email: str) -> int:
    return int(DataItem.objects.get(category=EMAIL, value=email).subject_id)


def test_values_with_tabs_newlines_and_backslashes_are_stored_exactly(register_policy, tmp_path) -> None:
    awkward = ["Tab\there", "Line\nbreak", "Back\\slash \\N", "Carriage\rreturn", "Plain"]
    path = write_csv(
        tmp_path,
        "awkward.csv",
        ["email", "last_name"],
        [[f"p{n}@example.be", name] for n, name in enumerate(awkward)],
    )
    report = run(path)
    assert (report.imported, report.rejected) == (5, 0)
    stored = {item.subject_id: item.value for item in DataItem.objects.filter(category=LAST)}
    assert {stored[holder(f"p{n}@example.be")] for n in range(5)} == set(awkward)
    again = run(path)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 5)


def test_sensitive_values_are_sealed_and_found_again(register_policy, tmp_path) -> None:
    path = write_csv(
        tmp_path,
        "nn.csv",
        ["email", "national_number", "collected_at"],
        [["a@example.be", "85.07.30-033.28", "2026-01-15"], ["b@example.be", NN_2002, ""]],
    )
    report = run(path)
    assert (report.imported, report.items_created) == (2, 4)
    items = list(DataItem.objects.filter(category=NN).order_by("subject_id"))
    assert [i.value for i in items] == ["", ""]
    assert sorted(values.item_value(i) for i in items) == sorted([NN_1985, NN_2002])
    assert {i.lookup for i in items} == {
        crypto.blind_index("national_number", NN_1985),
        crypto.blind_index("national_number", NN_2002),
    }
    first = DataItem.objects.get(lookup=crypto.blind_index("national_number", NN_1985))
    assert first.collected_at.astimezone(clock.BRUSSELS).date().isoformat() == "2026-01-15"  # midnight there
    # the same people by national number alone: recognised, nothing changes
    again = run(write_csv(tmp_path, "again.csv", ["national_number"], [[NN_1985], [NN_2002]]))
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 2)


def test_new_people_are_known_to_later_batches(register_policy, tmp_path, monkeypatch) -> None:
    """With batches of two rows, rows 2 and 5 (spreadsheet rows 3 and 6) share an address across
    batches: one person, whose phone the second row adds."""
    monkeypatch.setattr(service, "BATCH", 2)
    path = write_csv(
        tmp_path,
        "people.csv",
        ["email", "phone", "last_name"],
        [
            ["a@example.be", "", "A"],
            ["shared@example.be", "", "Shared"],
            ["c@example.be", "", "C"],
            ["d@example.be", "", "D"],
            ["shared@example.be", "+32 470 12 34 56", "Shared"],
        ],
    )
    report = run(path)
    assert report.imported == 4 and report.updated == 1
    assert Subject.objects.count() == 4 and Relationship.objects.count() == 4
    shared = holder("shared@example.be")
    assert DataItem.objects.get(category="user.contact.phone_number").subject_id == shared
    batches = AuditEntry.objects.filter(action="import.batch").order_by("seq")
    assert [e.payload["rows"] for e in batches] == [2, 2, 1]
    assert [len(e.payload["subjects_created"]) for e in batches] == [2, 2, 0]


def test_an_address_replaced_in_one_batch_no_longer_finds_its_old_holder(
    register_policy, tmp_path, monkeypatch
) -> None:
    """Anne is known by phone and old@…; the file's first row gives her a new address (her one e-mail
    item is rectified), so a later row with old@… alone is someone new, as a fresh query would say."""
    run(write_csv(tmp_path, "first.csv", ["email", "phone"], [["old@example.be", "+32 470 00 00 01"]]))
    anne = holder("old@example.be")
    monkeypatch.setattr(service, "BATCH", 1)
    path = write_csv(
        tmp_path,
        "second.csv",
        ["email", "phone"],
        [["new@example.be", "+32 470 00 00 01"], ["old@example.be", ""]],
    )
    report = run(path)
    assert (report.updated, report.imported) == (1, 1)
    assert holder("new@example.be") == anne
    assert holder("old@example.be") != anne
    assert AuditEntry.objects.filter(action="item.rectify", subject_id=anne).count() == 1


def test_people_merged_away_are_followed_to_who_they_were_merged_into(register_policy, tmp_path) -> None:
    run(write_csv(tmp_path, "first.csv", ["email"], [["kept@example.be"], ["gone@example.be"]]))
    kept, gone = holder("kept@example.be"), holder("gone@example.be")
    # an item left on a person merged into another (as an older merge could leave behind)
    Subject.objects.filter(pk=gone).update(merged_into_id=kept)
    report = run(write_csv(tmp_path, "again.csv", ["email", "last_name"], [["gone@example.be", "Maes"]]))
    assert (report.imported, report.updated) == (0, 1)
    assert DataItem.objects.get(category=LAST).subject_id == kept


def test_rows_tying_two_known_people_are_refused_among_many(register_policy, tmp_path) -> None:
    """Enough rows that the known people are looked up through the temporary table in one join."""
    rows = [
        [f"p{n}@example.be", f"+32 470 {n // 10000:02d} {n // 100 % 100:02d} {n % 100:02d}"]
        for n in range(3000)
    ]
    path = write_csv(tmp_path, "many.csv", ["email", "phone"], rows)
    assert run(path).imported == 3000
    mixed = write_csv(
        tmp_path, "mixed.csv", ["email", "phone"], [*rows[:10], [rows[20][0], rows[21][1]], rows[22]]
    )
    report = run(mixed)
    assert report.refused and report.rejected == 1 and report.errors[0].row == 12
    ids = sorted([holder("p20@example.be"), holder("p21@example.be")])
    assert f"ids {ids[0]}, {ids[1]}" in report.errors[0].message
    assert Subject.objects.count() == 3000
