"""Numbers in addresses and forms: a superscript digit ("²" passes str.isdigit() but not int()) or a number
too large for the database is "not found" or "bad input", never a server error."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.breaches import report
from tests.factories.rights import open_request

pytestmark = pytest.mark.django_db

SUPERSCRIPT = "%C2%B2"  # "²", percent-encoded as a browser sends it
HUGE = "9" * 30


@pytest.mark.parametrize("bad", [SUPERSCRIPT, HUGE])
def test_public_pages_answer_404(client: Any, policy: Any, bad: str) -> None:
    assert client.get(f"/en/policy/diff/?a={bad}&b=1").status_code == 404
    assert client.get(f"/en/policy/diff/?a=1&b={bad}").status_code == 404
    assert client.get(f"/en/requests/verify/{bad}/").status_code == 404
    assert client.post(f"/en/requests/verify/{bad}/", {"code": "123456"}).status_code == 404


@pytest.mark.parametrize("bad", [SUPERSCRIPT, HUGE])
def test_staff_pages_answer_404(staff_client: Any, bad: str) -> None:
    assert staff_client.get(f"/staff/requests/{bad}/").status_code == 404
    assert staff_client.post(f"/staff/requests/{bad}/verify/", {"version": "1"}).status_code == 404
    assert staff_client.get(f"/staff/breaches/{bad}/").status_code == 404
    assert staff_client.post(f"/staff/breaches/{bad}/investigate/").status_code == 404


@pytest.mark.parametrize("bad", ["²", HUGE])
def test_a_bad_version_number_is_no_server_error(staff_client: Any, bad: str) -> None:
    req = open_request("access", "someone@example.org", verified=False)
    report()
    r = staff_client.post(f"/staff/requests/{req.pk}/verify/", {"version": bad, "method": "staff"})
    assert r.status_code == 302


def test_a_superscript_login_code_is_refused_as_input(client: Any, make_staff: Any) -> None:
    user, password, _ = make_staff("dpo")
    r = client.post("/staff/login/", {"username": user.username, "password": password, "next": "/staff/"})
    assert r.status_code == 302
    r = client.post("/staff/verify/", {"token": "²²²²²²", "next": "/staff/"})
    assert r.status_code == 200 and "digits only" in r.content.decode()
    assert client.get("/staff/").status_code == 302  # still not logged in
