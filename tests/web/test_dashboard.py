"""Staff pages through Django's test client: the morning dashboard, request handling, breaches, the
person page with entity scoping and audited reads, and query counts on the list pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from tests.factories.breaches import report
from tests.factories.rights import member, open_request
from tests.web.conftest import login
from tutela.accounts.principal import SYSTEM

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock_now() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_dashboard_lists_requests_by_deadline(staff_client: Any, clock_now: Any) -> None:
    # received 30 Oct 2026 -> due 30 Nov 2026 (one month; a Monday): overdue on 1 Dec
    overdue = open_request(
        "access", "late@example.org", received_at=dt.datetime(2026, 10, 30, 10, tzinfo=dt.UTC)
    )
    # received 1 Nov 2026 (Sunday, a holiday) -> due 1 Dec 2026, a Tuesday: due today
    today = open_request(
        "erasure", "today@example.org", received_at=dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)
    )
    # received 26 Nov -> due 28 Dec (26 Dec is a Saturday, 28 Dec a Monday): 27 days, on time
    calm = open_request(
        "access", "calm@example.org", received_at=dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)
    )
    html = staff_client.get("/staff/").content.decode()
    assert f"R-{overdue.pk}" in html and "1 day late" in html
    assert f"R-{today.pk}" in html and "due today" in html
    assert f"R-{calm.pk}" not in html  # on time: not in "needs attention"
    assert "<svg" in html and "Requests per month by type" in html


def test_request_list_query_count(
    staff_client: Any, clock_now: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(15):
        open_request("access", f"p{i}@example.org")
    with django_assert_max_num_queries(12):
        r = staff_client.get("/staff/requests/")
    assert r.status_code == 200
    assert r.content.decode().count("/staff/requests/") >= 15


def test_dashboard_query_count(staff_client: Any, clock_now: Any, django_assert_max_num_queries: Any) -> None:
    for i in range(10):
        open_request("access", f"p{i}@example.org")
    for _ in range(3):
        report()
    with django_assert_max_num_queries(25):
        assert staff_client.get("/staff/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_staff_verifies_and_fulfils_an_access_request(
    staff_client: Any, smtp_server: Any, clock_now: Any
) -> None:
    person = member("marie@example.be")
    req = open_request(
        "access", "marie@example.be", channel="portal", verified=False, reply_to="marie@example.be"
    )
    r = staff_client.get(f"/staff/requests/{req.pk}/")
    assert r.status_code == 200 and "not verified" in r.content.decode()
    req.refresh_from_db()
    r = staff_client.post(f"/staff/requests/{req.pk}/verify/", {"version": req.version, "method": "staff"})
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.identity_verified_at is not None and req.subject_id == person.pk
    r = staff_client.post(f"/staff/requests/{req.pk}/fulfil/", {"version": req.version}, follow=True)
    assert "the letter is sent" in r.content.decode()
    req.refresh_from_db()
    assert req.status == "answered"
    kinds = [m["X-Tutela-Letter"] for m in smtp_server.wait_for(3)]
    assert "answer" in kinds


def test_stale_version_is_refused_with_a_message(staff_client: Any, clock_now: Any) -> None:
    req = open_request("access", "someone@example.org", verified=False)
    r = staff_client.post(f"/staff/requests/{req.pk}/verify/", {"version": req.version - 1}, follow=True)
    assert "changed by someone else" in r.content.decode()
    req.refresh_from_db()
    assert req.identity_verified_at is None


@pytest.mark.django_db(transaction=True)
def test_breach_report_form_starts_the_clocks(staff_client: Any, clock_now: Any, smtp_server: Any) -> None:
    r = staff_client.post(
        "/staff/breaches/new/",
        {
            "incident_type": "loss_or_theft",
            "description": "A laptop with the member list was stolen from a car.",
            "people_concerned": "120",
            "reporter_name": "Els Martens",
            "reporter_address": "Membership department",
            "reporter_phone": "+32 2 555 01 01",
        },
    )
    assert r.status_code == 302
    page = staff_client.get(r["Location"]).content.decode()
    assert "24 h 00 min left" in page  # investigation: 24 hours from detection (now)
    assert "72 h 00 min left" in page  # authority: 72 hours from awareness (now)
    dashboard = staff_client.get("/staff/").content.decode()
    assert "A laptop with the member list" in dashboard
    # the DPO is alerted by e-mail
    assert smtp_server.wait_for(1)


def test_breach_report_errors_are_shown(staff_client: Any, policy: Any) -> None:
    r = staff_client.post("/staff/breaches/new/", {"incident_type": "other", "description": "short"})
    assert r.status_code == 400
    assert 'id="id_reporter_phone"' in r.content.decode()


def test_breach_register_query_count(
    staff_client: Any, clock_now: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(8):
        report()
    with django_assert_max_num_queries(12):
        r = staff_client.get("/staff/breaches/")
    assert r.content.decode().count("/staff/breaches/") >= 8


def test_person_page_is_audited_and_scoped(client: Any, make_staff: Any, policy: Any) -> None:
    from tutela.core.models import AuditEntry

    person = member("marie@example.be", controller="crm-asbl")
    # the DPO sees the person and the read is audited
    dpo, password, device = make_staff("dpo")
    login(client, dpo.username, password, device)
    r = client.post("/staff/people/", {"identifier": "marie@example.be"})
    assert r.status_code == 302 and str(person.public_id) in r["Location"]
    page = client.get(r["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Marie Dupont" in html and "member-management" in html
    assert AuditEntry.objects.filter(action="subject.read", subject_id=person.pk).exists()
    client.post("/staff/logout/")
    # staff of the other entity find nobody and cannot open the page
    other_controller = next(k for k in policy.controllers if k != "crm-asbl")
    staff, password, device = make_staff("staff", controller=other_controller)
    login(client, staff.username, password, device)
    r = client.post("/staff/people/", {"identifier": "marie@example.be"})
    assert r.status_code == 200 and "Nobody you may see" in r.content.decode()
    assert client.get(f"/staff/people/{person.public_id}/").status_code == 404


def test_auditor_cannot_act(client: Any, make_staff: Any, clock_now: Any) -> None:
    req = open_request("access", "someone@example.org", verified=False)
    auditor, password, device = make_staff("auditor")
    login(client, auditor.username, password, device)
    assert client.get(f"/staff/requests/{req.pk}/").status_code == 200
    assert client.post(f"/staff/requests/{req.pk}/verify/", {"version": req.version}).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_objection_from_the_portal_signed_reasoned_then_decided_by_the_dpo(
    client: Any, staff_client: Any, policy: Any, policy_data: dict[str, Any], smtp_server: Any
) -> None:
    from tutela.rights.models import RightsRequest

    member("marie@example.be")
    # a purpose based on legitimate interest that is not prospecting: the objection needs a DPO decision
    purpose = next(
        k
        for k, p in policy_data["purposes"].items()
        if p["legal_basis"] == "legitimate_interest" and not p.get("direct_marketing")
    )
    from tutela.core import clock

    r = client.post(
        "/en/rights/objection/",
        {
            "email": "marie@example.be",
            "name": "Marie Dupont",
            "details": "I moved abroad and no longer want this.",
            "purpose": purpose,
            "signed_on": clock.today().isoformat(),
            "signature": "Marie Dupont",
            "sign_confirm": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    req = RightsRequest.objects.get()
    assert req.signed_on == clock.today() and req.purpose == purpose
    assert req.details["reasons"].startswith("I moved abroad")
    staff_client.post(f"/staff/requests/{req.pk}/verify/", {"version": req.version})
    req.refresh_from_db()
    page = staff_client.get(f"/staff/requests/{req.pk}/").content.decode()
    assert "Decide the objection" in page
    staff_client.post(
        f"/staff/requests/{req.pk}/decide/",
        {
            "version": req.version,
            "grant": "yes",
            "balancing": "No compelling interest outweighs the reasons.",
        },
    )
    req.refresh_from_db()
    assert req.decision["dpo"]["grant"] is True
    r = staff_client.post(f"/staff/requests/{req.pk}/fulfil/", {"version": req.version}, follow=True)
    req.refresh_from_db()
    assert req.status == "answered", r.content.decode()[-3000:]


@pytest.mark.django_db(transaction=True)
def test_rectification_recorded_by_staff_then_fulfilled(
    staff_client: Any, policy: Any, smtp_server: Any
) -> None:
    from tutela.subjects.models import DataItem

    person = member("marie@example.be")
    req = open_request("rectification", "marie@example.be")
    r = staff_client.post(
        f"/staff/requests/{req.pk}/changes/",
        {"version": req.version, "category": "user.contact.phone_number", "value": "+32 470 99 88 77"},
    )
    assert r.status_code == 302
    req.refresh_from_db()
    staff_client.post(f"/staff/requests/{req.pk}/fulfil/", {"version": req.version})
    req.refresh_from_db()
    assert req.status == "answered"
    phone = DataItem.objects.get(subject=person, category="user.contact.phone_number", status="active")
    assert "99" in phone.value


def test_person_page_query_count_does_not_grow_with_items(
    staff_client: Any, policy: Any, django_assert_max_num_queries: Any
) -> None:
    from tutela.subjects.services import item_add

    person = member("marie@example.be")
    with django_assert_max_num_queries(30):
        assert staff_client.get(f"/staff/people/{person.public_id}/").status_code == 200
    for i in range(20):
        item_add(
            principal=SYSTEM,
            subject=person.pk,
            controller="crm-asbl",
            category="user.contact.email",
            value=f"alt{i}@example.be",
            purposes=["member-management"],
            source="direct",
        )
    with django_assert_max_num_queries(30):
        r = staff_client.get(f"/staff/people/{person.public_id}/")
    assert r.content.decode().count("alt") >= 20
