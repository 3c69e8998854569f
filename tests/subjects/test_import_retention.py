"""Issue 16 at import: clocks are not reset, rows already past retention are refused, only the policy's
default purposes (or those a mapping names) are attached. Shipped policy; expected dates worked by hand
from its §8 rules (read from the YAML)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine

from tutela.accounts.principal import SYSTEM
from tutela.core import clock
from tutela.subjects.importing.service import import_file
from tutela.subjects.models import DataItem

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=clock.BRUSSELS)
NN = "user.government_id.national_identification_number"


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _run(path: Path, **kw: Any) -> Any:
    args = {"controller": "crm-asbl", "subject_type": "member", "source": "direct", "principal": SYSTEM}
    return import_file(path=path, **{**args, **kw})


@pytest.mark.django_db
def test_an_item_without_a_date_in_the_file_has_no_collection_date(
    policy: Any, frozen: Any, tmp_path: Path
) -> None:
    report = _run(
        _file(tmp_path, "m.csv", "email,last_name,contract_start\nann@example.org,Aerts,2019-01-01\n")
    )
    assert report.imported == 1 and not report.errors
    assert set(DataItem.objects.values_list("collected_at", flat=True)) == {None}
    dated = _file(tmp_path, "d.csv", "email,last_name,collected_at\nbob@example.org,Maes,2020-03-04\n")
    _run(dated)
    item = DataItem.objects.get(value="bob@example.org")
    assert clock.as_aware(item.collected_at).astimezone(clock.BRUSSELS).date() == dt.date(2020, 3, 4)


@pytest.mark.django_db
def test_a_member_whose_contract_ended_long_ago_is_refused_naming_row_and_column(
    policy: Any, policy_data: dict[str, Any], frozen: Any, tmp_path: Path
) -> None:
    member = policy_data["retention"][policy_data["purposes"]["member-management"]["retention"]]
    assert (member["trigger"], member["period"]) == ("contract_end", "P10Y")
    path = _file(
        tmp_path,
        "old.csv",
        "email,last_name,contract_start,contract_end\n"
        "new@example.org,Nys,2019-01-01,\n"
        "gone@example.org,Goris,2005-01-01,2014-06-30\n",  # + 10 years = 30 June 2024: already past
    )
    report = _run(path)
    assert report.refused and report.rejected == 1
    assert [(e["row"], e["column"]) for e in report.as_dict()["errors"]] == [(3, "contract_end")]
    assert "--accept-expired" in report.errors[0].message
    assert not DataItem.objects.exists()
    partial = _run(path, partial=True)
    assert partial.imported == 1 and not DataItem.objects.filter(value="gone@example.org").exists()


@pytest.mark.django_db
def test_accept_expired_imports_them_and_the_sweep_removes_them(
    policy: Any, frozen: Any, tmp_path: Path
) -> None:
    from tutela.retention.sweep import retention_sweep

    path = _file(
        tmp_path,
        "old.csv",
        "email,last_name,contract_start,contract_end\ngone@example.org,Goris,2005-01-01,2014-06-30\n",
    )
    report = _run(path, accept_expired=True)
    assert report.imported == 1 and [e.row for e in report.expired] == [2]
    assert report.as_dict()["expired"][0]["column"] == "contract_end"
    # before issue 16 the import time was the anchor: kept until 2036
    retention_sweep(principal=SYSTEM)
    assert not DataItem.objects.filter(status__in=["active", "archived"]).exists()


@pytest.mark.django_db
def test_a_prospect_last_interested_in_2024_is_not_kept_another_year(
    policy: Any, policy_data: dict[str, Any], frozen: Any, tmp_path: Path
) -> None:
    rule = policy_data["retention"][policy_data["purposes"]["prospecting"]["retention"]]
    assert (rule["trigger"], rule["period"]) == ("last_interest", "P1Y")
    path = _file(tmp_path, "p.csv", "email,last_name,last_interest_at\npia@example.org,Peeters,2024-05-02\n")
    refused = _run(path, subject_type="prospect", source="data-provider")
    assert refused.refused and refused.errors[0].field == "last_interest_at"
    recent = _file(tmp_path, "r.csv", "email,last_name,last_interest_at\nrik@example.org,Roels,2026-05-02\n")
    assert _run(recent, subject_type="prospect", source="data-provider").imported == 1


@pytest.mark.django_db
def test_only_the_default_purposes_are_attached(
    policy: Any, policy_data: dict[str, Any], frozen: Any, tmp_path: Path
) -> None:
    declared = policy_data["subject_types"]["member"]["collected_for"]
    _run(_file(tmp_path, "m.csv", "email,last_name\nann@example.org,Aerts\n"))
    email = DataItem.objects.get(category="user.contact.email")
    expected = [
        p
        for p in declared
        if "user.contact.email" in policy_data["purposes"][p]["categories"]
        and "direct" in policy_data["purposes"][p].get("sources", ["direct"])
    ]
    assert email.purposes == expected and "subsidies-ip" not in email.purposes


@pytest.mark.django_db
def test_a_national_number_gets_no_purpose_the_member_was_not_collected_for(
    policy: Any, policy_data: dict[str, Any], frozen: Any, tmp_path: Path
) -> None:
    # the case: subsidies (20 years, then the archive) attached because it could use the number
    member_uses = {
        c
        for p in policy_data["subject_types"]["member"]["collected_for"]
        for c in policy_data["purposes"][p]["categories"]
    }
    assert NN not in member_uses
    path = _file(tmp_path, "nn.csv", "email,national_number\nann@example.org,85.07.30-033.28\n")
    with pytest.raises(Exception) as refused:
        _run(path)
    assert "national_number" in str(getattr(refused.value, "errors", refused.value))
    assert not DataItem.objects.exists()


@pytest.mark.django_db
def test_a_mapping_names_the_purposes_of_a_column(policy: Any, frozen: Any, tmp_path: Path) -> None:
    path = _file(tmp_path, "nn.csv", "E-mail,NISS\nann@example.org,85.07.30-033.28\n")
    mapping = _file(
        tmp_path,
        "map.yaml",
        "columns:\n  E-mail: email\n  NISS:\n    target: national_number\n    purposes: [subsidies-ip]\n",
    )
    report = _run(path, mapping_file=mapping)
    assert report.imported == 1, report.errors
    assert DataItem.objects.get(category=NN).purposes == ["subsidies-ip"]
    # a purpose the policy does not allow for the column is refused, naming the mapping's line
    bad = _file(
        tmp_path,
        "bad.yaml",
        "columns:\n  E-mail: email\n  NISS:\n    target: national_number\n    purposes: [newsletter]\n",
    )
    with pytest.raises(Exception) as refused:
        _run(path, mapping_file=bad)
    errors = refused.value.errors  # type: ignore[attr-defined]
    assert any(e.file == "bad.yaml" and e.line == 5 and "newsletter" in e.message for e in errors)


@pytest.mark.django_db
def test_a_rectification_keeps_the_collection_date(policy: Any, frozen: Any) -> None:
    from tests.factories.subjects import DataItemFactory
    from tutela.subjects.services import item_rectify

    collected = dt.datetime(2018, 3, 1, 12, tzinfo=clock.BRUSSELS)
    item = DataItemFactory(
        category="user.contact.address.street",
        value="Rue A 1",
        collected_at=collected,
        purposes=["accounting"],
    )
    item_rectify(item_id=item.pk, value="Rue B 2", source="direct", principal=SYSTEM)
    item.refresh_from_db()
    assert item.value == "Rue B 2" and item.collected_at == collected


def test_import_cli_accepts_expired_rows_only_when_told(cli: Any, tmp_path: Path) -> None:
    assert cli("init").returncode == 0
    path = _file(
        tmp_path,
        "old.csv",
        "email,last_name,contract_start,contract_end\ngone@example.org,Goris,2005-01-01,2014-06-30\n",
    )
    base = ["import", str(path), "--controller", "crm-asbl", "--subject-type", "member", "--source", "direct"]
    refused = cli(*base, "--json")
    assert refused.returncode == 2
    assert refused.json()["errors"][0]["row"] == 2 and refused.json()["errors"][0]["column"] == "contract_end"
    accepted = cli(*base, "--accept-expired", "--json")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert accepted.json()["imported"] == 1 and accepted.json()["expired"][0]["row"] == 2
