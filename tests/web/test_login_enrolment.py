"""Enrolling an authenticator needs a one-time, expiring link from the DPO: a password alone enrols nothing.

Regression (issue 15 §3): the first login of any account, the bootstrap DPO's included, let whoever knew
the password register their own authenticator.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.web.conftest import current_totp, login
from tutela.accounts.principal import CLI, Principal

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"


def _issue(username: str, principal: Principal = CLI, reset: bool = False) -> Any:
    from tutela.accounts.enrolment import enrolment_issue

    return enrolment_issue(principal=principal, username=username, reset=reset)


def _path(url: str) -> str:
    found = re.search(r"(/staff/enrol/[^/]+/)$", url)
    assert found, url
    return found.group(1)


def _password_step(client: Client, username: str, password: str = PASSWORD) -> None:
    r = client.post("/staff/login/", {"username": username, "password": password, "next": "/staff/"})
    assert r.status_code == 302 and r["Location"].startswith("/staff/verify/"), r.status_code


def _actions(action: str) -> list[Any]:
    from tutela.core.models import AuditEntry

    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def test_a_password_alone_shows_no_seed_and_enrols_nothing(client: Client, make_staff: Any) -> None:
    user, password, _ = make_staff("dpo", enrol=False)
    _password_step(client, user.username, password)
    r = client.get("/staff/verify/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "data:image/svg+xml" not in html and 'id="totp-secret"' not in html
    assert "enrolment_code" in html  # it asks for the DPO's enrolment code instead
    assert not TOTPDevice.objects.filter(user=user).exists()
    # a code posted without an enrolment (there is no device, so any six digits) opens nothing
    r = client.post("/staff/verify/", {"token": "123456", "next": "/staff/"})
    assert r.status_code in (200, 400)
    assert client.get("/staff/").status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not _actions("staff.otp_enrol")


def test_the_link_then_the_password_enrols_once(client: Client, make_staff: Any) -> None:
    from tutela.accounts.models import EnrolmentToken

    user, password, _ = make_staff("staff", controller="crm-asbl", enrol=False)
    issued = _issue(user.username)
    code = issued.url.rstrip("/").rsplit("/", 1)[1]
    assert code == issued.code

    # only the SHA-256 of the code is stored, nowhere the code itself
    row = EnrolmentToken.objects.get(user=user)
    assert row.token_hash == hashlib.sha256(code.encode()).hexdigest()
    assert code not in repr(list(EnrolmentToken.objects.values()))

    r = client.get(_path(issued.url))
    assert r.status_code == 302 and r["Location"] == "/staff/login/"
    assert "enrolment link is valid" in client.get("/staff/login/").content.decode()
    _password_step(client, user.username, password)
    r = client.get("/staff/verify/")
    html = r.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html and 'id="totp-secret"' in html
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    # the key shown is the device's seed, in base32
    import base64

    assert base64.b32encode(device.bin_key).decode() in html

    r = client.post("/staff/verify/", {"token": current_totp(device), "next": "/staff/"})
    assert r.status_code == 302 and r["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    row.refresh_from_db()
    assert row.used_at is not None

    issued_entry = _actions("staff.enrolment_issue")[-1]
    assert issued_entry.actor == "cli" and issued_entry.object_id == str(user.pk)
    assert code not in str(issued_entry.payload)
    enrol_entry = _actions("staff.otp_enrol")[-1]
    assert enrol_entry.actor == f"user:{user.username}"
    assert enrol_entry.payload["enrolment"] == row.pk

    # the link is spent: it opens nothing, for anyone
    again = Client()
    assert again.get(_path(issued.url)).status_code == 404


def test_the_code_can_be_pasted_instead_of_opening_the_link(client: Client, make_staff: Any) -> None:
    user, password, _ = make_staff("auditor", enrol=False)
    issued = _issue(user.username)
    _password_step(client, user.username, password)
    r = client.post("/staff/verify/", {"enrolment_code": issued.code, "next": "/staff/"})
    assert r.status_code == 302
    r = client.get(r["Location"])
    assert 'id="totp-secret"' in r.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    r = client.post("/staff/verify/", {"token": current_totp(device), "next": "/staff/"})
    assert r["Location"] == "/staff/"
    assert TOTPDevice.objects.get(pk=device.pk).confirmed


def test_the_whole_link_can_be_pasted_as_the_code(client: Client, make_staff: Any) -> None:
    user, password, _ = make_staff("dpo", enrol=False)
    issued = _issue(user.username)
    _password_step(client, user.username, password)
    r = client.post("/staff/verify/", {"enrolment_code": f"  {issued.url} ", "next": "/staff/"})
    assert r.status_code == 302
    assert 'id="totp-secret"' in client.get(r["Location"]).content.decode()


def test_a_wrong_pasted_code_is_refused(client: Client, make_staff: Any) -> None:
    user, password, _ = make_staff("dpo", enrol=False)
    _password_step(client, user.username, password)
    r = client.post("/staff/verify/", {"enrolment_code": "not-a-code", "next": "/staff/"})
    assert r.status_code == 400
    assert "not valid" in r.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_an_expired_link_opens_nothing(client: Client, make_staff: Any, settings: Any) -> None:
    from tutela.core import clock

    user, password, _ = make_staff("dpo", enrol=False)
    issued = _issue(user.username)
    hours = settings.TUTELA_ENROLMENT_HOURS
    assert issued.expires_at == pytest.approx(
        clock.now() + dt.timedelta(hours=hours), abs=dt.timedelta(minutes=1)
    )
    with time_machine.travel(clock.now() + dt.timedelta(hours=hours, minutes=1), tick=False):
        r = client.get(_path(issued.url))
        assert r.status_code == 404
        assert "expired" in r.content.decode()
        _password_step(client, user.username, password)
        r = client.post("/staff/verify/", {"enrolment_code": issued.code})
        assert r.status_code == 400
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_a_link_expiring_during_enrolment_confirms_nothing(
    client: Client, make_staff: Any, settings: Any
) -> None:
    from tutela.core import clock

    user, password, _ = make_staff("dpo", enrol=False)
    issued = _issue(user.username)
    client.get(_path(issued.url))
    _password_step(client, user.username, password)
    client.get("/staff/verify/")
    device = TOTPDevice.objects.get(user=user)
    from tutela.accounts.models import EnrolmentToken

    # the link runs out between the QR code and the first code
    EnrolmentToken.objects.filter(user=user).update(expires_at=clock.now() - dt.timedelta(seconds=1))
    r = client.post("/staff/verify/", {"token": current_totp(device), "next": "/staff/"})
    assert r.status_code == 400
    assert client.get("/staff/").status_code == 302
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_a_newer_link_replaces_the_older_one(client: Client, make_staff: Any) -> None:
    user, _password, _ = make_staff("dpo", enrol=False)
    first = _issue(user.username)
    second = _issue(user.username)
    assert client.get(_path(first.url)).status_code == 404
    assert client.get(_path(second.url)).status_code == 302


def test_a_link_works_only_with_its_own_account(client: Client, make_staff: Any) -> None:
    victim, _, _ = make_staff("dpo", enrol=False)
    other, other_password, _ = make_staff("staff", controller="crm-asbl", enrol=False)
    issued = _issue(victim.username)
    client.get(_path(issued.url))
    _password_step(client, other.username, other_password)
    r = client.get("/staff/verify/")
    assert 'id="totp-secret"' not in r.content.decode()
    assert not TOTPDevice.objects.filter(user__in=[victim, other]).exists()
    r = client.post("/staff/verify/", {"enrolment_code": issued.code})
    assert r.status_code == 400


def test_an_unknown_link_opens_nothing(client: Client, policy: Any) -> None:
    r = client.get("/staff/enrol/" + "A" * 43 + "/")
    assert r.status_code == 404
    assert "tutela_enrolment" not in client.session


def test_a_seed_shown_before_the_link_is_not_the_one_enrolled(client: Client, make_staff: Any) -> None:
    """A device left unconfirmed (its seed shown to someone) is thrown away when an enrolment starts."""
    user, password, _ = make_staff("dpo", enrol=False)
    stale = TOTPDevice.objects.create(user=user, name="seen by someone", confirmed=False)
    issued = _issue(user.username)
    client.get(_path(issued.url))
    _password_step(client, user.username, password)
    client.get("/staff/verify/")
    assert not TOTPDevice.objects.filter(pk=stale.pk).exists()
    shown = TOTPDevice.objects.get(user=user)
    assert shown.bin_key != stale.bin_key
    stale_code = current_totp(stale)
    if stale_code not in {current_totp(shown, offset) for offset in (-1, 0, 1)}:  # (a one-in-a-million tie)
        r = client.post("/staff/verify/", {"token": stale_code, "next": "/staff/"})
        assert r.status_code == 400
        assert client.get("/staff/").status_code == 302


def test_only_the_dpo_issues_links(make_staff: Any) -> None:
    from tutela.accounts.principal import principal_for_user
    from tutela.core.errors import PermissionDenied

    target, _, _ = make_staff("staff", controller="crm-asbl", enrol=False)
    for role in ("privacy_officer", "staff", "auditor"):
        user, _, _ = make_staff(role, controller="crm-asbl" if role == "staff" else "")
        principal = principal_for_user(user)
        assert principal is not None
        with pytest.raises(PermissionDenied):
            _issue(target.username, principal=principal)
    assert not _actions("staff.enrolment_issue")


def test_an_enrolled_account_gets_a_link_only_with_reset(client: Client, make_staff: Any) -> None:
    from tutela.core.errors import InvalidInput

    user, password, device = make_staff("dpo")
    with pytest.raises(InvalidInput, match="--reset"):
        _issue(user.username)
    issued = _issue(user.username, reset=True)
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()  # the lost phone no longer logs in
    assert _actions("staff.enrolment_issue")[-1].payload["devices_removed"] == 1
    client.get(_path(issued.url))
    _password_step(client, user.username, password)
    assert 'id="totp-secret"' in client.get("/staff/verify/").content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    r = client.post("/staff/verify/", {"token": current_totp(device), "next": "/staff/"})
    assert r["Location"] == "/staff/"


def test_the_staff_client_fixture_still_logs_in(client: Client, make_staff: Any) -> None:
    user, password, device = make_staff("dpo")
    login(client, user.username, password, device)
    assert client.get("/staff/").status_code == 200


@pytest.mark.parametrize(
    ("language", "words"),
    [("fr", "Demandez-en un nouveau au DPO"), ("nl", "Vraag de DPO om een nieuwe")],
)
def test_the_enrolment_pages_speak_french_and_dutch(
    client: Client, policy: Any, language: str, words: str
) -> None:
    r = client.get("/staff/enrol/" + "B" * 43 + "/", HTTP_ACCEPT_LANGUAGE=language)
    assert r.status_code == 404
    assert words in r.content.decode()


def test_a_newcomer_logs_in_with_what_bootstrap_printed(client: Client, policy: Any, capsys: Any) -> None:
    """`make run`'s path: `tutela user bootstrap` prints the password and the link; with those two and an
    authenticator app the newcomer reaches the dashboard."""
    import json

    from django.core.management import call_command

    call_command("user", "bootstrap", "--json")
    printed = json.loads(capsys.readouterr().out)
    assert printed["created"] is True
    r = client.get(_path(printed["enrolment_url"]))
    assert r["Location"] == "/staff/login/"
    _password_step(client, printed["username"], printed["password"])
    html = client.get("/staff/verify/").content.decode()
    import base64

    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', html)
    assert secret, html[:2000]
    # the code an authenticator app computes from the key shown (RFC 6238, SHA-1, 30 s, 6 digits)
    import hmac
    import struct
    import time

    key = base64.b32decode(secret.group(1))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 15
    code = str((struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000).zfill(6)
    r = client.post("/staff/verify/", {"token": code, "next": "/staff/"})
    assert r.status_code == 302 and r["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
