"""The staff pages in words, and the breach follow-up from the breach page.

Keys the apps store (``on_hold``, ``loss_or_theft``) are shown as words in the reader's language, the key
kept in a ``data-key`` attribute; the DPO and privacy officers decide the duties, notify the authority in
phases, tell the people, fill the register, recommend changes and close a breach with the page's forms, the
same services as the API and the CLI; entity staff and auditors are refused and change nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.factories.breaches import report
from tests.factories.rights import member, open_request
from tests.web.conftest import login
from tutela.breaches.models import (
    AuthorityNotification,
    Breach,
    BreachEvent,
    IncidentType,
    RecommendedChange,
    SubjectCommunication,
    SubjectNotice,
)
from tutela.core.models import AuditEntry

pytestmark = pytest.mark.django_db

FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}


def _messages(response: Any) -> str:
    """The texts of the messages shown at the top of the page."""
    return " | ".join(
        re.findall(r'<p class="notice [a-z ]*" role="status">(.*?)</p>', response.content.decode(), re.S)
    )


def _post(client: Client, breach: Breach, action: str, data: dict[str, Any]) -> Any:
    r = client.post(f"/staff/breaches/{breach.pk}/{action}/", data)
    assert r.status_code == 302 and r["Location"] == f"/staff/breaches/{breach.pk}/", r.status_code
    return client.get(r["Location"])


# ---------------------------------------------------------------------------------------------------------
# words instead of keys


def test_every_stored_key_has_its_word() -> None:
    """Each choice of the models the staff pages show has a word, and no word stands for a key that is not
    a choice (a renamed key would otherwise show raw)."""
    from tutela.dashboard.labels import LABELS
    from tutela.rights.models import Channel, RequestType, Status
    from tutela.subjects.models import DataItem

    models = {
        "request_type": RequestType.values,
        "request_channel": Channel.values,
        "request_status": Status.values,
        "incident_type": IncidentType.values,
        "breach_status": Breach.Status.values,
        "item_status": DataItem.Status.values,
        "authority_phase": AuthorityNotification.Phase.values,
        "communication_channel": SubjectCommunication.Channel.values,
        "change_state": RecommendedChange.State.values,
    }
    for kind, values in models.items():
        assert sorted(LABELS[kind]) == sorted(values), kind
    # the breach app's delivery states are a subset of what notices of both apps may be in
    assert set(SubjectNotice.State.values) <= set(LABELS["notice_status"])
    # the English words of the incident types are the breach app's own (in English whatever language an
    # earlier test in this process left active)
    from django.utils import translation

    with translation.override("en"):
        assert {k: str(v) for k, v in LABELS["incident_type"].items()} == {
            k: str(v) for k, v in IncidentType.choices
        }


def test_request_list_shows_words_in_english_and_french(staff_client: Any, policy: Any) -> None:
    from tutela.accounts.principal import CLI
    from tutela.rights.services import request_pause

    req = open_request("erasure", "someone@example.org", channel="post")
    request_pause(request_id=req.pk, reason="waiting for a copy of the identity card", principal=CLI)
    html = staff_client.get("/staff/requests/").content.decode()
    assert ">Erasure<" in html and ">Post<" in html and ">On hold<" in html
    # the keys stay in the page for scripts and tests, never as the text a person reads
    assert 'data-key="on_hold"' in html and 'data-key="erasure"' in html and 'data-key="post"' in html
    assert ">on_hold<" not in html
    html = staff_client.get("/staff/requests/", **FR).content.decode()
    assert ">Effacement<" in html and ">Courrier postal<" in html and ">En attente<" in html
    page = staff_client.get(f"/staff/requests/{req.pk}/", **FR).content.decode()
    assert "En attente" in page and "Effacement" in page and "en pause" in page  # the deadline state


def test_breach_register_and_page_show_words(staff_client: Any, policy: Any) -> None:
    breach = report(incident_type="loss_or_theft")
    html = staff_client.get("/staff/breaches/").content.decode()
    assert "Loss or theft of a device or paper files" in html and ">Reported<" in html
    assert 'data-key="loss_or_theft"' in html and 'data-key="reported"' in html
    fr = staff_client.get(f"/staff/breaches/{breach.pk}/", **FR).content.decode()
    assert "Perte ou vol d\u2019un appareil ou de dossiers papier" in fr and ">Signalée<" in fr
    assert 'data-key="high">élevée<' in fr  # the urgency


def test_person_page_shows_item_and_request_words(staff_client: Any, policy: Any) -> None:
    person = member("marie@example.be")
    open_request("access", "marie@example.be")
    html = staff_client.get(f"/staff/people/{person.public_id}/").content.decode()
    assert 'data-key="active">Active<' in html
    assert ">Access<" in html
    fr = staff_client.get(f"/staff/people/{person.public_id}/", **FR).content.decode()
    assert ">Accès<" in fr


def test_the_report_form_offers_the_incident_types_in_french(staff_client: Any, policy: Any) -> None:
    html = staff_client.get("/staff/breaches/new/", **FR).content.decode()
    assert '<option value="ransomware">Rançongiciel ou autre logiciel malveillant</option>' in html


# ---------------------------------------------------------------------------------------------------------
# the follow-up, as the DPO


def test_the_dpo_follows_a_breach_up_to_its_closing(staff_client: Any, policy: Any) -> None:
    breach = report(controller="crm-asbl")
    page = staff_client.get(f"/staff/breaches/{breach.pk}/").content.decode()
    for action in ("investigation", "decision", "notify-authority", "notify-subjects", "register", "review"):
        assert f'action="/staff/breaches/{breach.pk}/{action}/"' in page
    assert page.count('name="csrfmiddlewaretoken"') >= 9
    assert 'style="' not in page and "<script>" not in page  # the CSP allows neither

    r = _post(
        staff_client,
        breach,
        "investigation",
        {"inv-nature": "Laptop stolen", "inv-people_concerned": "40", "inv-personal_data_affected": "yes"},
    )
    assert "Investigation findings recorded" in _messages(r)
    breach.refresh_from_db()
    assert (breach.nature, breach.people_concerned, breach.personal_data_affected) == (
        "Laptop stolen",
        40,
        True,
    )
    assert breach.status == "investigating"

    r = _post(
        staff_client,
        breach,
        "decision",
        {"dec-notify_authority": "yes", "dec-notify_subjects": "yes", "dec-reason": "Bank details exposed."},
    )
    assert "Decision recorded: authority to be notified, people to be told." in _messages(r)
    breach.refresh_from_db()
    assert (breach.notify_authority, breach.notify_subjects) == (True, True)

    r = _post(staff_client, breach, "register", {"reg-measures_taken": "Laptop wiped remotely."})
    assert "Register updated." in _messages(r)
    breach.refresh_from_db()
    assert breach.measures_taken == "Laptop wiped remotely."
    assert AuditEntry.objects.get(action="breach.register").payload == {"fields": ["measures_taken"]}

    r = _post(staff_client, breach, "notify-authority", {"auth-phase": "initial"})
    assert "Initial notification no. 1 to the authority recorded." in _messages(r)
    assert "Send a follow-up to the authority" in r.content.decode()
    r = _post(
        staff_client, breach, "notify-authority", {"auth-phase": "follow_up", "auth-additional": "All wiped."}
    )
    assert "Follow-up notification no. 2" in _messages(r)
    notes = list(AuthorityNotification.objects.filter(breach=breach).values_list("phase", "number"))
    assert notes == [("initial", 1), ("follow_up", 2)]
    breach.refresh_from_db()
    assert breach.authority_notified_at is not None

    # nobody of the register is linked to the breach: a public notice is drafted
    r = _post(staff_client, breach, "notify-subjects", {})
    assert "public notice is recorded" in _messages(r)
    assert SubjectCommunication.objects.get(breach=breach).channel == "public_notice"
    assert "Public notice" in r.content.decode()

    r = _post(staff_client, breach, "event", {"ev-text": "The police report was filed."})
    assert "Added to the chronology." in _messages(r)
    assert BreachEvent.objects.filter(
        breach=breach, kind="note", text="The police report was filed."
    ).exists()

    r = _post(staff_client, breach, "change", {"chg-description": "Encrypt every laptop.", "chg-owner": "IT"})
    change = RecommendedChange.objects.get(breach=breach)
    r = _post(staff_client, breach, "change-state", {"change": change.pk, "state": "implemented"})
    assert "Recommended change marked “Implemented”." in _messages(r)
    change.refresh_from_db()
    assert change.state == "implemented" and change.implemented_at is not None

    r = _post(staff_client, breach, "review", {"rev-text": "Follow-up complete.", "rev-close": "on"})
    assert "the breach is closed" in _messages(r)
    breach.refresh_from_db()
    assert breach.status == "closed" and breach.closed_at is not None
    assert ">Closed<" in r.content.decode()
    # the services wrote the audit trail, each action once
    actions = list(
        AuditEntry.objects.filter(object_type="breach", object_id=str(breach.pk))
        .exclude(action="breach.report")
        .values_list("action", flat=True)
        .order_by("seq")
    )
    assert actions == [
        "breach.investigation",
        "breach.decide",
        "breach.register",
        "breach.notify_authority",
        "breach.notify_authority",
        "breach.notify_subjects",
        "breach.event",
        "breach.change.add",
        "breach.change.update",
        "breach.review",
    ]


def test_the_service_refusals_are_shown_with_their_reason(staff_client: Any, policy: Any) -> None:
    breach = report()
    r = _post(staff_client, breach, "review", {"rev-text": "Done.", "rev-close": "on"})
    assert "Not done: assess the breach before closing it" in _messages(r)
    r = _post(staff_client, breach, "decision", {"dec-notify_authority": "no", "dec-notify_subjects": "no"})
    assert "Not done: a decision needs its reason: reason: is required" in _messages(r)
    r = _post(staff_client, breach, "notify-authority", {"auth-phase": "follow_up"})
    assert "Not done: make the initial notification first" in _messages(r)
    breach.refresh_from_db()
    assert breach.status == "reported" and breach.notify_authority is None
    assert not AuthorityNotification.objects.exists()
    # a notification later than 72 hours needs the reasons for the delay (Art. 33(1))
    with time_machine.travel(breach.aware_at + dt.timedelta(hours=80), tick=False):
        r = _post(staff_client, breach, "notify-authority", {"auth-phase": "initial"})
        assert "past the 72-hour limit" in _messages(r)
        assert not AuthorityNotification.objects.exists()
        r = _post(
            staff_client,
            breach,
            "notify-authority",
            {"auth-phase": "initial", "auth-delay_reasons": "The theft was found on Monday."},
        )
        assert "It was late" in _messages(r)
    assert AuthorityNotification.objects.get().late is True
    # a value the form cannot read is named, not ignored
    r = _post(staff_client, breach, "investigation", {"inv-people_concerned": "many"})
    assert "Not done: People concerned: Enter a whole number." in _messages(r)
    # the refusal is in the reader's language around the service's reason
    r = staff_client.post(f"/staff/breaches/{breach.pk}/event/", {"ev-text": ""}, **FR)
    assert "Non fait" in _messages(staff_client.get(r["Location"], **FR))


def test_unknown_action_or_change_of_another_breach_is_404(staff_client: Any, policy: Any) -> None:
    one, other = report(), report()
    staff_client.post(f"/staff/breaches/{other.pk}/change/", {"chg-description": "Train the staff."})
    change = RecommendedChange.objects.get(breach=other)
    r = staff_client.post(
        f"/staff/breaches/{one.pk}/change-state/", {"change": change.pk, "state": "rejected"}
    )
    assert r.status_code == 404
    change.refresh_from_db()
    assert change.state == "proposed"
    assert staff_client.post(f"/staff/breaches/{one.pk}/no-such-action/", {}).status_code == 404
    assert staff_client.post("/staff/breaches/999999/event/", {"ev-text": "x"}).status_code == 404
    assert staff_client.get(f"/staff/breaches/{one.pk}/event/").status_code == 405


def test_a_privacy_officer_acts_like_the_dpo(client: Any, make_staff: Any, policy: Any) -> None:
    breach = report()
    user, password, device = make_staff("privacy_officer")
    login(client, user.username, password, device)
    r = _post(client, breach, "event", {"ev-text": "Called the processor."})
    assert "Added to the chronology." in _messages(r)


@pytest.mark.parametrize(("role", "controller"), [("auditor", ""), ("staff", "crm-asbl")])
def test_staff_and_auditors_cannot_follow_a_breach_up(
    client: Any, make_staff: Any, policy: Any, role: str, controller: str
) -> None:
    breach = report(controller="crm-asbl")
    user, password, device = make_staff(role, controller=controller)
    login(client, user.username, password, device)
    if role == "auditor":  # reads the page, without a single form to act
        page = client.get(f"/staff/breaches/{breach.pk}/").content.decode()
        assert "Follow-up" not in page and "/decision/" not in page
    before = AuditEntry.objects.count()
    bodies = {
        "investigation": {"inv-people_concerned": "3"},
        "decision": {"dec-notify_authority": "no", "dec-notify_subjects": "no", "dec-reason": "r"},
        "notify-authority": {"auth-phase": "initial"},
        "notify-subjects": {"subj-public_notice": "on"},
        "retry-notices": {},
        "register": {"reg-measures_taken": "x"},
        "event": {"ev-text": "x"},
        "change": {"chg-description": "x"},
        "change-state": {"change": "1", "state": "implemented"},
        "review": {"rev-text": "x"},
        "no-such-action": {},
    }
    for action, body in bodies.items():
        assert client.post(f"/staff/breaches/{breach.pk}/{action}/", body).status_code == 403, action
    assert AuditEntry.objects.count() == before
    breach.refresh_from_db()
    assert breach.notify_authority is None and breach.measures_taken == "" and breach.nature == ""
    assert not BreachEvent.objects.filter(kind="note").exists()


def test_the_forms_need_the_csrf_token(make_staff: Any, policy: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    breach = report()
    user, password, device = make_staff("dpo")
    page = client.get("/staff/login/")
    token = page.cookies["csrftoken"].value
    from tests.web.conftest import current_totp

    client.post(
        "/staff/login/", {"username": user.username, "password": password, "csrfmiddlewaretoken": token}
    )
    client.post("/staff/verify/", {"token": current_totp(device), "csrfmiddlewaretoken": token})
    assert client.get(f"/staff/breaches/{breach.pk}/").status_code == 200
    assert client.post(f"/staff/breaches/{breach.pk}/event/", {"ev-text": "x"}).status_code == 403
    assert not BreachEvent.objects.filter(kind="note").exists()
