"""The record of processing activities: every purpose under the right controller, with Art. 30(1) content."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.policy.helpers import mutate, shipped_text, write
from tutela.policy.ropa import csv_safe, ropa_build

ART_30 = {
    "controller",
    "joint_controllers",
    "dpo",
    "purpose",
    "legal_basis",
    "subject_categories",
    "data_categories",
    "recipients",
    "transfers",
    "retention",
    "security_measures",
}


def _expected(policy_data: dict[str, Any]) -> dict[str, list[str]]:
    return {
        ckey: [k for k, p in policy_data["purposes"].items() if ckey in p["controllers"]]
        for ckey in policy_data["controllers"]
    }


@pytest.mark.django_db
def test_every_purpose_under_the_right_controller(policy: Any, policy_data: dict[str, Any]) -> None:
    record = ropa_build(policy)
    got = {c["key"]: [a["key"] for a in c["activities"]] for c in record["controllers"]}
    assert got == _expected(policy_data)
    for c in record["controllers"]:
        assert c["name"] == policy_data["controllers"][c["key"]]["name"]
        for a in c["activities"]:
            assert set(a) >= ART_30
            assert a["dpo"]["email"] == policy_data["dpo"]["email"]
            assert a["retention"]["key"] == policy_data["purposes"][a["key"]]["retention"]
            assert a["retention"]["in_words"]
            assert a["security_measures"]
            others = [k for k in policy_data["purposes"][a["key"]]["controllers"] if k != c["key"]]
            assert [j["key"] for j in a["joint_controllers"]] == others


@pytest.mark.django_db
def test_transfers_outside_the_eea_carry_their_safeguards(policy: Any, policy_data: dict[str, Any]) -> None:
    record = ropa_build(policy, controller="crm-asbl")
    (ctrl,) = record["controllers"]
    newsletter = next(a for a in ctrl["activities"] if a["key"] == "newsletter")
    outside = {
        k: r
        for k, r in policy_data["recipients"].items()
        if r.get("country", "BE") == "US" and "newsletter" in r["purposes"]
    }
    assert {t["recipient"] for t in newsletter["transfers"]} == set(outside)
    assert all("Standard Contractual Clauses" in t["safeguards"] for t in newsletter["transfers"])


def test_csv_cells_cannot_become_formulas() -> None:
    for raw in ("=1+1", "+31", "-2", "@SUM(A1)", "\tx"):
        assert csv_safe(raw).startswith("'")
    assert csv_safe("plain") == "plain"
    assert csv_safe(None) == ""


def test_export_through_the_cli(cli: Any, policy_data: dict[str, Any], tmp_path: Any) -> None:
    assert cli("init", "--json").returncode == 0
    r = cli("ropa", "export", "--format", "json")
    assert r.returncode == 0, r.stderr
    got = {c["key"]: [a["key"] for a in c["activities"]] for c in r.json()["controllers"]}
    assert got == _expected(policy_data)

    r = cli("ropa", "export", "--format", "csv", "--controller", "ac-cs")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert {row["controller"] for row in rows} == {"ac-cs"}
    assert [row["activity"] for row in rows] == _expected(policy_data)["ac-cs"]

    out = tmp_path / "ropa.html"
    r = cli("ropa", "export", "--format", "html", "--out", str(out), "--json")
    assert r.returncode == 0
    page = out.read_text(encoding="utf-8")
    assert "Record of processing activities" in page and "activity-crm-asbl-prospecting" in page

    r = cli("ropa", "export", "--controller", "acs", "--json")
    assert r.returncode == 2
    assert "ac-cs" in r.json()["error"]


def test_formula_in_a_policy_text_is_neutralised(cli: Any, tmp_path: Any) -> None:
    text = mutate(
        shipped_text(),
        "    name: Newsletter\n    description: Sending",
        '    name: "=HYPERLINK(1)"\n    description: Sending',
    )
    assert cli("init", "--json").returncode == 0
    assert cli("policy", "load", str(write(tmp_path, text)), "--json").returncode == 0
    r = cli("ropa", "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    names = {row["name"] for row in rows if row["activity"] == "newsletter"}
    assert names == {"'=HYPERLINK(1)"}
