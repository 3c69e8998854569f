"""An XLSX file is read by the cells it holds, not by the size it declares.

A sheet's ``<dimension ref="A1:XFD1048576"/>`` claims 16,384 columns by 1,048,576 rows. Read by that claim,
a 5 KB workbook holding two rows is walked as seventeen billion empty cells and `tutela import` never
ends; read by its cells, it imports in a moment."""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HUGE_DIMENSION = "A1:XFD1048576"


def within(seconds: float, work: Callable[[], Any]) -> Any:
    """``work()``'s result, failing the test (instead of hanging it) when it takes longer than ``seconds``."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still reading after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _raised(kind: type[BaseException], work: Callable[[], Any]) -> Any:
    with pytest.raises(kind) as caught:
        work()
    return caught.value


def workbook_claiming(rows: list[list[object]], dimension: str = HUGE_DIMENSION) -> bytes:
    """An XLSX holding ``rows`` whose first sheet declares ``dimension`` as its extent."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    plain = io.BytesIO()
    book.save(plain)
    patched = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source, zipfile.ZipFile(patched, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text, count = re.subn(
                    r'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"', data.decode()
                )
                assert count == 1, "the sheet has no dimension tag to patch"
                data = text.encode()
            target.writestr(info, data)
    return patched.getvalue()


PEOPLE = [
    ["email", "first_name", "last_name"],
    ["ann@example.org", "Ann", "Peeters"],
    ["bo@example.org", "Bo", "Maes"],
]


def test_the_hostile_workbook_is_small_and_declares_the_whole_sheet() -> None:
    raw = workbook_claiming(PEOPLE)
    assert len(raw) < 10_000
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        assert f'<dimension ref="{HUGE_DIMENSION}"' in archive.read("xl/worksheets/sheet1.xml").decode()


def test_the_reader_reads_the_cells_held_within_seconds(tmp_path: Path) -> None:
    from tutela.subjects.importing.reader import read_table

    path = tmp_path / "people.xlsx"
    path.write_bytes(workbook_claiming(PEOPLE))
    table = within(10, lambda: read_table(path))
    assert table.headers == PEOPLE[0]
    assert table.rows == [(2, PEOPLE[1]), (3, PEOPLE[2])]


def test_a_gap_keeps_spreadsheet_row_numbers(tmp_path: Path) -> None:
    from tutela.subjects.importing.reader import read_table

    path = tmp_path / "gap.xlsx"
    path.write_bytes(workbook_claiming([PEOPLE[0], PEOPLE[1], [None, None, None], [None], PEOPLE[2]]))
    assert read_table(path).rows == [(2, PEOPLE[1]), (5, PEOPLE[2])]


def test_a_cell_far_to_the_right_is_refused_not_walked(tmp_path: Path) -> None:
    import openpyxl

    from tutela.core.errors import InvalidInput
    from tutela.subjects.importing.reader import read_table

    book = openpyxl.Workbook()
    sheet = book.active
    for row in PEOPLE:
        sheet.append(row)
    sheet["XFD2"] = "far away"
    path = tmp_path / "far.xlsx"
    book.save(path)
    refused = within(10, lambda: _raised(InvalidInput, lambda: read_table(path)))
    assert "row 2" in refused.message


def test_tutela_import_of_the_hostile_workbook_finishes_and_imports_both_people(
    tmp_path: Path, cli: Any
) -> None:
    path = tmp_path / "people.xlsx"
    path.write_bytes(workbook_claiming(PEOPLE))
    assert cli("init").returncode == 0
    started = time.monotonic()
    # the real entry point in a subprocess, killed (and the test failed) if it has not finished in 60 s
    out = cli(
        "import", str(path), "--controller", "crm-asbl", "--subject-type", "prospect",
        "--source", "data-provider", "--json", timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-500:]
    assert out.json()["imported"] == 2
    assert time.monotonic() - started < 30
