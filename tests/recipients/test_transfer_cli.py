"""`tutela transfer check|rules` through the real entry point."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.recipients.reference import expected
from tutela.recipients.rules import shipped_rules_text


@pytest.fixture
def ready(cli):
    assert cli("init").returncode == 0
    return cli


CHECKS = [
    (["--country", "CH"], "CH", None, None),
    (["--country", "US"], "US", None, None),
    (["--country", "US", "--scheme", "dpf"], "US", None, "dpf"),
    (["--country", "GB", "--on", "2025-12-20"], "GB", "2025-12-20", None),
    (["--country", "GB", "--on", "2026-01-10"], "GB", "2026-01-10", None),
    (["--country", "GB", "--on", "2031-12-28"], "GB", "2031-12-28", None),
    (["--country", "BR", "--on", "2026-01-25"], "BR", "2026-01-25", None),
    (["--country", "BR", "--on", "2026-01-26"], "BR", "2026-01-26", None),
    (["--country", "KR", "--on", "2021-12-16"], "KR", "2021-12-16", None),
    (["--country", "no"], "NO", None, None),
    (["--country", "BE"], "BE", None, None),
    (["--country", "IN"], "IN", None, None),
]


def test_check_answers_per_the_contract(ready) -> None:
    for args, country, on, scheme in CHECKS:
        r = ready("transfer", "check", *args, "--json")
        got = r.json()
        assert {"country", "eea", "adequate", "decision", "allowed_without_safeguards"} <= set(got)
        assert {"reasons", "scope", "valid_until"} <= set(got)
        day = dt.date.fromisoformat(on) if on else dt.date.fromisoformat(got["on"])
        want = expected(country, day, scheme)
        # exit 0 for "yes", 1 for "no" (the JSON is printed either way)
        assert r.returncode == (0 if want["allowed_without_safeguards"] else 1), (args, r.stderr)
        assert got["country"] == country
        for key in ("eea", "adequate", "decision", "allowed_without_safeguards"):
            assert got[key] == want[key], (args, key)
        if want.get("valid_until"):
            assert got["valid_until"] == want["valid_until"].isoformat(), args


BAD = [
    ["--country", "XX"],
    ["--country", "UK"],
    ["--country", "CH", "--on", "2026-02-30"],
    ["--country", "CH", "--on", "tomorrow"],
    ["--country", "US", "--scheme", "shield"],
    [],
]


def test_bad_input_exits_2(ready) -> None:
    for args in BAD:
        r = ready("transfer", "check", *args)
        assert r.returncode == 2, args
        assert "error" in r.stderr


def test_rules_update_and_show(ready, tmp_path: Path) -> None:
    shown = ready("transfer", "rules", "show", "--json").json()
    assert shown["version"] == 0 and shown["source"] == "shipped"
    text = shipped_rules_text()
    start = text.index("  - country: BR")
    end = text.index("international_organisations:")
    new = tmp_path / "rules.yaml"
    new.write_text(text[:start] + text[end:].replace('label: "2026-11"', 'label: "test"'))
    r = ready("transfer", "rules", "update", str(new), "--json")
    assert r.returncode == 0, r.stderr
    assert r.json()["version"] == 1 and r.json()["changed"] is True
    shown = ready("transfer", "rules", "show", "--json").json()
    assert shown["version"] == 1 and "BR" not in [d["country"] for d in shown["adequacy"]]
    assert ready("transfer", "check", "--country", "BR", "--json").json()["adequate"] is False
    audit = ready("audit", "verify", "--json")
    assert audit.returncode == 0 and audit.json()["intact"] is True
    human = ready("transfer", "check", "--country", "US")
    assert human.returncode == 1 and "NOT allowed" in human.stdout


def test_rules_update_with_errors_names_file_and_line(ready, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    lines = shipped_rules_text().splitlines()
    idx = next(i for i, ln in enumerate(lines) if "adopted: 2000-07-26" in ln)
    lines[idx] = "    adopted: 2000-02-30"
    bad.write_text("\n".join(lines) + "\n")
    r = ready("transfer", "rules", "update", str(bad), "--json")
    assert r.returncode == 2
    errors = r.json()["errors"]
    assert any(e.get("line") == idx + 1 and e.get("file") == "bad.yaml" for e in errors), errors
    assert f"bad.yaml:{idx + 1}" in r.stderr
    assert ready("transfer", "rules", "update", str(tmp_path / "missing.yaml")).returncode == 2
    assert ready("transfer", "rules", "show", "--json").json()["version"] == 0
