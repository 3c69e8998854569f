"""`tutela user bootstrap|create|enrol`: the password and a one-time enrolment link, only its hash stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

LINK = re.compile(r"^http://127\.0\.0\.1:8000/staff/enrol/([A-Za-z0-9_-]{40,})/$")


def _db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "tutela.sqlite3")


def _code(url: str) -> str:
    found = LINK.match(url)
    assert found, url
    return found.group(1)


@pytest.fixture
def initialised(cli: Any) -> Any:
    r = cli("init", "--json")
    assert r.returncode == 0, r.stderr
    return cli


def test_bootstrap_prints_the_password_and_a_one_time_link(initialised: Any, tutela_home: Path) -> None:
    cli = initialised
    r = cli("user", "bootstrap", "--json")
    assert r.returncode == 0, r.stderr
    data = r.json()
    assert data["created"] is True and data["username"] == "dpo" and len(data["password"]) >= 12
    code = _code(data["enrolment_url"])
    expires = dt.datetime.fromisoformat(data["enrolment_expires_at"])
    hours = (expires - dt.datetime.now(dt.UTC)).total_seconds() / 3600
    assert 23.9 < hours <= 24  # TUTELA_ENROLMENT_HOURS' default
    with _db(tutela_home) as db:
        rows = db.execute("SELECT * FROM tutela_enrolment_token").fetchall()
        assert len(rows) == 1
        (stored,) = db.execute("SELECT token_hash FROM tutela_enrolment_token").fetchone()
        assert stored == hashlib.sha256(code.encode()).hexdigest()
        assert code not in repr(rows)
        actors = db.execute(
            "SELECT actor FROM tutela_audit_entry WHERE action = 'staff.enrolment_issue'"
        ).fetchall()
        assert len(actors) == 1 and actors[0][0].startswith("cli")


def test_bootstrap_in_text_shows_both_for_a_newcomer(initialised: Any) -> None:
    r = initialised("user", "bootstrap", env={"TUTELA_ADMIN_PASSWORD": ""})
    assert r.returncode == 0, r.stderr
    assert re.search(r"user 'dpo', password \S{12,}", r.stdout), r.stdout
    assert re.search(r"http://127\.0\.0\.1:8000/staff/enrol/[A-Za-z0-9_-]{40,}/", r.stdout), r.stdout


def test_bootstrap_again_before_enrolment_replaces_the_link(initialised: Any, tutela_home: Path) -> None:
    cli = initialised
    first = cli("user", "bootstrap", "--json").json()
    again = cli("user", "bootstrap", "--json")
    assert again.returncode == 0
    data = again.json()
    assert data["created"] is False and "password" not in data
    assert _code(data["enrolment_url"]) != _code(first["enrolment_url"])
    with _db(tutela_home) as db:
        states = db.execute(
            "SELECT token_hash, revoked_at IS NOT NULL FROM tutela_enrolment_token ORDER BY id"
        ).fetchall()
    first_hash = hashlib.sha256(_code(first["enrolment_url"]).encode()).hexdigest()
    assert states[0] == (first_hash, 1)
    assert states[1][1] == 0


def test_enrol_gives_a_link_and_its_code(initialised: Any) -> None:
    cli = initialised
    cli("user", "bootstrap", "--json")
    r = cli("user", "enrol", "dpo", "--json")
    assert r.returncode == 0, r.stderr
    data = r.json()
    assert set(data) == {"username", "enrolment_url", "enrolment_code", "enrolment_expires_at"}
    assert _code(data["enrolment_url"]) == data["enrolment_code"]
    text = cli("user", "enrol", "dpo")
    assert text.returncode == 0 and "/staff/enrol/" in text.stdout


def test_enrol_names_what_is_wrong(initialised: Any) -> None:
    r = initialised("user", "enrol", "nobody", "--json")
    assert r.returncode == 2
    assert r.json() == {"error": "no account named 'nobody'"}
    assert "no account named 'nobody'" in r.stderr


def test_create_prints_the_password_and_a_link(initialised: Any) -> None:
    r = initialised("user", "create", "alice", "--email", "alice@crmgroup.be", "--role", "auditor", "--json")
    assert r.returncode == 0, r.stderr
    data = r.json()
    assert data["username"] == "alice" and data["role"] == "auditor" and data["password"]
    _code(data["enrolment_url"])


def test_list_tells_who_has_no_authenticator_yet(initialised: Any) -> None:
    cli = initialised
    cli("user", "bootstrap", "--json")
    r = cli("user", "list", "--json")
    assert r.returncode == 0, r.stderr
    assert r.json() == [
        {"username": "dpo", "role": "dpo", "controller": "", "active": True, "authenticator": False}
    ]
    assert "no authenticator" in cli("user", "list").stdout


@pytest.mark.django_db
def test_list_marks_enrolled_accounts(make_staff: Any, capsys: Any) -> None:
    import json

    from django.core.management import call_command

    with_app, _, _ = make_staff("dpo")
    without, _, _ = make_staff("auditor", enrol=False)
    call_command("user", "list", "--json")
    rows = {row["username"]: row["authenticator"] for row in json.loads(capsys.readouterr().out)}
    assert rows == {with_app.username: True, without.username: False}
