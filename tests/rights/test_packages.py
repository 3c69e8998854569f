"""Packages on disk: written only when the fulfilment commits, deleted with the person, expired after
TUTELA_PACKAGE_DAYS by `tutela rights purge-packages`."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import pytest
import time_machine

from tests.factories.rights import member, open_request
from tests.rights.test_cli import home  # noqa: F401  (the CLI fixture with imported members)
from tutela.accounts.principal import CLI
from tutela.rights.fulfil import request_fulfil
from tutela.rights.models import RightsRequest


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def exports(settings: Any, tmp_path: Path) -> Path:
    settings.TUTELA_EXPORT_DIR = tmp_path / "exports"
    return settings.TUTELA_EXPORT_DIR  # type: ignore[no-any-return]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["access", "portability"])
def test_a_rolled_back_fulfilment_leaves_no_package(
    policy: Any, exports: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    from tutela.rights import letters

    member()
    req = open_request(kind, "marie.dupont@example.be")

    def broken(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("mail template broken")

    monkeypatch.setattr(letters, "send", broken)
    with pytest.raises(RuntimeError):
        request_fulfil(request_id=req.pk, principal=CLI)
    assert _files(exports) == []  # neither the package nor its temporary file
    assert RightsRequest.objects.get(pk=req.pk).status == "in_progress"
    monkeypatch.undo()
    request_fulfil(request_id=req.pk, principal=CLI)
    assert _files(exports) == [f"request-{req.pk}-{kind}.zip"]
    with zipfile.ZipFile(exports / f"request-{req.pk}-{kind}.zip") as zf:
        assert "data.json" in zf.namelist()


@pytest.mark.django_db(transaction=True)
def test_erasure_deletes_the_persons_packages(policy: Any, exports: Path) -> None:
    from tests.factories.rights import prospect

    prospect()
    access = open_request("access", "jan.peeters@example.be")
    request_fulfil(request_id=access.pk, principal=CLI)
    package = exports / f"request-{access.pk}-access.zip"
    assert package.exists()
    erasure = open_request("erasure", "jan.peeters@example.be")
    assert request_fulfil(request_id=erasure.pk, principal=CLI).outcome == "granted"
    assert not package.exists()
    assert "package" not in RightsRequest.objects.get(pk=access.pk).details


@pytest.mark.django_db(transaction=True)
def test_packages_expire_after_the_configured_days(policy: Any, exports: Path, settings: Any) -> None:
    from tutela.rights.packages import purge

    settings.TUTELA_PACKAGE_DAYS = 30
    member()
    with time_machine.travel(dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC), tick=False):
        old = open_request("access", "marie.dupont@example.be")
        request_fulfil(request_id=old.pk, principal=CLI)
    with time_machine.travel(dt.datetime(2026, 2, 1, 10, tzinfo=dt.UTC), tick=False):
        recent = open_request("portability", "marie.dupont@example.be")
        request_fulfil(request_id=recent.pk, principal=CLI)
    with time_machine.travel(dt.datetime(2026, 2, 4, 11, tzinfo=dt.UTC), tick=False):  # day 30 + 1
        result = purge(principal=CLI)
    assert (result.expired, result.erased, result.ids) == (1, 0, [old.pk])
    assert _files(exports) == [f"request-{recent.pk}-portability.zip"]


def test_purge_packages_command(home: Any, tutela_home: Path) -> None:  # noqa: F811
    r = home("rights", "open", "access", "marie.dupont@example.be", "--verified", "--json")
    assert r.returncode == 0, r.stderr
    rid = str(r.json()["id"])
    r = home("rights", "fulfil", rid, "--json")
    assert r.returncode == 0, r.stderr
    package = tutela_home / "exports" / f"request-{rid}-access.zip"
    assert package.exists()
    r = home("rights", "purge-packages", "--json")  # default 30 days: nothing is old yet
    assert r.returncode == 0 and r.json()["expired"] == 0 and package.exists()
    r = home("rights", "purge-packages", "--days", "0", "--json")
    assert r.returncode == 0, r.stderr
    body = r.json()
    assert set(body) == {"expired", "erased", "strays", "requests", "days"}
    assert body["expired"] == 1 and body["requests"] == [int(rid)] and not package.exists()
    bad = home("rights", "purge-packages", "--days", "-1")
    assert bad.returncode == 2 and "--days" in bad.stderr
