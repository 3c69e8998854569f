"""`tutela consent`, `tutela purpose check|scrub` and `tutela newsletter sign` through the real entry point."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any


def _import(cli: Any, tmp_path: Path, name: str, rows: list[str], *, subject_type: str, source: str) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text("email,first_name,last_name\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = cli(
        "import",
        str(path),
        "--controller",
        "crm-asbl",
        "--subject-type",
        subject_type,
        "--source",
        source,
        "--json",
    )
    assert out.returncode == 0, out.stderr
    assert out.json()["imported"] == len(rows)


def test_consent_and_purpose_check_end_to_end(cli: Any, tmp_path: Path, policy_data: dict[str, Any]) -> None:
    assert policy_data["purposes"]["newsletter"]["legal_basis"] == "consent"
    assert cli("init").returncode == 0
    _import(cli, tmp_path, "members", ["ann@example.com,Ann,Aerts"], subject_type="member", source="direct")

    denied = cli("purpose", "check", "ann@example.com", "--purpose", "newsletter", "--json")
    assert denied.returncode == 1 and denied.json()["allowed"] is False and denied.json()["reasons"]

    given = cli(
        "consent",
        "give",
        "ann@example.com",
        "--purpose",
        "newsletter",
        "--channel",
        "paper",
        "--evidence",
        "signed form 2026-11",
        "--json",
    )
    assert given.returncode == 0, given.stderr
    assert {"subject", "purpose", "state"} <= set(given.json())
    assert given.json()["purpose"] == "newsletter" and given.json()["state"] == "given"

    allowed = cli("purpose", "check", "ann@example.com", "--purpose", "newsletter", "--json")
    assert allowed.returncode == 0 and allowed.json()["allowed"] is True
    assert allowed.json()["legal_basis"] == "consent"

    signed = cli("newsletter", "sign", "--email", "ann@example.com", "--json")
    assert signed.returncode == 0
    assert signed.json()["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/api/v1/consent/unsubscribe/" in signed.json()["headers"]["List-Unsubscribe"]

    withdrawn = cli("consent", "withdraw", "ann@example.com", "--purpose", "newsletter", "--json")
    assert withdrawn.returncode == 0 and withdrawn.json()["state"] == "withdrawn"
    after = cli("purpose", "check", "ann@example.com", "--purpose", "newsletter", "--json")
    assert after.returncode == 1 and "withdrew" in after.json()["reasons"][0]
    assert cli("newsletter", "sign", "--email", "ann@example.com", "--json").returncode == 1

    history = cli("consent", "history", "ann@example.com", "--json")
    assert [e["event"] for e in history.json()["consents"]] == ["given", "withdrawn"]
    # a second withdrawal has nothing to withdraw
    assert cli("consent", "withdraw", "ann@example.com", "--purpose", "newsletter").returncode == 1


def test_bad_input_exits_2(cli: Any) -> None:
    assert cli("init").returncode == 0
    bad_email = cli("purpose", "check", "ann@", "--purpose", "newsletter", "--json")
    assert bad_email.returncode == 2 and "error" in bad_email.json()
    assert cli("purpose", "check", "ann@example.com").returncode == 2  # --purpose missing
    nobody = cli("consent", "give", "nobody@example.com", "--purpose", "newsletter")
    assert nobody.returncode == 2 and "no one" in nobody.stderr
    assert (
        cli(
            "purpose", "scrub", "/no/such/file.csv", "--purpose", "prospecting", "--out", "/tmp/x.csv"
        ).returncode
        == 2
    )


def test_objection_and_scrub(cli: Any, tmp_path: Path, policy_data: dict[str, Any]) -> None:
    purpose = policy_data["purposes"]["prospecting"]
    assert purpose.get("direct_marketing") and "prospect" in purpose["subject_types"]
    assert "member" not in purpose["subject_types"]
    assert cli("init").returncode == 0
    _import(
        cli,
        tmp_path,
        "prospects",
        ["eve@example.com,Eve,E", "obj@example.com,Otto,O"],
        subject_type="prospect",
        source="public-web",
    )
    _import(cli, tmp_path, "members", ["mem@example.com,Mia,M"], subject_type="member", source="direct")
    objected = cli("consent", "object", "obj@example.com", "--purpose", "prospecting", "--json")
    assert objected.returncode == 0 and objected.json()["status"] == "upheld"

    # the expected fate of each row, worked out by hand from the facts above
    rows = [
        ("eve@example.com", None),
        ("EVE@Example.com", None),
        ("obj@example.com", "objection"),
        ("mem@example.com", "subject-type"),
        ("stranger@example.com", "unknown-person"),
        ("not-an-address", "invalid"),
        ("", "invalid"),
    ] * 3
    source = tmp_path / "campaign.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["name", "E-mail"])
        for n, (email, _) in enumerate(rows):
            writer.writerow([f"row {n}", email])
    out = tmp_path / "usable.csv"
    result = cli("purpose", "scrub", str(source), "--purpose", "prospecting", "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    expected_reasons: dict[str, int] = {}
    for _, reason in rows:
        if reason:
            expected_reasons[reason] = expected_reasons.get(reason, 0) + 1
    kept = [email for email, reason in rows if reason is None]
    assert result.json() == {"kept": len(kept), "removed": len(rows) - len(kept), "reasons": expected_reasons}
    with out.open(encoding="utf-8", newline="") as handle:
        written = list(csv.reader(handle, delimiter=";"))
    assert written[0] == ["name", "E-mail"]
    assert [r[1] for r in written[1:]] == kept


def test_scrub_without_header_and_column_option(cli: Any, tmp_path: Path) -> None:
    assert cli("init").returncode == 0
    _import(
        cli, tmp_path, "prospects", ["pia@example.com,Pia,P"], subject_type="prospect", source="public-web"
    )
    source = tmp_path / "plain.csv"
    source.write_text("pia@example.com\nnope@\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = cli("purpose", "scrub", str(source), "--purpose", "prospecting", "--out", str(out), "--json")
    assert result.json() == {"kept": 1, "removed": 1, "reasons": {"invalid": 1}}
    assert out.read_text(encoding="utf-8") == "pia@example.com\n"
    bad = cli(
        "purpose", "scrub", str(source), "--purpose", "prospecting", "--out", str(out), "--column", "phone"
    )
    assert bad.returncode == 2 and "column" in bad.stderr
    unknown = cli("purpose", "scrub", str(source), "--purpose", "no-such", "--out", str(out))
    assert unknown.returncode == 2 and "purpose" in unknown.stderr


def test_objection_survives_erasure_request_and_recollection(
    cli: Any, tmp_path: Path, policy_data: dict[str, Any]
) -> None:
    """Through the real commands: objection, erasure request, re-collection from a data provider."""
    assert "data-provider" in policy_data["sources"]
    assert cli("init").returncode == 0
    _import(cli, tmp_path, "web", ["zed@example.com,Zed,Z"], subject_type="prospect", source="public-web")
    assert cli("purpose", "check", "zed@example.com", "--purpose", "prospecting").returncode == 0
    assert cli("consent", "object", "zed@example.com", "--purpose", "prospecting").returncode == 0
    opened = cli("rights", "open", "erasure", "zed@example.com", "--verified", "--json")
    assert opened.returncode == 0, opened.stderr
    assert cli("rights", "fulfil", str(opened.json()["id"])).returncode in (0, 1)
    path = tmp_path / "provider.csv"
    path.write_text("email,first_name,last_name\nzed@example.com,Zed,Z\n", encoding="utf-8")
    again = cli(
        "import",
        str(path),
        "--controller",
        "ac-cs",
        "--subject-type",
        "prospect",
        "--source",
        "data-provider",
        "--json",
    )
    assert again.returncode == 0, again.stderr
    check = cli("purpose", "check", "zed@example.com", "--purpose", "prospecting", "--json")
    assert check.returncode == 1 and "suppressed" in check.json()["codes"]
    assert cli("audit", "verify").returncode == 0


def test_objection_with_reasons_waits_for_the_dpo(
    cli: Any, tmp_path: Path, policy_data: dict[str, Any]
) -> None:
    key = next(
        k
        for k, p in policy_data["purposes"].items()
        if p["legal_basis"] == "legitimate_interest"
        and not p.get("direct_marketing")
        and "member" in p["subject_types"]
        and p.get("objection") in (None, "reasons")
    )
    assert cli("init").returncode == 0
    _import(cli, tmp_path, "members", ["dpo-case@example.com,Dee,D"], subject_type="member", source="direct")
    no_reasons = cli("consent", "object", "dpo-case@example.com", "--purpose", key)
    assert no_reasons.returncode == 2 and "reasons" in no_reasons.stderr
    obj = cli(
        "consent", "object", "dpo-case@example.com", "--purpose", key, "--reasons", "I am harassed", "--json"
    )
    assert obj.returncode == 0 and obj.json()["status"] == "pending"
    pending = cli("consent", "pending", "--json")
    assert [o["id"] for o in pending.json()["objections"]] == [obj.json()["id"]]
    assert cli("purpose", "check", "dpo-case@example.com", "--purpose", key).returncode == 1
    decided = cli(
        "consent",
        "decide",
        str(obj.json()["id"]),
        "--uphold",
        "--balancing",
        "Her situation prevails",
        "--json",
    )
    assert decided.returncode == 0 and decided.json()["status"] == "upheld"
    again = cli("consent", "decide", str(obj.json()["id"]), "--reject", "--balancing", "x")
    assert again.returncode == 1
    refused = cli("consent", "object", "dpo-case@example.com", "--purpose", "accounting", "--reasons", "no")
    assert refused.returncode == 1 and "cannot be accepted" in refused.stderr
