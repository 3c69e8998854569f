"""End to end through the real `tutela` command: import members, open, verify, sign, fulfil, access."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

ART15 = ["subject", "personal_data", "purposes", "categories", "recipients", "retention", "sources", "rights",
         "complaint", "automated_decisions", "transfers"]  # fmt: skip
CSV = (
    "email,first_name,last_name,phone,iban,contract_start,contract_end,collected_at,language\n"
    "marie.dupont@example.be,Marie,Dupont,0470 12 34 56,BE71 0961 2345 6769,2019-03-01,,2019-03-01,fr\n"
    "luc.maes@example.be,Luc,Maes,,,2018-01-01,2023-06-30,2018-01-01,nl\n"
)


@pytest.fixture
def home(cli: Any, tmp_path: Path) -> Any:
    assert cli("init").returncode == 0
    members = tmp_path / "members.csv"
    members.write_text(CSV, encoding="utf-8")
    r = cli(
        "import",
        str(members),
        "--controller",
        "crm-asbl",
        "--subject-type",
        "member",
        "--source",
        "direct",
        "--json",
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return cli


def test_access_package_of_an_imported_member(home: Any, tmp_path: Path) -> None:
    out = tmp_path / "marie.zip"
    r = home("rights", "access", "marie.dupont@example.be", "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    body = r.json()
    assert set(body) == {"path", "items"} and body["items"] >= 4
    with zipfile.ZipFile(body["path"]) as zf:
        data = json.loads(zf.read("data.json"))
        html = zf.read("index.html").decode()
    assert list(data) == ART15
    values = {i["value"] for i in data["personal_data"]}
    assert {"marie.dupont@example.be", "Marie", "Dupont"} <= values
    assert all(i["controller"] == "crm-asbl" and i["source"] == "direct" for i in data["personal_data"])
    assert "Vos données personnelles" in html
    bad = home("rights", "access", "nobody@example.org", "--out", str(tmp_path / "x.zip"))
    assert bad.returncode == 2 and "no person" in bad.stderr


def test_objection_flow_and_unmet_conditions(home: Any) -> None:
    r = home("rights", "open", "objection", "marie.dupont@example.be", "--purpose", "member-service-quality",
             "--channel", "post", "--received", "2025-04-01", "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    opened = r.json()
    assert set(opened) == {"id", "type", "status", "due"}
    assert opened["due"] == "2025-05-02" and opened["status"] == "identity_pending"
    rid = str(opened["id"])
    blocked = home("rights", "fulfil", rid, "--json")
    assert blocked.returncode == 1
    reasons = blocked.json()["reasons"]
    assert blocked.json()["outcome"] == "blocked"
    assert any("identity" in x for x in reasons) and any("signed" in x for x in reasons)
    assert home("rights", "verify", rid).returncode == 0
    assert (
        home(
            "rights", "sign", rid, "--signed-on", "2025-03-30", "--signature", "letter-2025-03-30"
        ).returncode
        == 0
    )
    still = home("rights", "fulfil", rid, "--json")
    assert still.returncode == 1 and any("reasons" in x for x in still.json()["reasons"])
    assert home("rights", "decide", rid, "--grant", "--balancing", "no overriding interest").returncode == 0
    # the person's reasons are still missing: the DPO cannot skip them
    assert home("rights", "fulfil", rid).returncode == 1
    shown = home("rights", "show", rid, "--json").json()
    assert shown["identity"]["method"] == "staff" and shown["signed_on"] == "2025-03-30"
    overdue = home("rights", "list", "--overdue", "--json").json()
    assert [x["id"] for x in overdue] == [int(rid)]


def test_former_member_erasure_keeps_accounting(home: Any) -> None:
    r = home("rights", "open", "erasure", "luc.maes@example.be", "--verified", "--json")
    rid = str(r.json()["id"])
    assert r.json()["status"] == "in_progress"
    done = home("rights", "fulfil", rid, "--json")
    assert done.returncode == 0, done.stderr
    body = done.json()
    assert set(body) == {"id", "status", "outcome", "reasons"}
    # what a legal-obligation purpose still needs is kept, each with the law and the date it may go
    kept = [x for x in body["reasons"] if x.startswith("Kept")]
    assert kept and all("17(3)(b)" in x and "until 20" in x for x in kept)
    assert body["outcome"] in ("partial", "refused") and body["status"] in ("answered", "refused")
    again = home("rights", "fulfil", rid, "--json")
    assert again.returncode == 1 and "already" in again.json()["error"]
    assert home("audit", "verify", "--json").json()["intact"] is True


def test_pause_resume_extend_and_bad_input(home: Any) -> None:
    rid = str(home("rights", "open", "access", "marie.dupont@example.be", "--json").json()["id"])
    assert home("rights", "pause", rid, "--reason", "copy of identity card asked").returncode == 0
    assert home("rights", "show", rid, "--json").json()["status"] == "on_hold"
    assert home("rights", "resume", rid).returncode == 0
    ext = home("rights", "extend", rid, "--reason", "complex: ten years of records", "--json")
    assert ext.returncode == 0 and ext.json()["extended"] is True
    bad = home("rights", "open", "teleport", "marie.dupont@example.be", "--channel", "pigeon", "--json")
    assert bad.returncode == 2
    assert {e["field"] for e in bad.json()["errors"]} >= {"type", "channel"}
    assert home("rights", "sign", rid, "--signed-on", "yesterday", "--signature", "x").returncode == 2
    assert home("rights", "show", "9999").returncode == 2
