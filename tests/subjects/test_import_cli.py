"""`tutela import` through the real command line: all or nothing, re-import, encodings, no clear secrets."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

NN_CLEAR = "85.07.30-033.28"  # 850730033 mod 97 = 69 -> check digits 28
NN_DIGITS = "85073003328"
IBAN_CLEAR = "BE71 0961 2345 6769"
IBAN_COMPACT = "BE71096123456769"
NN_2000 = "02031504582"  # born 2002: 2020315045 mod 97 = 15 -> 82

HEADER = "email,first_name,last_name,phone,national_number,iban,contract_start,collected_at\n"
CLEAN = (
    HEADER
    + f"jan.peeters@example.be,Jan,Peeters,0470 12 34 56,{NN_CLEAR},{IBAN_CLEAR},2020-01-01,2026-01-15\n"
    + f"marie@example.be,Marie,Dubois,,{NN_2000},,2021-03-01,2026-01-15\n"
    + "luc@example.be,Luc,Maes,+32 2 512 34 56,,,2019-09-01,\n"
)
BAD = (
    HEADER
    + f"jan.peeters@example.be,Jan,Peeters,0470 12 34 56,{NN_CLEAR},{IBAN_CLEAR},2020-01-01,2026-01-15\n"
    + "not-an-address,Eva,Smet,,,,2020-01-01,\n"
    + "eva@example.be,Eva,Smet,,85073003329,,2020-01-01,\n"
    + "tom@example.be,Tom,Claes,,,BE71096123456768,2020-01-01,\n"
)
ARGS = ("--controller", "crm-asbl", "--subject-type", "member", "--source", "direct")


@pytest.fixture
def init(cli, register_policy_file: Path):
    env = {"TUTELA_POLICY_FILE": str(register_policy_file)}
    assert cli("init", env=env).returncode == 0
    return env


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def all_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file())


@pytest.mark.django_db(transaction=True)
def test_bad_file_refused_whole_then_clean_imports_once_and_nothing_in_clear(
    cli, init, tmp_path, tutela_home
) -> None:
    bad = write(tmp_path, "bad.csv", BAD)
    errors_csv = tmp_path / "errors.csv"
    out = cli("import", str(bad), *ARGS, "--json", "--errors-out", str(errors_csv))
    assert out.returncode == 2, out.stderr
    report = out.json()
    assert report["imported"] == 0 and report["updated"] == 0 and report["rejected"] == 3
    assert {(e["row"], e["column"]) for e in report["errors"]} == {
        (3, "email"),
        (4, "national_number"),
        (5, "iban"),
    }
    with errors_csv.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["row"], r["column"]) for r in rows} == {
        ("3", "email"),
        ("4", "national_number"),
        ("5", "iban"),
    }
    logs = [out.stdout, out.stderr]
    with sqlite3.connect(tutela_home / "tutela.sqlite3") as conn:
        assert conn.execute("select count(*) from tutela_subject").fetchone()[0] == 0
        assert conn.execute("select count(*) from tutela_data_item").fetchone()[0] == 0

    clean = write(tmp_path, "clean.csv", CLEAN)
    first = cli("import", str(clean), *ARGS, "--source-detail", "membership forms 2026", "--json")
    assert first.returncode == 0, first.stderr
    assert (first.json()["imported"], first.json()["updated"], first.json()["rejected"]) == (3, 0, 0)
    again = cli("import", str(clean), *ARGS, "--json")
    assert again.returncode == 0
    assert (again.json()["imported"], again.json()["updated"]) == (0, 0)
    logs += [first.stdout, first.stderr, again.stdout, again.stderr]
    with sqlite3.connect(tutela_home / "tutela.sqlite3") as conn:
        assert conn.execute("select count(*) from tutela_subject").fetchone()[0] == 3
        items = conn.execute("select count(*) from tutela_data_item").fetchone()[0]
        assert items == 6 + 4 + 4  # the non-empty cells of CLEAN
        provenance = conn.execute("select distinct source, source_detail from tutela_data_item").fetchall()
        assert provenance == [("direct", "membership forms 2026; file clean.csv")]
    verify = cli("audit", "verify", "--json")
    assert verify.json()["intact"] is True
    show = cli("subject", "show", NN_CLEAR, "--json")
    assert show.returncode == 0, show.stderr
    logs += [show.stdout, show.stderr]
    raw = all_bytes(tutela_home) + "".join(logs).encode()
    for secret in (
        NN_CLEAR,
        NN_DIGITS,
        IBAN_CLEAR,
        IBAN_COMPACT,
        "71096123456769",
        "096123456769",
        NN_2000,
        "85073003329",
    ):
        assert secret.encode() not in raw, secret
        assert secret.encode("utf-16-le") not in raw, secret


@pytest.mark.django_db(transaction=True)
def test_reimport_with_a_changed_value_updates_it_and_keeps_the_old_provenance(cli, init, tmp_path) -> None:
    assert cli("import", str(write(tmp_path, "a.csv", CLEAN)), *ARGS).returncode == 0
    changed = CLEAN.replace("Peeters", "Peeters-Smet")
    out = cli("import", str(write(tmp_path, "b.csv", changed)), *ARGS, "--source-detail", "update", "--json")
    assert (out.json()["imported"], out.json()["updated"]) == (0, 1)
    show = cli("subject", "show", "jan.peeters@example.be", "--json").json()
    last = next(i for i in show["items"] if i["category"].endswith("name.last"))
    assert last["value"] == "Peeters-Smet" and "b.csv" in last["source_detail"]


@pytest.mark.django_db(transaction=True)
def test_partial_imports_the_good_rows(cli, init, tmp_path) -> None:
    out = cli("import", str(write(tmp_path, "bad.csv", BAD)), *ARGS, "--partial", "--json")
    assert out.returncode == 0, out.stderr
    assert (out.json()["imported"], out.json()["rejected"]) == (1, 3)


@pytest.mark.django_db(transaction=True)
def test_semicolon_csv_with_bom_and_xlsx(cli, init, tmp_path) -> None:
    semi = write(
        tmp_path,
        "semi.csv",
        "\ufeffemail;last_name;date_of_birth;language\nsemi@example.be;Janssens;1990-04-02;nl\n",
    )
    out = cli("import", str(semi), *ARGS, "--json")
    assert out.returncode == 0 and out.json()["imported"] == 1, out.stdout + out.stderr
    shown = cli("subject", "show", "semi@example.be", "--json").json()
    assert {i["category"] for i in shown["items"]} >= {"user.contact.email", "user.name.last"}

    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["email", "first_name", "last_name", "national_number", "contract_start"])
    sheet.append(["xl@example.be", "Xavier", "Lambert", NN_2000, dt.date(2022, 5, 1)])
    sheet.append(["bad-mail", "Yves", "Leroy", None, dt.date(2022, 5, 1)])
    path = tmp_path / "people.xlsx"
    book.save(path)
    refused = cli("import", str(path), *ARGS, "--json")
    assert refused.returncode == 2 and refused.json()["errors"][0]["row"] == 3
    assert refused.json()["errors"][0]["column"] == "email"
    ok = cli("import", str(path), *ARGS, "--partial", "--json")
    assert ok.returncode == 0 and ok.json()["imported"] == 1
    assert cli("subject", "show", NN_2000, "--json").json()["id"]


BAD_FILES = {
    "latin1.csv": ("email;last_name\nzoë@example.be;Müller\n".encode("latin-1"), "not UTF-8"),
    "utf16.csv": ("email,last_name\nz@example.be,M\n".encode("utf-16-le"), "without a byte-order mark"),
    "garbage.csv": (bytes(range(256)) * 8, "NUL bytes"),
    "empty.csv": (b"", "empty"),
    "nocol.csv": (b"first_name,last_name\nA,B\n", "missing columns"),
    "broken.xlsx": (b"PK\x03\x04 not really a zip", "XLSX"),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_unreadable_files_are_refused_with_a_clear_message(cli, init, tmp_path, name) -> None:
    content, expected = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(content)
    out = cli("import", str(path), *ARGS, "--json")
    assert out.returncode == 2
    assert expected in out.json()["error"] + str(out.json().get("errors"))


@pytest.mark.django_db(transaction=True)
def test_impossible_dates_and_bad_options(cli, init, tmp_path) -> None:
    path = write(tmp_path, "dates.csv", "email,contract_start\na@example.be,2026-02-30\n")
    out = cli("import", str(path), *ARGS, "--json")
    assert out.returncode == 2 and "not a real date" in out.json()["errors"][0]["message"]
    ok = write(tmp_path, "ok.csv", "email\na@example.be\n")
    wrong = cli(
        "import", str(ok), "--controller", "nope", "--subject-type", "member", "--source", "direct", "--json"
    )
    assert wrong.returncode == 2 and "controller" in wrong.json()["error"] + str(wrong.json()["errors"])
    cctv = cli(
        "import",
        str(ok),
        "--controller",
        "crm-asbl",
        "--subject-type",
        "member",
        "--source",
        "cctv",
        "--json",
    )
    assert cctv.returncode == 2 and "not allowed for subject type" in str(cctv.json()["errors"])


@pytest.mark.django_db(transaction=True)
def test_mapping_file_maps_columns_and_names_bad_lines(cli, init, tmp_path) -> None:
    data = write(tmp_path, "nl.csv", "E-mail;Naam;Lid sinds;Code\nnl@example.be;De Smet;2020-01-01;X1\n")
    mapping = write(
        tmp_path,
        "map.yaml",
        "columns:\n  E-mail: email\n  Naam: user.name.last\n  Lid sinds: contract_start\n  Code: ignore\n",
    )
    out = cli("import", str(data), *ARGS, "--mapping", str(mapping), "--json")
    assert out.returncode == 0 and out.json()["imported"] == 1, out.stdout + out.stderr
    bad = write(tmp_path, "bad.yaml", "E-mail: email\nNaam: nonsense\nMissing: email2\n")
    out = cli("import", str(data), *ARGS, "--mapping", str(bad), "--json")
    assert out.returncode == 2
    lines = {e.get("line") for e in out.json()["errors"]}
    assert {2, 3} <= lines
    broken = write(tmp_path, "broken.yaml", "E-mail: [email\n")
    out = cli("import", str(data), *ARGS, "--mapping", str(broken), "--json")
    assert out.returncode == 2 and out.json()["errors"][0]["line"]


def test_error_csv_quotes_messages(tmp_path) -> None:
    from tutela.core.errors import FieldError
    from tutela.subjects.importing.service import write_error_csv

    out = tmp_path / "errors.csv"
    write_error_csv(out, [FieldError("a, b", field="x", row=2), FieldError("file-level", row=1)])
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["row", "column", "message"], ["2", "x", "a, b"], ["1", "", "file-level"]]


@pytest.mark.django_db(transaction=True)
def test_subject_merge_and_show_through_the_cli(cli, init, tmp_path) -> None:
    first = write(tmp_path, "a.csv", "email,last_name\nsame.person@example.be,Peeters\n")
    second = write(tmp_path, "b.csv", f"national_number,last_name\n{NN_2000},Peeters\n")
    assert cli("import", str(first), *ARGS).returncode == 0
    assert cli("import", str(second), *ARGS).returncode == 0
    keep = cli("subject", "show", "same.person@example.be", "--json").json()["id"]
    dup = cli("subject", "show", NN_2000, "--json").json()["id"]
    assert keep != dup
    merged = cli("subject", "merge", "same.person@example.be", NN_2000, "--json")
    assert merged.returncode == 0 and merged.json() == {"id": keep, "merged": dup}
    shown = cli("subject", "show", NN_2000, "--json").json()
    assert shown["id"] == keep and len(shown["items"]) == 4
    human = cli("subject", "show", str(keep))
    assert human.returncode == 0 and "Peeters" in human.stdout and NN_2000 not in human.stdout
    missing = cli("subject", "show", "85073003328", "--json")
    assert missing.returncode == 2 and "85073003328" not in missing.stdout + missing.stderr
