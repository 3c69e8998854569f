"""One rule for the breach register on the pages and in the API: the DPO, privacy officers and auditors read
it (with the reporters' details); whoever may write (not an auditor) reports a breach."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories.breaches import report
from tests.web.conftest import login
from tutela.accounts.principal import CLI
from tutela.accounts.services import token_create
from tutela.breaches.models import Breach

pytestmark = pytest.mark.django_db

FORM = {
    "incident_type": "loss_or_theft",
    "description": "A laptop with the member list was stolen from a car.",
    "people_concerned": "12",
    "reporter_name": "Jan Peeters",
    "reporter_address": "Membership department",
    "reporter_phone": "+32 2 555 01 02",
}


def _api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(principal=CLI, user=user, name='t')}")


def test_an_auditor_reads_the_register_but_does_not_report(client: Any, make_staff: Any) -> None:
    breach = report(controller="crm-asbl")
    user, password, device = make_staff("auditor")
    login(client, user.username, password, device)
    assert client.get("/staff/breaches/").status_code == 200
    assert client.get(f"/staff/breaches/{breach.pk}/").status_code == 200
    assert client.get("/staff/breaches/new/").status_code == 403
    assert client.post("/staff/breaches/new/", FORM).status_code == 403
    assert Breach.objects.count() == 1
    assert "Report a breach" not in client.get("/staff/").content.decode()
    # the API says the same
    assert _api(user).get("/api/v1/breaches/").status_code == 200


def test_entity_staff_report_but_do_not_read_the_register(client: Any, make_staff: Any) -> None:
    own = report(controller="crm-asbl")
    user, password, device = make_staff("staff", controller="crm-asbl")
    login(client, user.username, password, device)
    assert client.get("/staff/breaches/").status_code == 403
    assert client.get(f"/staff/breaches/{own.pk}/").status_code == 403
    home = client.get("/staff/").content.decode()
    assert own.reporter_name not in home and f"B-{own.pk}" not in home
    r = client.post("/staff/breaches/new/", FORM)
    assert r.status_code == 302 and r["Location"] == "/staff/"
    assert Breach.objects.filter(reporter_name="Jan Peeters").exists()
    # the API says the same
    assert _api(user).get("/api/v1/breaches/").status_code == 403
