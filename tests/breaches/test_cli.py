"""`tutela breach …` end to end through the real entry point."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import yaml

from tests.breaches.test_assessment import REFERENCE


def test_assess_reference_cases_and_bad_facts(cli: Any, tmp_path: Path) -> None:
    assert cli("init").returncode == 0
    for case in REFERENCE:
        f = tmp_path / f"case-{case['id']}.json"
        f.write_text(json.dumps(case["facts"]))
        out = cli("breach", "assess", str(f), "--json")
        assert out.returncode == 0, out.stderr
        got = out.json()
        assert {k: got[k] for k in case["expected"]} == case["expected"]

    human = cli("breach", "assess", str(f))
    assert "notify the authority:" in human.stdout and "reasons:" in human.stdout

    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "data_categories": ["user.name", "user.unheard_of"],
                "subjects_affected": "ten",
                "malicious": True,
            }
        )
    )
    out = cli("breach", "assess", str(bad), "--json")
    assert out.returncode == 2
    fields = {e.get("field") for e in out.json()["errors"]}
    assert {"data_categories[1]", "subjects_affected"} <= fields
    assert "data_categories[1]" in out.stderr and "subjects_affected" in out.stderr

    missing = tmp_path / "missing.json"
    missing.write_text('{"data_categories": ["user.name"], "subjects_affected": 2}')
    out = cli("breach", "assess", str(missing))
    assert out.returncode == 2 and "malicious" in out.stderr

    broken = tmp_path / "broken.json"
    broken.write_text('{"data_categories": ["user.name"],\n  "subjects_affected": 2,,}')
    out = cli("breach", "assess", str(broken))
    assert out.returncode == 2 and "broken.json:2" in out.stderr

    out = cli("breach", "assess", str(tmp_path / "nowhere.json"))
    assert out.returncode == 2 and "nowhere.json" in out.stderr


def test_report_investigate_notify_and_register(
    cli: Any, tutela_home: Path, tmp_path: Path, policy_data: dict[str, Any]
) -> None:
    assert cli("init").returncode == 0
    report = tmp_path / "report.yaml"
    report.write_text(
        yaml.safe_dump(
            {
                "reporter": {"name": "Janssens, Piet", "address": "Kerkstraat 2, 2000 Antwerpen",
                             "email": "piet@example.org", "phone": "+32 3 555 02 02"},
                "incident_type": "loss_or_theft",
                "description": "A laptop with the member list was stolen from a car.",
                "people_concerned": 1200,
                "detected_at": "2026-11-20T15:30:00+01:00",
            }
        )
    )  # fmt: skip
    out = cli("breach", "report", "--file", str(report), "--json")
    assert out.returncode == 0, out.stderr
    created = out.json()
    breach_id = str(created["id"])
    assert created["urgency"] == "high"
    assert created["clocks"]["authority"]["due"] == "2026-11-23T15:30:00+01:00"
    mails = list((tutela_home / "mail").glob("*"))
    assert mails and policy_data["breach"]["urgency_marker"] in mails[0].read_text()

    out = cli("breach", "report", "--name", "X", "--type", "other", "--json")
    assert out.returncode == 2
    assert {"reporter.address", "reporter.phone", "description"} <= {e["field"] for e in out.json()["errors"]}

    listed = cli("breach", "list", "--json").json()
    assert listed["count"] == 1 and listed["breaches"][0]["clocks"]["authority"]["state"] == "overdue"

    out = cli("breach", "investigate", breach_id, "--nature", "theft", "--data-type", "user.name",
              "--data-type", "user.contact.address", "--personal-data-breach", "yes", "--json")  # fmt: skip
    assert out.returncode == 0, out.stderr

    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(REFERENCE[-1]["facts"]))
    out = cli("breach", "assess", str(facts), "--breach", breach_id, "--json")
    assert out.returncode == 0 and out.json()["notify_subjects"] is True

    out = cli("breach", "notify-authority", breach_id, "--json")
    assert out.returncode == 1 and "delay" in out.stderr  # reported Friday, now well past Monday
    out = cli(
        "breach",
        "notify-authority",
        breach_id,
        "--delay-reasons",
        "Found the laptop's contents late.",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    assert out.json()["late"] is True and out.json()["content"]["dpo"]["email"] == policy_data["dpo"]["email"]

    out = cli("breach", "notify-subjects", breach_id, "--public-notice", "--json")
    assert out.returncode == 0 and out.json()["channel"] == "public_notice"

    out = cli("breach", "record", breach_id, "--main-cause", "=laptop left in car", "--lessons-learned",
              "Never leave devices in cars", "--change", "Encrypt all laptops", "--event", "Police report filed", "--json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.json()["recommended_changes"][0]["description"] == "Encrypt all laptops"

    out = cli("breach", "review", breach_id, "--text", "Follow-up checked", "--close", "--json")
    assert out.returncode == 0 and out.json()["status"] == "closed"

    shown = cli("breach", "show", breach_id, "--json").json()
    assert shown["register"]["main_cause"] == "=laptop left in car"
    assert shown["reporter"]["phone"] == "+32 3 555 02 02"

    exported = cli("breach", "register", "export", "--format", "csv")
    assert exported.returncode == 0
    [row] = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert row["main_cause"] == "'=laptop left in car"
    as_json = cli("breach", "register", "export", "--format", "json", "--json").json()
    assert as_json["count"] == 1

    assert cli("breach", "show", "999", "--json").returncode == 2
