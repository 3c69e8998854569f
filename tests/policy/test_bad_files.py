"""Files that are not a policy at all: a clear error with exit 2, the contract's JSON shape, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.policy.helpers import shipped_text


def _cases(tmp: Path) -> dict[str, tuple[Path, str]]:
    text = shipped_text()
    files = {
        "missing": (tmp / "nope.yaml", "no such file"),
        "directory": (tmp, "directory"),
        "binary": (tmp / "b.yaml", "binary"),
        "latin-1": (tmp / "l.yaml", "not UTF-8"),
        "utf-16": (tmp / "u.yaml", "UTF-16"),
        "empty": (tmp / "e.yaml", "empty"),
        "comments only": (tmp / "c.yaml", "empty"),
        "a list": (tmp / "list.yaml", "mapping"),
        "broken yaml": (tmp / "broken.yaml", "not valid YAML"),
    }
    (tmp / "b.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp / "l.yaml").write_bytes(text.encode("utf-8").replace("Liège".encode(), "Liège".encode("latin-1")))
    (tmp / "u.yaml").write_bytes(text.encode("utf-16"))
    (tmp / "e.yaml").write_bytes(b"")
    (tmp / "c.yaml").write_text("# nothing here\n\n", encoding="utf-8")
    (tmp / "list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    (tmp / "broken.yaml").write_text(
        text.replace("languages: [en, fr, nl]", "languages: [en, fr, nl"), encoding="utf-8"
    )
    return files


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "directory",
        "binary",
        "latin-1",
        "utf-16",
        "empty",
        "comments only",
        "a list",
        "broken yaml",
    ],
)
def test_bad_files_are_explained(case: str, tmp_path: Path, cli: Any) -> None:
    path, words = _cases(tmp_path)[case]
    r = cli("policy", "check", str(path), "--json")
    assert r.returncode == 2
    out = r.json()
    assert out["valid"] is False
    assert out["errors"] and set(out["errors"][0]) == {"file", "line", "path", "message"}
    assert any(words in e["message"] for e in out["errors"]), out
    assert all(e["file"] == str(path) for e in out["errors"])


def test_latin1_error_points_at_the_line(tmp_path: Path) -> None:
    from tutela.policy.loader import read_policy_path

    text = shipped_text()
    path = tmp_path / "l.yaml"
    path.write_bytes(text.encode("utf-8").replace("Liège".encode(), "Liège".encode("latin-1")))
    expected = next(i for i, ln in enumerate(text.splitlines(), 1) if "Liège" in ln)
    _, issues = read_policy_path(path)
    assert issues[0].line == expected


def test_broken_yaml_line(tmp_path: Path, cli: Any) -> None:
    text = shipped_text().replace(
        "  crm-asbl:\n    name: CRM asbl\n", "  crm-asbl:\n    name: CRM asbl\n   bad: indent\n", 1
    )
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    expected = next(i for i, ln in enumerate(text.splitlines(), 1) if "bad: indent" in ln)
    r = cli("policy", "check", str(path), "--json")
    assert r.returncode == 2
    (err,) = r.json()["errors"]
    assert err["line"] == expected
    assert "not valid YAML" in err["message"]


def test_load_of_a_bad_file_is_refused_and_nothing_changes(tmp_path: Path, cli: Any) -> None:
    assert cli("init", "--json").returncode == 0
    path = _cases(tmp_path)["binary"][0]
    r = cli("policy", "load", str(path), "--json")
    assert r.returncode == 2
    assert "binary" in r.stdout
    assert [v["version"] for v in cli("policy", "versions", "--json").json()["versions"]] == [1]


def test_check_without_a_database_or_policy(cli: Any) -> None:
    r = cli("policy", "check", "--json")
    assert r.returncode == 2
    (err,) = r.json()["errors"]
    assert "tutela init" in err["message"]
