"""Staff login with a second factor, lockout, headers and the promise that strangers see nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.web.conftest import current_totp, login

pytestmark = pytest.mark.django_db


def test_staff_redirects_strangers_to_login(client: Any, policy: Any) -> None:
    for path in ("/staff/", "/staff/requests/", "/staff/people/", "/staff/breaches/", "/staff/breaches/new/"):
        r = client.get(path)
        assert r.status_code == 302, path
        assert r["Location"].startswith("/staff/login/?next="), path


def test_admin_sends_strangers_to_the_staff_login(client: Any, policy: Any) -> None:
    r = client.get("/admin/", follow=True)
    assert r.redirect_chain[-1][0].startswith("/staff/login/")


def test_password_alone_opens_nothing(client: Any, make_staff: Any) -> None:
    user, password, _device = make_staff("dpo")
    r = client.post("/staff/login/", {"username": user.username, "password": password})
    assert r.status_code == 302 and r["Location"].startswith("/staff/verify/")
    # between the two steps the session is not logged in: staff pages, the admin and the API refuse it
    assert client.get("/staff/")["Location"].startswith("/staff/login/")
    assert client.get("/admin/").status_code == 302
    assert client.get("/api/v1/requests/").status_code in (401, 403, 404)


def test_login_with_totp_opens_the_dashboard(client: Any, make_staff: Any) -> None:
    user, password, device = make_staff("dpo")
    login(client, user.username, password, device)
    r = client.get("/staff/")
    assert r.status_code == 200
    assert b"Dashboard" in r.content


def test_wrong_code_is_refused(client: Any, make_staff: Any) -> None:
    user, password, device = make_staff("dpo")
    client.post("/staff/login/", {"username": user.username, "password": password})
    good = current_totp(device)
    wrong = "000000" if good != "000000" else "111111"
    r = client.post("/staff/verify/", {"token": wrong})
    assert r.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_first_login_enrols_a_device_with_a_qr_code(client: Any, make_staff: Any) -> None:
    """With the DPO's enrolment link (tests/web/test_login_enrolment.py: never with a password alone)."""
    from tutela.accounts.enrolment import ENROL_PATH, enrolment_issue
    from tutela.accounts.principal import CLI

    user, password, _ = make_staff("dpo", enrol=False)
    issued = enrolment_issue(principal=CLI, username=user.username)
    client.get(f"{ENROL_PATH}{issued.code}/")
    client.post("/staff/login/", {"username": user.username, "password": password})
    r = client.get("/staff/verify/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    r = client.post("/staff/verify/", {"token": current_totp(device), "next": "/staff/"})
    assert r.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/staff/").status_code == 200
    from tutela.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="staff.otp_enrol").exists()


def test_repeated_failures_lock_the_account(client: Any, make_staff: Any, settings: Any) -> None:
    user, password, _ = make_staff("dpo")
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        client.post("/staff/login/", {"username": user.username, "password": "wrong password!"})
    r = client.post("/staff/login/", {"username": user.username, "password": password})
    assert r.status_code == 429
    assert "_auth_user_id" not in client.session


def test_account_without_role_is_forbidden(client: Any, policy: Any) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("nobody", password="a long password 123")
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    login(client, "nobody", "a long password 123", device)
    assert client.get("/staff/").status_code == 403


def test_logout_needs_post_and_ends_the_session(staff_client: Any) -> None:
    assert staff_client.get("/staff/logout/").status_code == 405
    assert staff_client.post("/staff/logout/").status_code == 302
    assert staff_client.get("/staff/").status_code == 302


def test_next_cannot_point_elsewhere(client: Any, make_staff: Any) -> None:
    user, password, device = make_staff("dpo")
    client.post("/staff/login/?next=https://evil.example/", {"username": user.username, "password": password})
    r = client.post("/staff/verify/", {"token": current_totp(device), "next": "https://evil.example/"})
    assert r["Location"] == "/staff/"


def test_security_headers_on_every_page(client: Any, policy: Any) -> None:
    for path in ("/en/", "/policy/", "/staff/login/"):
        r = client.get(path)
        csp = r["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert r["X-Frame-Options"] == "DENY"
        assert r["X-Content-Type-Options"] == "nosniff"
        assert r["Referrer-Policy"] == "same-origin"


def test_pages_carry_no_inline_script_or_style(client: Any, staff_client: Any, policy: Any) -> None:
    import re

    pages = [
        client.get(p) for p in ("/en/", "/fr/policy/", "/nl/rights/", "/en/newsletter/", "/staff/login/")
    ]
    pages.append(staff_client.get("/staff/"))
    for r in pages:
        html = r.content.decode()
        assert " style=" not in html and "<style" not in html
        for script in re.findall(r"<script[^>]*>", html):
            assert "src=" in script


def test_forms_need_csrf(policy: Any) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/staff/login/", {"username": "x", "password": "y"}).status_code == 403
    assert strict.post("/en/newsletter/", {"email": "a@example.org"}).status_code == 403
    assert strict.post("/en/rights/access/", {"email": "a@example.org"}).status_code == 403


def test_verified_dpo_reaches_the_admin_registers(staff_client: Any) -> None:
    assert staff_client.get("/admin/").status_code == 200


def test_staff_of_one_entity_do_not_read_the_breach_register(
    client: Any, make_staff: Any, policy: Any
) -> None:
    """As in the API: the register (with the reporters' details) is for the DPO, privacy officers and
    auditors; entity staff report breaches but read none, not even their own entity's."""
    from tests.factories.breaches import report

    mine, other = list(policy.controllers)[:2]
    report(controller=other, summary="Other entity's incident")
    report(controller=mine, summary="Our own incident")
    staff, password, device = make_staff("staff", controller=mine)
    login(client, staff.username, password, device)
    assert client.get("/staff/breaches/").status_code == 403
    html = client.get("/staff/").content.decode()
    assert "Our own incident" not in html and "Other entity" not in html
