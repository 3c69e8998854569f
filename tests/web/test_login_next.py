"""After the two login steps, staff land where they were going: the target travels encoded (a query string
with several parameters survives) and is always a path on this site."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.conftest import current_totp

pytestmark = pytest.mark.django_db


def _through_both_steps(client: Any, make_staff: Any, target: str) -> tuple[str, str]:
    user, password, device = make_staff("dpo")
    r = client.post("/staff/login/", {"username": user.username, "password": password, "next": target})
    assert r.status_code == 302
    step_two = r["Location"]
    assert urlsplit(step_two).path == "/staff/verify/"
    carried = parse_qs(urlsplit(step_two).query)["next"]
    assert len(carried) == 1
    r = client.post(step_two, {"token": current_totp(device)})
    assert r.status_code == 302
    return carried[0], r["Location"]


def test_a_target_with_several_parameters_survives(client: Any, make_staff: Any) -> None:
    target = "/staff/requests/?show=overdue&page=2"
    carried, final = _through_both_steps(client, make_staff, target)
    assert carried == target and final == target


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("https://evil.example/staff/", "/staff/"),
        ("//evil.example/staff/", "/staff/"),
        ("http://testserver/staff/people/?q=1", "/staff/people/?q=1"),
        ("javascript:alert(1)", "/staff/"),
    ],
)
def test_targets_stay_on_this_site(client: Any, make_staff: Any, target: str, landing: str) -> None:
    _, final = _through_both_steps(client, make_staff, target)
    assert final == landing
