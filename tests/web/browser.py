"""Playwright helpers for the browser journeys: Debian's chromium, screenshots, a staff login with TOTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.conftest import current_totp

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def new_page(chromium: Any, *, locale: str = "en-GB", viewport: dict[str, int] | None = None) -> Any:
    context = chromium.new_context(locale=locale, viewport=viewport or DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def shot(page: Any, name: str) -> None:
    """A full-page screenshot at the page's current width, and the same page at 375 px."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SHOTS / f"{name}-375.png"), full_page=True)
    # nothing sticks out sideways on a phone
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{name}: {overflow}px of horizontal overflow at 375 px"
    page.set_viewport_size(size)


def staff_login(page: Any, base: str, username: str, password: str, device: Any) -> None:
    page.goto(f"{base}/staff/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Six-digit code from your authenticator app").fill(current_totp(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base}/staff/")
