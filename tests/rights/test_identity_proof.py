"""Identity proof bound to the person, and requests scoped to their entity (regression tests of the findings).

- a request opened with a national number and ``reply_to`` pointing elsewhere sent the code, the private link
  and finally the package there;
- staff of one entity opened a request (own controller, foreign ``reply_to``) for a person only the other
  entity holds and got that person's record; the package ignored the request's controller;
- the portal's answer carried the status token of the mailed link; wrong codes posted to a request number
  cancelled the person's code.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from tests.factories.rights import link_token, member, prospect
from tests.factories.subjects import DataItemFactory, sealed_item
from tutela.accounts.principal import CLI, PUBLIC, public_principal
from tutela.core.audit import AuditEntry
from tutela.core.errors import PermissionDenied
from tutela.rights.fulfil import Unmet, request_fulfil
from tutela.rights.models import RightsRequest
from tutela.rights.selectors import requests_list
from tutela.rights.services import (
    reply_to_note,
    request_open,
    request_verify,
    request_verify_by_token,
)

pytestmark = pytest.mark.django_db

NN = "85073000061"  # a valid Belgian national number (checksum), made up for the tests
ATTACKER = "attacker@evil.example"
MARIE = "marie.dupont@example.be"
NN_CATEGORY = "user.government_id.national_identification_number"


@pytest.fixture(autouse=True)
def _exports(settings: Any, tmp_path: Path) -> None:
    settings.TUTELA_EXPORT_DIR = tmp_path / "exports"
    cache.clear()


def marie_with_nn() -> Any:
    person = member(MARIE)
    sealed_item(person, NN_CATEGORY, "national_number", NN, purposes=["member-management"])
    return person


def letters() -> list[tuple[str, str]]:
    """(to, kind) of every mail sent so far."""
    return [(",".join(m.to), m.extra_headers.get("X-Tutela-Letter", "")) for m in mail.outbox]


def everything_sent() -> str:
    return "\n".join(f"{m.to} {m.subject}\n{m.body}" for m in mail.outbox)


def bearer(username: str, role: str, controller: str = "") -> dict[str, str]:
    from tutela.accounts.services import staff_create, token_create

    user, _ = staff_create(
        principal=CLI, username=username, email=f"{username}@crmgroup.be", role=role, controller=controller
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(principal=CLI, user=user, name='tests')}"}


def post(client: Client, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def package_of(request_id: int) -> dict[str, Any]:
    req = RightsRequest.objects.get(pk=request_id)
    with zipfile.ZipFile(Path(req.details["package"])) as zf:
        return dict(json.loads(zf.read("data.json")))


# --------------------------------------------------------------------- finding 1: reply_to redirects nothing


def test_reply_to_never_receives_the_code_the_link_or_the_answer(
    policy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person = marie_with_nn()
    with django_capture_on_commit_callbacks(execute=True):
        opened = request_open(type="access", identifier=NN, channel="api", reply_to=ATTACKER, principal=CLI)
    req = opened.request
    assert req.subject_id == person.pk and req.status == "identity_pending"
    # the code and the private link went to the address held for Marie, nothing to the reply_to
    assert letters() == [(MARIE, "acknowledgement"), (MARIE, "verification")]
    verification = mail.outbox[1]
    assert opened.verification_code in verification.subject
    assert link_token(verification) == opened.status_token
    # the national number identified her; it proves nothing: the request waits for her
    with pytest.raises(Unmet):
        request_fulfil(request_id=req.pk, principal=CLI)
    with django_capture_on_commit_callbacks(execute=True):
        request_verify_by_token(
            status_token=opened.status_token, code=opened.verification_code or "", principal=PUBLIC
        )
        result = request_fulfil(request_id=req.pk, principal=CLI)
    assert result.outcome == "granted"
    assert letters()[-1] == (MARIE, "answer")
    assert ATTACKER not in everything_sent()
    assert NN not in everything_sent()
    # the address given is kept as a note for staff
    assert reply_to_note(RightsRequest.objects.get(pk=req.pk)) == ATTACKER


def test_reply_to_through_the_staff_api_redirects_nothing(
    policy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    marie_with_nn()
    auth = bearer("asbl", "staff", "crm-asbl")
    with django_capture_on_commit_callbacks(execute=True):
        r = post(
            Client(),
            "/api/v1/requests/",
            {"type": "access", "identifier": NN, "reply_to": ATTACKER},
            **auth,
        )
    assert r.status_code == 201, r.content
    assert {to for to, _ in letters()} == {MARIE}
    assert ATTACKER not in everything_sent()


def test_cli_reply_to_for_a_national_number_nobody_holds_mails_nothing(cli: Any, tutela_home: Path) -> None:
    assert cli("init").returncode == 0
    r = cli("rights", "open", "access", NN, "--channel", "api", "--reply-to", ATTACKER, "--json")
    assert r.returncode == 0, r.stderr
    assert set(r.json()) == {"id", "type", "status", "due"}
    folder = tutela_home / "mail"
    mails = [p.read_text(errors="replace") for p in folder.glob("*")] if folder.exists() else []
    assert not any(ATTACKER in m for m in mails)


# ------------------------------------------------------- finding 2: staff of one entity, the other's person


def test_staff_cannot_open_a_request_for_a_person_only_the_other_entity_holds(
    policy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    prospect("jan.peeters@example.be", controller="ac-cs")  # only ac-cs holds Jan
    asbl = bearer("asbl", "staff", "crm-asbl")
    client = Client()

    def open_for(identifier: str) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return post(
                client,
                "/api/v1/requests/",
                {"type": "access", "identifier": identifier, "verified": True, "reply_to": ATTACKER},
                **asbl,
            )

    jan, nobody = open_for("jan.peeters@example.be"), open_for("nobody@example.org")
    # the same answer as for someone nobody holds: no hint that the other entity holds Jan
    assert jan.status_code == nobody.status_code == 201
    assert {k: v for k, v in jan.json().items() if k != "id"} == {
        k: v for k, v in nobody.json().items() if k != "id"
    }
    req = RightsRequest.objects.get(pk=jan.json()["id"])
    assert (req.controller, req.subject_id) == ("crm-asbl", None)
    shown = client.get(f"/api/v1/requests/{req.pk}", **asbl).json()
    assert shown["subject_id"] is None
    with django_capture_on_commit_callbacks(execute=True):
        r = post(client, f"/api/v1/requests/{req.pk}/fulfil", {}, **asbl)
    assert r.status_code == 200 and r.json()["outcome"] == "no_data"
    req.refresh_from_db()
    assert "package" not in req.details
    assert ATTACKER not in everything_sent()
    assert "Jan Peeters" not in everything_sent()


def test_the_package_holds_only_the_requests_entity(
    policy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person = member(MARIE)  # a crm-asbl member …
    DataItemFactory(  # … whom ac-cs also holds, for its own purpose
        subject=person,
        controller="ac-cs",
        category="user.job_title",
        value="Buyer at AC-CS",
        purposes=["prospecting"],
    )
    from tests.factories.rights import open_request

    to_asbl = open_request("access", MARIE, controller="crm-asbl")
    to_both = open_request("access", MARIE)
    with django_capture_on_commit_callbacks(execute=True):
        request_fulfil(request_id=to_asbl.pk, principal=CLI)
        request_fulfil(request_id=to_both.pk, principal=CLI)
    one = package_of(to_asbl.pk)
    assert {i["controller"] for i in one["personal_data"]} == {"crm-asbl"}
    assert "Buyer at AC-CS" not in json.dumps(one)
    assert [c["key"] for c in one["subject"]["controllers"]] == ["crm-asbl"]
    both = package_of(to_both.pk)
    assert {i["controller"] for i in both["personal_data"]} == {"crm-asbl", "ac-cs"}


def test_staff_of_an_entity_get_a_package_of_their_entity_only(
    policy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person = member(MARIE)
    DataItemFactory(
        subject=person,
        controller="ac-cs",
        category="user.job_title",
        value="Buyer at AC-CS",
        purposes=["prospecting"],
    )
    asbl = bearer("asbl", "staff", "crm-asbl")
    client = Client()
    r = post(client, "/api/v1/requests/", {"type": "access", "identifier": MARIE, "verified": True}, **asbl)
    assert r.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        done = post(client, f"/api/v1/requests/{r.json()['id']}/fulfil", {}, **asbl)
    assert done.status_code == 200 and done.json()["outcome"] == "granted"
    data = package_of(r.json()["id"])
    assert {i["controller"] for i in data["personal_data"]} == {"crm-asbl"}
    # the other entity's staff do not see the request at all
    accs = bearer("accs", "staff", "ac-cs")
    assert client.get(f"/api/v1/requests/{r.json()['id']}", **accs).status_code == 404


# ------------------------------------------------------------------ finding 3: the portal's answer, the codes


@pytest.mark.django_db(transaction=True)
def test_the_portal_page_carries_no_secret_of_the_mail(client: Any, policy: Any, smtp_server: Any) -> None:
    member(MARIE, language="en")
    r = client.post(
        "/en/rights/access/", {"email": MARIE, "name": "Marie Dupont", "details": "everything"}, follow=True
    )
    assert r.status_code == 200 and r.redirect_chain[-1][0] == "/en/requests/sent/"
    page = r.content.decode()
    verification = next(m for m in smtp_server.wait_for(2) if m["X-Tutela-Letter"] == "verification")
    token = link_token(verification)
    code = re.search(r"\b(\d{6})\b", verification["Subject"]).group(1)
    assert token not in page and code not in page
    assert all(token not in url and code not in url for url, _ in r.redirect_chain)


@pytest.mark.django_db(transaction=True)
def test_the_portal_api_answer_is_the_same_for_anyone_and_carries_no_token(
    policy: Any, smtp_server: Any
) -> None:
    member(MARIE)
    client = Client()
    known = post(client, "/api/v1/requests/portal", {"type": "access", "email": MARIE})
    unknown = post(client, "/api/v1/requests/portal", {"type": "access", "email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert set(known.json()) == set(unknown.json()) == {"reference", "verification"}
    mails = smtp_server.wait_for(3)
    sent = sorted((m["To"], m["X-Tutela-Letter"]) for m in mails)
    # Marie: the acknowledgement and the code; the address nobody holds: only that nothing is held
    assert sent == [
        (MARIE, "acknowledgement"),
        (MARIE, "verification"),
        ("nobody@example.org", "answer"),
    ]
    nothing = next(m for m in mails if m["To"] == "nobody@example.org").get_content()
    assert "hold no personal data" in nothing
    assert "/requests/verify/" not in nothing and "code" not in nothing.lower()
    assert (
        link_token(next(m for m in mails if m["X-Tutela-Letter"] == "verification"))
        not in known.content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_wrong_codes_posted_to_a_request_number_do_not_cancel_the_persons_code(
    client: Any, policy: Any, smtp_server: Any
) -> None:
    member(MARIE, language="en")
    assert (
        client.post(
            "/en/rights/access/", {"email": MARIE, "name": "Marie Dupont", "details": "all"}
        ).status_code
        == 302
    )
    verification = next(m for m in smtp_server.wait_for(2) if m["X-Tutela-Letter"] == "verification")
    token = link_token(verification)
    code = re.search(r"\b(\d{6})\b", verification["Subject"]).group(1)
    req = RightsRequest.objects.get()
    attacker = Client(REMOTE_ADDR="10.6.6.6")
    for wrong in ("000000", "111111", "222222", "333333", "444444", "555555"):
        r = attacker.post(f"/en/requests/verify/{req.pk}/", {"code": wrong})
        assert r.status_code in (400, 429)
    req.refresh_from_db()
    assert req.verification_failures == 0 and req.verification_hash
    r = client.post("/en/requests/verify/", {"token": token, "code": code})
    assert r.status_code == 302 and "verified=1" in r["Location"]
    req.refresh_from_db()
    assert req.identity_verified_at is not None and req.identity_method == "email_code"


def test_wrong_codes_count_against_the_code_and_a_new_code_starts_afresh(
    policy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from tutela.core.errors import Refused
    from tutela.rights.services import MAX_CODE_FAILURES, request_code_renew

    member(MARIE)
    opened = request_open(type="access", identifier=MARIE, channel="portal", principal=PUBLIC)
    for _ in range(MAX_CODE_FAILURES):
        with pytest.raises(Refused):
            request_verify_by_token(status_token=opened.status_token, code="x", principal=PUBLIC)
    with pytest.raises(Refused):  # the code is spent
        request_verify_by_token(
            status_token=opened.status_token, code=opened.verification_code or "", principal=PUBLIC
        )
    with django_capture_on_commit_callbacks(execute=True):
        request_code_renew(status_token=opened.status_token, principal=PUBLIC)
    renewed = [m for m in mail.outbox if m.extra_headers.get("X-Tutela-Letter") == "verification"][-1]
    assert renewed.to == [MARIE]
    new_code = re.search(r"\b(\d{6})\b", renewed.subject).group(1)
    req = request_verify_by_token(status_token=opened.status_token, code=new_code, principal=PUBLIC)
    assert req.identity_verified_at is not None


# ------------------------------------------------------------------------- who may, and staff attestation


def test_the_public_can_neither_attest_nor_see_requests(policy: Any) -> None:
    member(MARIE)
    with pytest.raises(PermissionDenied):
        request_open(type="access", identifier=MARIE, channel="portal", verified=True, principal=PUBLIC)
    opened = request_open(type="access", identifier=MARIE, channel="portal", principal=PUBLIC)
    with pytest.raises(PermissionDenied):
        request_verify(request_id=opened.request.pk, principal=public_principal("portal"))
    assert list(requests_list(principal=PUBLIC)) == []
    with pytest.raises(PermissionDenied):
        request_fulfil(request_id=opened.request.pk, principal=PUBLIC)


def test_staff_attestation_records_who_checked_and_how(policy: Any) -> None:
    from tutela.accounts.principal import Principal
    from tutela.core.errors import InvalidInput

    member(MARIE)
    desk = Principal(actor="user:desk", role="staff", controller="crm-asbl")
    opened = request_open(type="access", identifier=MARIE, channel="staff", principal=desk)
    with pytest.raises(InvalidInput):
        request_verify(request_id=opened.request.pk, method="trust me", principal=desk)
    req = request_verify(
        request_id=opened.request.pk,
        method="id_document",
        how="identity card seen at the desk",
        principal=desk,
    )
    assert (req.identity_method, req.identity_verified_by, req.identity_how) == (
        "id_document",
        "user:desk",
        "identity card seen at the desk",
    )
    entry = AuditEntry.objects.get(action="request.identity_verified", object_id=str(req.pk))
    assert entry.actor == "user:desk"
    assert entry.payload["method"] == "id_document" and entry.payload["by"] == "user:desk"


def test_cli_verified_records_the_method_and_the_operator(cli: Any) -> None:
    assert cli("init").returncode == 0
    r = cli(
        "rights", "open", "access", "someone@example.org", "--verified",
        "--identity-method", "id_document", "--how", "passport seen", "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    shown = cli("rights", "show", str(r.json()["id"]), "--json").json()
    assert shown["identity"]["method"] == "id_document" and shown["identity"]["how"] == "passport seen"
    assert shown["identity"]["verified_by"].startswith("cli")
    plain = cli("rights", "open", "access", "other@example.org", "--verified", "--json")
    assert plain.returncode == 0
    assert cli("rights", "show", str(plain.json()["id"]), "--json").json()["identity"]["method"] == "staff"
    bad = cli("rights", "open", "access", "x@example.org", "--verified", "--identity-method", "vibes")
    assert bad.returncode == 2


def test_an_entitys_staff_see_a_request_to_both_without_what_was_decided_for_each(
    policy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    import datetime as dt

    from tests.factories.rights import open_request

    person = member(MARIE, ended_on=dt.date(2024, 6, 30))
    DataItemFactory(
        subject=person, controller="ac-cs", category="user.job_title", value="Buyer", purposes=["prospecting"]
    )
    both = open_request("erasure", MARIE)
    with django_capture_on_commit_callbacks(execute=True):
        request_fulfil(request_id=both.pk, principal=CLI)
    client = Client()
    dpo = client.get(f"/api/v1/requests/{both.pk}", **bearer("dpo", "dpo")).json()
    assert dpo["decision"]["items"]["kept"] and dpo["reasons"]
    staff = client.get(f"/api/v1/requests/{both.pk}", **bearer("asbl", "staff", "crm-asbl"))
    assert staff.status_code == 200
    assert (staff.json()["decision"], staff.json()["reasons"]) == ({}, [])
    assert staff.json()["status"] == dpo["status"]


def test_the_words_of_a_staff_check_go_with_the_person(policy: Any) -> None:
    prospect("jan.peeters@example.be")  # a prospect: nothing is kept once he asks for erasure
    opened = request_open(type="erasure", identifier="jan.peeters@example.be", channel="staff", principal=CLI)
    request_verify(
        request_id=opened.request.pk,
        method="phone_callback",
        how="called back on the number held",
        principal=CLI,
    )
    result = request_fulfil(request_id=opened.request.pk, principal=CLI)
    assert result.outcome == "granted"
    req = RightsRequest.objects.get(pk=opened.request.pk)
    assert (req.subject_id, req.identity_how, req.identity_method) == (None, "", "phone_callback")


def test_the_code_mail_of_a_portability_request_says_where_the_data_would_go(
    policy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    member(MARIE)
    with django_capture_on_commit_callbacks(execute=True):
        request_open(
            type="portability",
            identifier=MARIE,
            channel="portal",
            details={"transmit_to": "https://other-controller.example/receive"},
            principal=PUBLIC,
        )
    verification = next(m for m in mail.outbox if m.extra_headers["X-Tutela-Letter"] == "verification")
    assert verification.to == [MARIE]
    assert "https://other-controller.example/receive" in verification.body
