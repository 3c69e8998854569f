"""Fixtures for the web tests: staff accounts with a TOTP device, a verified staff client, a clean cache."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _clean_cache(db: Any) -> Any:
    """Rate-limit counters live in the database cache; start every test from zero."""
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def chromium() -> Any:
    """Debian's chromium driven by Playwright, for one test module.

    Playwright's sync API keeps an event loop in the test thread while it runs; the ORM calls of these tests
    stay synchronous and sequential, so Django's guard against async contexts is lifted for the module only
    and Playwright is stopped before any other module runs."""
    import os

    from playwright.sync_api import sync_playwright

    from tests.web.browser import CHROMIUM, CHROMIUM_ARGS

    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


def current_totp(device: Any, offset: int = 0) -> str:
    """The code an authenticator app would show now (RFC 6238), computed from the device key."""

    from django_otp.oath import totp

    return str(
        totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset)
    ).zfill(device.digits)


@pytest.fixture
def make_staff(policy: Any) -> Any:
    """make_staff(role, controller="") -> (user, password, device) with a confirmed TOTP device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tutela.accounts.principal import CLI
    from tutela.accounts.services import staff_create

    counter = {"n": 0}

    def make(role: str = "dpo", controller: str = "", enrol: bool = True) -> tuple[Any, str, Any]:
        counter["n"] += 1
        password = "correct horse battery staple 42"
        user, _ = staff_create(
            principal=CLI,
            username=f"{role}{counter['n']}",
            email=f"{role}{counter['n']}@crmgroup.be",
            role=role,
            controller=controller,
            password=password,
        )
        device = TOTPDevice.objects.create(user=user, name="app", confirmed=True) if enrol else None
        return user, password, device

    return make


@pytest.fixture
def staff_client(client: Any, make_staff: Any) -> Any:
    """A Django test client logged in as the DPO through both factors."""
    user, password, device = make_staff("dpo")
    login(client, user.username, password, device)
    client.user = user
    return client


def login(client: Any, username: str, password: str, device: Any) -> Any:
    r = client.post("/staff/login/", {"username": username, "password": password, "next": "/staff/"})
    assert r.status_code == 302 and r["Location"].startswith("/staff/verify/"), r.status_code
    r = client.post("/staff/verify/", {"token": current_totp(device), "next": "/staff/"})
    assert r.status_code == 302 and r["Location"] == "/staff/", getattr(r, "content", b"")[:500]
    return r
