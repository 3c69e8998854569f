"""Staff and second-factor changes made in the admin are in the audit trail, with the real actor.

Regression (issue 15 §3): users, staff profiles (role, entity, purposes, archive access), API tokens and OTP
devices changed through the admin left no audit entry.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from tutela.accounts.models import ApiToken, EnrolmentToken, StaffProfile
from tutela.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _entries(action: str, object_type: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, object_type=object_type).order_by("seq"))


def _actor(client: Any) -> str:
    return f"user:{client.user.username}"


def test_adding_a_user_is_audited_without_the_password(staff_client: Any) -> None:
    secret = "a long and new password 77"
    r = staff_client.post(
        "/admin/auth/user/add/",
        {"username": "newbie", "password1": secret, "password2": secret, "usable_password": "true"},
    )
    assert r.status_code == 302, r.content[:2000]
    user = get_user_model().objects.get(username="newbie")
    (entry,) = _entries("admin.add", "auth.user")
    assert entry.actor == _actor(staff_client)
    assert entry.object_id == str(user.pk)
    assert entry.payload["after"]["username"] == "newbie"
    assert entry.payload["after"]["password"] == "(secret)"
    assert secret not in str(entry.payload) and user.password not in str(entry.payload)


def test_a_password_set_in_the_admin_is_audited(staff_client: Any, make_staff: Any) -> None:
    user, _, _ = make_staff("auditor")
    secret = "another long password 88"
    r = staff_client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": secret, "password2": secret, "usable_password": "true"},
    )
    assert r.status_code == 302, r.content[:2000]
    (entry,) = _entries("admin.change", "auth.user")
    assert entry.actor == _actor(staff_client) and entry.object_id == str(user.pk)
    assert secret not in str(entry.payload)


def test_a_role_change_records_before_and_after(staff_client: Any, make_staff: Any) -> None:
    user, _, _ = make_staff("staff", controller="crm-asbl")
    profile = StaffProfile.objects.get(user=user)
    r = staff_client.post(
        f"/admin/accounts/staffprofile/{profile.pk}/change/",
        {
            "user": user.pk,
            "role": "privacy_officer",
            "controller": "ac-cs",
            "purposes": '["newsletter"]',
            "archive_access": "on",
        },
    )
    assert r.status_code == 302, r.content[:3000]
    (entry,) = _entries("admin.change", "accounts.staffprofile")
    assert entry.actor == _actor(staff_client)
    assert entry.object_id == str(profile.pk)
    changes = entry.payload["changes"]
    assert changes["role"] == {"before": "staff", "after": "privacy_officer"}
    assert changes["controller"] == {"before": "crm-asbl", "after": "ac-cs"}
    assert changes["purposes"] == {"before": [], "after": ["newsletter"]}
    assert changes["archive_access"] == {"before": False, "after": True}
    assert "user" not in changes


def test_api_token_changes_and_deletion_are_audited(staff_client: Any, make_staff: Any) -> None:
    from tutela.accounts.principal import CLI
    from tutela.accounts.services import token_create

    user, _, _ = make_staff("integration", controller="crm-asbl")
    token_create(principal=CLI, user=user, name="newsletter-tool")
    row = ApiToken.objects.get(user=user)
    r = staff_client.post(
        f"/admin/accounts/apitoken/{row.pk}/change/",
        {
            "user": user.pk,
            "name": "renamed",
            "expires_at_0": "",
            "expires_at_1": "",
            "revoked_at_0": "2026-12-01",
            "revoked_at_1": "10:00:00",
        },
    )
    assert r.status_code == 302, r.content[:3000]
    (change,) = _entries("admin.change", "accounts.apitoken")
    assert change.payload["changes"]["name"] == {"before": "newsletter-tool", "after": "renamed"}
    assert change.payload["changes"]["revoked_at"]["before"] is None
    r = staff_client.post(f"/admin/accounts/apitoken/{row.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    (deletion,) = _entries("admin.delete", "accounts.apitoken")
    assert deletion.actor == _actor(staff_client) and deletion.object_id == str(row.pk)
    assert deletion.payload["before"]["token_hash"] == "(secret)"
    assert row.token_hash not in str(deletion.payload)


def test_otp_device_deletions_are_audited_without_the_seed(staff_client: Any, make_staff: Any) -> None:
    one, _, first = make_staff("staff", controller="crm-asbl")
    two, _, second = make_staff("auditor")
    seeds = (first.key, second.key)
    r = staff_client.post(f"/admin/otp_totp/totpdevice/{first.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    # the bulk "delete selected" action too
    r = staff_client.post(
        "/admin/otp_totp/totpdevice/",
        {"action": "delete_selected", "_selected_action": [second.pk], "post": "yes"},
    )
    assert r.status_code == 302
    assert not TOTPDevice.objects.filter(pk__in=[first.pk, second.pk]).exists()
    entries = _entries("admin.delete", "otp_totp.totpdevice")
    assert [e.object_id for e in entries] == [str(first.pk), str(second.pk)]
    assert {e.actor for e in entries} == {_actor(staff_client)}
    assert [e.payload["before"]["user"] for e in entries] == [one.pk, two.pk]
    for seed in seeds:
        assert all(seed not in str(e.payload) for e in entries)


def test_the_enrolment_action_shows_a_link_once_and_audits_it(staff_client: Any, make_staff: Any) -> None:
    user, _, _ = make_staff("staff", controller="crm-asbl", enrol=False)
    r = staff_client.post(
        "/admin/auth/user/", {"action": "issue_enrolment_link", "_selected_action": [user.pk]}
    )
    assert r.status_code == 200
    html = r.content.decode()
    found = re.search(r"/staff/enrol/([A-Za-z0-9_-]{40,})/", html)
    assert found, html[:3000]
    code = found.group(1)
    row = EnrolmentToken.objects.get(user=user)
    assert row.token_hash == hashlib.sha256(code.encode()).hexdigest()
    assert row.issued_by == _actor(staff_client)
    (entry,) = list(AuditEntry.objects.filter(action="staff.enrolment_issue"))
    assert entry.actor == _actor(staff_client) and entry.object_id == str(user.pk)
    assert "no-store" in r["Cache-Control"]


def test_the_enrolment_action_refuses_an_enrolled_account_unless_replacing(
    staff_client: Any, make_staff: Any
) -> None:
    user, _, device = make_staff("auditor")
    r = staff_client.post(
        "/admin/auth/user/", {"action": "issue_enrolment_link", "_selected_action": [user.pk]}
    )
    assert "has an authenticator already" in r.content.decode()
    assert not EnrolmentToken.objects.filter(user=user).exists()
    r = staff_client.post(
        "/admin/auth/user/", {"action": "reset_and_issue_enrolment_link", "_selected_action": [user.pk]}
    )
    assert "/staff/enrol/" in r.content.decode()
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert AuditEntry.objects.get(action="staff.enrolment_issue").payload["reset"] is True


def test_deactivating_a_user_records_before_and_after(staff_client: Any, make_staff: Any) -> None:
    from django.utils import timezone

    user, _, _ = make_staff("auditor")
    joined = timezone.localtime(user.date_joined)
    r = staff_client.post(
        f"/admin/auth/user/{user.pk}/change/",
        {
            "username": user.username,
            "first_name": "",
            "last_name": "",
            "email": user.email,
            "is_staff": "on",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": joined.strftime("%Y-%m-%d"),
            "date_joined_1": joined.strftime("%H:%M:%S"),
        },
    )
    assert r.status_code == 302, r.content[:3000]
    user.refresh_from_db()
    assert not user.is_active
    (entry,) = _entries("admin.change", "auth.user")
    assert entry.actor == _actor(staff_client) and entry.object_id == str(user.pk)
    assert entry.payload["changes"]["is_active"] == {"before": True, "after": False}
    assert "password" not in entry.payload["changes"]


def test_the_admin_never_shows_a_seed_nor_adds_a_device(staff_client: Any, make_staff: Any) -> None:
    """A second factor reaches only its person: the DPO sees and deletes devices, never their keys."""
    import base64

    user, _, device = make_staff("staff", controller="crm-asbl")
    seed_hex = device.key
    seed_b32 = base64.b32encode(device.bin_key).decode()
    pages = [
        staff_client.get("/admin/otp_totp/totpdevice/"),
        staff_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/"),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert seed_hex not in html and seed_b32 not in html and "qrcode" not in html
    assert staff_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
    assert staff_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code == 403
    assert staff_client.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    assert staff_client.get("/admin/otp_static/staticdevice/add/").status_code == 403
    r = staff_client.post(
        "/admin/otp_totp/totpdevice/add/",
        {"user": user.pk, "name": "planted", "key": "00" * 20, "confirmed": "on"},
    )
    assert r.status_code == 403
    assert not TOTPDevice.objects.filter(name="planted").exists()
