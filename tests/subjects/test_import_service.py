"""The importer is set-based: the number of queries does not grow with the number of rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutela.accounts.principal import SYSTEM
from tutela.core.models import AuditEntry
from tutela.subjects.importing.service import import_file
from tutela.subjects.models import DataItem, Relationship, Subject

pytestmark = pytest.mark.django_db


def people_file(tmp_path: Path, rows: int, *, domain: str = "example.be") -> Path:
    lines = ["email;first_name;last_name;phone;contract_start"]
    lines += [f"p{n}@{domain};First;Last{n};+32470{n:06d};2020-01-01" for n in range(rows)]
    path = tmp_path / f"people-{rows}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(path: Path, **kw: object):
    return import_file(
        path=path,
        controller="crm-asbl",
        subject_type="member",
        source="direct",
        **{"principal": SYSTEM, **kw},
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("rows", [20, 600])
def test_query_count_does_not_depend_on_the_number_of_rows(
    register_policy, tmp_path, rows, django_assert_max_num_queries
) -> None:
    path = people_file(tmp_path, rows)
    with django_assert_max_num_queries(25):
        report = run(path)
    assert report.imported == rows and Subject.objects.count() == rows
    assert DataItem.objects.count() == rows * 4 and Relationship.objects.count() == rows
    batch = AuditEntry.objects.get(action="import.batch")
    assert batch.payload["rows"] == rows and batch.payload["sha256"] == report.sha256
    with django_assert_max_num_queries(25):
        again = run(path)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, rows)


def test_changed_values_are_updated_with_old_provenance_in_bulk(
    register_policy, tmp_path, django_assert_max_num_queries
) -> None:
    first = people_file(tmp_path, 300)
    run(first)
    changed = tmp_path / "changed.csv"
    changed.write_text(first.read_text(encoding="utf-8").replace(";Last", ";Nouveau"), encoding="utf-8")
    with django_assert_max_num_queries(30):
        report = run(changed, source_detail="second file")
    assert report.updated == 300 and report.items_updated == 300
    rectified = AuditEntry.objects.filter(action="item.rectify")
    assert rectified.count() == 300
    entry = rectified.first()
    assert entry.subject_id and entry.payload["before"]["value"].startswith("Last")
    assert entry.payload["before"]["source_detail"] == "file people-300.csv"
    assert DataItem.objects.filter(category="user.name.last", value__startswith="Nouveau").count() == 300


def test_a_row_tying_two_known_people_together_is_refused(register_policy, tmp_path) -> None:
    run(people_file(tmp_path, 3))
    a = Subject.objects.order_by("pk").first()
    b = Subject.objects.order_by("pk").last()
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        "email;phone\np0@example.be;+32470000002\np1@example.be;+32470000001\n", encoding="utf-8"
    )
    report = run(mixed)
    assert report.refused and report.rejected == 1 and report.errors[0].row == 2
    assert f"ids {a.pk}, {b.pk}" in report.errors[0].message
    partial = run(mixed, partial=True)
    assert (partial.unchanged, partial.rejected) == (1, 1)
