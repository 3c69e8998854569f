"""Login throttling: per account and address, and per address across user names (issue 15 §3).

Regression: the lockout counted a user name and address together only, so an attacker trying many user
names from one address (each fewer times than the limit) was never stopped.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
OFFICE = "198.51.100.20"


def _try(client: Client, username: str, password: str, ip: str) -> Any:
    return client.post(
        "/staff/login/", {"username": username, "password": password, "next": "/staff/"}, REMOTE_ADDR=ip
    )


def test_many_user_names_from_one_address_lock_the_address(
    client: Client, make_staff: Any, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 5
    settings.TUTELA_AXES_IP_FAILURE_LIMIT = 12
    user, password, _device = make_staff("dpo")
    # 12 failures spread over 6 user names: 2 each, far below the per-account limit of 5
    for n in range(11):
        r = _try(client, f"guess{n % 6}", "not the password", ATTACKER)
        assert r.status_code in (200, 400), (n, r.status_code)
    assert _try(client, "guess5", "not the password", ATTACKER).status_code == 429  # the twelfth locks
    # the address is locked now, even for a real account with its right password
    r = _try(client, user.username, password, ATTACKER)
    assert r.status_code == 429
    assert "tutela_pending_login" not in client.session
    # and for a user name it never tried
    assert _try(Client(), "someone-else", "whatever", ATTACKER).status_code == 429
    # the account itself is not locked: from another address its owner logs in
    office = Client()
    r = _try(office, user.username, password, OFFICE)
    assert r.status_code == 302 and r["Location"].startswith("/staff/verify/")


def test_one_failure_short_of_the_address_limit_is_not_locked(
    client: Client, make_staff: Any, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 5
    settings.TUTELA_AXES_IP_FAILURE_LIMIT = 12
    user, password, _device = make_staff("dpo")
    for n in range(11):
        _try(client, f"guess{n % 6}", "not the password", ATTACKER)
    r = _try(client, user.username, password, ATTACKER)
    assert r.status_code == 302 and r["Location"].startswith("/staff/verify/")


def test_logging_in_to_ones_own_account_does_not_clear_the_address_count(
    client: Client, make_staff: Any, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 5
    settings.TUTELA_AXES_IP_FAILURE_LIMIT = 10
    insider, password, _device = make_staff("staff", controller="crm-asbl")
    for n in range(9):
        _try(client, f"victim{n % 3}", "not the password", ATTACKER)
    # a successful password step of the attacker's own account clears only that account's own failures
    assert _try(Client(), insider.username, password, ATTACKER).status_code == 302
    _try(client, "victim0", "not the password", ATTACKER)
    assert _try(Client(), insider.username, password, ATTACKER).status_code == 429


def test_the_per_account_lockout_still_applies(client: Client, make_staff: Any, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    settings.TUTELA_AXES_IP_FAILURE_LIMIT = 100
    user, password, _device = make_staff("dpo")
    other, other_password, _ = make_staff("auditor")
    for _ in range(3):
        _try(client, user.username, "wrong password!", ATTACKER)
    assert _try(client, user.username, password, ATTACKER).status_code == 429
    # the address is not locked as a whole (3 < 100): another account logs in from it
    r = _try(Client(), other.username, other_password, ATTACKER)
    assert r.status_code == 302 and r["Location"].startswith("/staff/verify/")
