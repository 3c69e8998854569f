"""The recipients commands through the real `tutela` entry point, and the API with a bearer token."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from tests.recipients.conftest import IBAN, processor_type_outside_eea

PEOPLE = "email,first_name,last_name,iban\nann@example.org,Ann,Peeters,{iban}\nbob@example.org,=cmd,Maes,\n"


def allowed(policy_data, purpose: str, recipient_categories: list[str]) -> list[str]:
    out: list[str] = []
    for pc in policy_data["purposes"][purpose]["categories"]:
        for rc in recipient_categories:
            key = pc if (pc == rc or pc.startswith(rc + ".")) else rc if rc.startswith(pc + ".") else None
            if key and key not in out:
                out.append(key)
    return out


def test_cli_end_to_end(cli, tmp_path: Path, policy_data) -> None:
    assert cli("init").returncode == 0
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE.format(iban=IBAN))
    imp = cli(
        "import", str(people), "--controller", "crm-asbl", "--subject-type", "member", "--source", "direct"
    )
    assert imp.returncode == 0, imp.stderr
    cats = ["user.name", "user.contact.email"]
    add = cli(
        "recipient",
        "add",
        "mail-cloud",
        "--name",
        "Mail Cloud Inc.",
        "--type",
        processor_type_outside_eea(policy_data),
        "--country",
        "US",
        "--purposes",
        "member-management",
        "--categories",
        ",".join(cats),
        "--email",
        "privacy@mailcloud.example",
        "--contract",
        "DPA-1",
        "--contract-expires",
        "2026-12-31",
        "--json",
    )
    assert add.returncode == 0, add.stderr
    assert add.json()["country"] == "US" and add.json()["categories"] == cats
    subjects = tmp_path / "subjects.txt"
    subjects.write_text("email\nann@example.org\nbob@example.org\n")
    out = tmp_path / "export.csv"
    args = [
        "disclose",
        "--recipient",
        "mail-cloud",
        "--purpose",
        "member-management",
        "--controller",
        "crm-asbl",
        "--subjects",
        str(subjects),
        "--out",
        str(out),
    ]
    refused = cli(*args, "--json")
    assert refused.returncode == 1
    assert "refused" in refused.json()["error"] and not out.exists()
    sg = cli(
        "recipient", "safeguard", "mail-cloud", "--kind", "scc", "--module", "c2p", "--signed", "2026-01-01"
    )
    assert sg.returncode == 0, sg.stderr
    ok = cli(*args, "--json")
    assert ok.returncode == 0, ok.stderr
    body = ok.json()
    want = ["subject", *allowed(policy_data, "member-management", cats)]
    assert body["columns"] == want and body["subjects"] == 2 and body["basis"].startswith("scc:c2p")
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == want
    assert IBAN.replace(" ", "") not in out.read_text()
    assert any(r["user.name"].startswith("'=") for r in rows)  # formula neutralised
    assert (out.stat().st_mode & 0o777) == 0o600
    listed = cli("recipient", "list", "--json").json()["recipients"]
    assert listed[0]["safeguards"][0]["scc_module"] == "c2p"
    assert cli("recipient", "show", "mail-cloud", "--json").json()["contract_ref"] == "DPA-1"
    assert (
        cli("recipient", "expiring", "--within", "3650", "--json").json()["contracts"][0]["key"]
        == "mail-cloud"
    )
    client = cli(
        "recipient", "client-add", "client-co", "--name", "Client Co", "--instructions", "INSTR-7", "--json"
    )
    assert (
        client.returncode == 0
        and cli("recipient", "client-list", "--json").json()["clients"][0]["key"] == "client-co"
    )
    js = tmp_path / "export.json"
    again = cli(*args[:7], "--identifier", "ann@example.org", "--out", str(js))
    assert again.returncode == 0, again.stderr
    assert len(json.loads(js.read_text())["rows"]) == 1
    log = cli("recipient", "disclosures", "--recipient", "mail-cloud", "--json").json()["disclosures"]
    assert len(log) == 2 and log[0]["subjects"] == 1 and log[1]["subjects"] == 2
    mine = cli("recipient", "disclosures", "--subject", "ann@example.org", "--json").json()["disclosures"]
    assert len(mine) == 2 and all(d["recipient"] == "mail-cloud" for d in mine)
    assert cli("recipient", "disclosures", "--subject", "nobody@example.org").returncode == 2
    verify = cli("audit", "verify", "--json")
    assert verify.returncode == 0 and verify.json()["intact"] is True


def test_cli_bad_input_exits_2(cli, tmp_path: Path) -> None:
    assert cli("init").returncode == 0
    bad = cli("recipient", "add", "x", "--name", "X", "--type", "it-providers", "--country", "XX", "--json")
    assert bad.returncode == 2 and any(e.get("field") == "country" for e in bad.json()["errors"])
    assert (
        cli(
            "recipient",
            "add",
            "x",
            "--name",
            "X",
            "--type",
            "it-providers",
            "--country",
            "BE",
            "--contract-expires",
            "2026-02-30",
        ).returncode
        == 2
    )
    assert cli("recipient", "show", "nobody").returncode == 2
    subjects = tmp_path / "s.txt"
    subjects.write_text("nobody@example.org\n")
    r = cli(
        "disclose",
        "--recipient",
        "nobody",
        "--purpose",
        "member-management",
        "--controller",
        "crm-asbl",
        "--identifier",
        "1",
        "--out",
        str(tmp_path / "o.csv"),
    )
    assert r.returncode == 2
    r = cli(
        "disclose",
        "--recipient",
        "x",
        "--purpose",
        "member-management",
        "--controller",
        "crm-asbl",
        "--subjects",
        str(subjects),
        "--out",
        str(tmp_path / "o.csv"),
        "--json",
    )
    assert r.returncode == 2 and r.json()["errors"][0]["line"] == 1
    r = cli(
        "disclose",
        "--recipient",
        "x",
        "--purpose",
        "p",
        "--controller",
        "crm-asbl",
        "--out",
        str(tmp_path / "o.csv"),
    )
    assert r.returncode == 2
    assert cli("recipient", "safeguard", "x", "--kind", "scc", "--signed", "2026-02-30").returncode == 2


@pytest.fixture
def token(policy):
    from tutela.accounts.principal import CLI
    from tutela.accounts.services import staff_create, token_create

    user, _ = staff_create(principal=CLI, username="dpo", email="dpo@example.org", role="dpo")
    return token_create(principal=CLI, user=user, name="test")


@pytest.mark.django_db
def test_api_disclosure_with_bearer_token(client, token, person, policy_data) -> None:
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    cats = ["user.name", "user.contact.email"]
    body = {
        "key": "mail-cloud",
        "name": "Mail Cloud Inc.",
        "type": processor_type_outside_eea(policy_data),
        "country": "US",
        "purposes": ["member-management"],
        "categories": cats,
    }
    r = client.post("/api/v1/recipients/", json.dumps(body), content_type="application/json", **auth)
    assert r.status_code == 201, r.content
    assert client.get("/api/v1/recipients/").status_code == 401
    disclose = {
        "purpose": "member-management",
        "controller": "crm-asbl",
        "subjects": [str(person["subject"].public_id)],
    }
    url = "/api/v1/recipients/mail-cloud/disclosures"
    r = client.post(url, json.dumps(disclose), content_type="application/json", **auth)
    assert r.status_code == 409 and "refused" in r.json()["error"]
    sg = {
        "kind": "scc",
        "scc_module": "c2p",
        "signed_on": (dt.date.today() - dt.timedelta(days=30)).isoformat(),
    }
    r = client.post(
        "/api/v1/recipients/mail-cloud/safeguards", json.dumps(sg), content_type="application/json", **auth
    )
    assert r.status_code == 201, r.content
    r = client.post(url, json.dumps(disclose), content_type="application/json", **auth)
    assert r.status_code == 201, r.content
    got = r.json()
    assert got["columns"] == ["subject", *allowed(policy_data, "member-management", cats)]
    assert got["rows"][0]["user.name"] == "Ann Peeters"
    r = client.post(
        "/api/v1/recipients/nobody/disclosures", json.dumps(disclose), content_type="application/json", **auth
    )
    assert r.status_code == 404
    r = client.post(
        url, json.dumps({**disclose, "on": "2026-02-30"}), content_type="application/json", **auth
    )
    assert r.status_code == 400
    r = client.get("/api/v1/transfers/check?country=XX", **auth)
    assert r.status_code == 400
    r = client.get("/api/v1/transfers/check?country=US&scheme=dpf&on=2026-01-10", **auth)
    assert r.status_code == 200 and r.json()["adequate"] is True
    assert client.get("/api/v1/recipients/mail-cloud", **auth).json()["safeguards"][0]["scc_module"] == "c2p"
    assert client.get("/api/v1/recipients/expiring-contracts", **auth).status_code == 200
