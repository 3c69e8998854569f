"""The consent and purpose API with bearer tokens, and the hot path's fixed number of queries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories.consent import person
from tutela.accounts.principal import CLI, SYSTEM
from tutela.accounts.services import staff_create, token_create
from tutela.consent import services
from tutela.consent.checks import purpose_check

pytestmark = pytest.mark.django_db


def _client(role: str = "dpo", controller: str = "") -> Client:
    user, _ = staff_create(
        principal=CLI,
        username=f"{role}-{controller or 'all'}",
        email="x@crmgroup.be",
        role=role,
        controller=controller,
    )
    token = token_create(principal=CLI, user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _json(response: Any) -> Any:
    return json.loads(response.content)


def test_consent_and_check_over_the_api(policy: Any) -> None:
    ann = person("ann@example.com", subject_type="member")
    api = _client()
    check = api.get("/api/v1/purpose/check", {"identifier": "ann@example.com", "purpose": "newsletter"})
    assert check.status_code == 200 and _json(check)["allowed"] is False

    given = api.post(
        "/api/v1/consent/give",
        data={
            "identifier": "ann@example.com",
            "purpose": "newsletter",
            "page": "https://www.crmgroup.be/form",
        },
        content_type="application/json",
        REMOTE_ADDR="203.0.113.9",
        HTTP_USER_AGENT="UA",
    )
    assert given.status_code == 200 and _json(given)["state"] == "given"
    assert _json(api.get("/api/v1/purpose/check", {"subject_id": ann.pk, "purpose": "newsletter"}))["allowed"]

    history = _json(api.get(f"/api/v1/consent/subjects/{ann.pk}"))
    assert history["consents"][0]["channel"] == "api" and "203.0.113.9" not in json.dumps(history)

    out = api.post(
        "/api/v1/consent/withdraw",
        data={"subject_id": ann.pk, "purpose": "newsletter"},
        content_type="application/json",
    )
    assert out.status_code == 200 and _json(out)["state"] == "withdrawn"
    again = api.post(
        "/api/v1/consent/withdraw",
        data={"subject_id": ann.pk, "purpose": "newsletter"},
        content_type="application/json",
    )
    assert again.status_code == 409 and "error" in _json(again)

    batch = api.post(
        "/api/v1/purpose/check",
        data={
            "checks": [
                {"subject_id": ann.pk, "purpose": "newsletter"},
                {"identifier": "ann@example.com", "purpose": "member-management"},
                {"identifier": "bad@", "purpose": "newsletter"},
                {"purpose": "newsletter"},
            ]
        },
        content_type="application/json",
    )
    results = _json(batch)["results"]
    assert results[0]["allowed"] is False and results[0]["codes"][0] == "withdrawn"
    assert results[1]["allowed"] is True and results[1]["legal_basis"] == "contract"
    assert "error" in results[2] and "error" in results[3]


def test_api_requires_a_token_and_validates(policy: Any) -> None:
    assert (
        Client().get("/api/v1/purpose/check", {"identifier": "a@example.com", "purpose": "x"}).status_code
        == 401
    )
    api = _client()
    assert api.get("/api/v1/purpose/check", {"identifier": "a@", "purpose": "newsletter"}).status_code == 400
    assert api.get("/api/v1/purpose/check", {"purpose": "newsletter"}).status_code == 400
    bad = api.post(
        "/api/v1/consent/give",
        data={"subject_id": 999999, "purpose": "newsletter"},
        content_type="application/json",
    )
    assert bad.status_code == 404


def test_objections_over_the_api(policy: Any) -> None:
    eve = person("eve@example.com", subject_type="prospect", source="public-web")
    api = _client()
    obj = api.post(
        "/api/v1/consent/objections",
        data={"subject_id": eve.pk, "purpose": "prospecting"},
        content_type="application/json",
    )
    assert obj.status_code == 200 and _json(obj)["status"] == "upheld"
    refused = api.post(
        "/api/v1/consent/objections",
        data={"subject_id": eve.pk, "purpose": "accounting", "reasons": "no"},
        content_type="application/json",
    )
    assert refused.status_code == 409


def test_staff_of_one_entity_checks_for_their_entity(policy: Any) -> None:
    ann = person("ann@example.com", subject_type="member", controller="crm-asbl")
    services.consent_give(principal=SYSTEM, subject_id=ann.pk, purpose="newsletter", controller="crm-asbl")
    own = _client("staff", "crm-asbl")
    other = _client("staff", "ac-cs")
    params = {"identifier": "ann@example.com", "purpose": "newsletter", "controller": "crm-asbl"}
    assert _json(own.get("/api/v1/purpose/check", params))["allowed"] is True
    assert _json(other.get("/api/v1/purpose/check", params))["allowed"] is False


def test_scrub_upload(policy: Any) -> None:
    person("eve@example.com", subject_type="prospect", source="public-web")
    api = _client()
    upload = SimpleUploadedFile(
        "list.csv", b"email\neve@example.com\nnew@example.com\nbroken@\n", content_type="text/csv"
    )
    answer = api.post("/api/v1/purpose/scrub", data={"file": upload, "purpose": "prospecting"})
    assert answer.status_code == 200, answer.content
    body = _json(answer)
    assert body["kept"] == 1 and body["removed"] == 2
    assert body["reasons"] == {"invalid": 1, "unknown-person": 1}
    assert body["usable"] == [["eve@example.com"]]
    upload = SimpleUploadedFile("list.csv", b"email\neve@example.com\n", content_type="text/csv")
    as_csv = api.post(
        "/api/v1/purpose/scrub", data={"file": upload, "purpose": "prospecting", "output": "csv"}
    )
    assert as_csv["X-Tutela-Kept"] == "1" and as_csv.content.decode() == "email\neve@example.com\n"
    upload = SimpleUploadedFile("list.csv", b"email\n", content_type="text/csv")
    assert api.post("/api/v1/purpose/scrub", data={"file": upload, "purpose": "nope"}).status_code == 400


def test_purpose_check_uses_a_fixed_number_of_queries(policy: Any) -> None:
    few = person("few@example.com", subject_type="member")
    many = person("many@example.com", subject_type="member")
    from tutela.subjects.services import item_add

    for n in range(30):
        item_add(
            principal=SYSTEM,
            subject=many,
            controller="crm-asbl",
            category="user.contact.email",
            value=f"m{n}@example.com",
            source="direct",
        )
    for who in (few, many):
        services.consent_give(principal=SYSTEM, subject_id=who.pk, purpose="newsletter")
    purpose_check(identifier="few@example.com", purpose="newsletter")  # warm the policy cache
    counts = []
    for email in ("few@example.com", "many@example.com"):
        with CaptureQueriesContext(connection) as ctx:
            assert purpose_check(identifier=email, purpose="newsletter").allowed
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 8, counts


def test_one_statement_facts_match_the_orm_facts(policy: Any) -> None:
    """On PostgreSQL the hot path gathers facts in one statement; they must equal the ORM's."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "the one-statement path exists on PostgreSQL only; SQLite uses the ORM path tested everywhere"
        )
    import datetime as dt

    from tutela.consent.facts_pg import gather_one_statement
    from tutela.consent.selectors import gather_facts

    ann = person("ann@example.com", phone="+32470000001", subject_type="member")
    eve = person("eve@example.com", subject_type="prospect", source="public-web")
    services.consent_give(principal=SYSTEM, subject_id=ann.pk, purpose="newsletter")
    services.consent_withdraw(
        principal=SYSTEM, subject_id=ann.pk, purpose="newsletter", controller="crm-asbl"
    )
    services.objection_register(principal=SYSTEM, subject_id=eve.pk, purpose="prospecting")
    today = dt.date(2026, 11, 25)
    for purpose in ("newsletter", "prospecting", "member-management"):
        for controller in (None, "crm-asbl", "ac-cs"):
            orm = gather_facts([ann.pk, eve.pk], purpose, controller, today=today)
            one, _, _ = gather_one_statement(
                purpose=purpose, controller=controller, today=today, ids=[ann.pk, eve.pk]
            )
            for sid in (ann.pk, eve.pk):
                a, b = orm[sid], one[sid]
                assert sorted(a.relationships, key=repr) == sorted(b.relationships, key=repr)
                assert sorted(a.items, key=repr) == sorted(b.items, key=repr)
                assert sorted(a.consents, key=repr) == sorted(b.consents, key=repr)
                assert sorted(a.objections, key=repr) == sorted(b.objections, key=repr)
                assert (a.suppressed_at, a.erased_at, a.known) == (b.suppressed_at, b.erased_at, b.known)


def test_batch_checks_are_set_based(policy: Any) -> None:
    from tutela.consent.checks import CheckRequest, purpose_check_many

    emails = [f"p{n}@example.com" for n in range(12)]
    for email in emails:
        person(email, subject_type="prospect", source="public-web")
    purpose_check_many([CheckRequest(purpose="prospecting", identifier=emails[0])])  # warm the policy cache
    counts = []
    for size in (2, 12):
        with CaptureQueriesContext(connection) as ctx:
            answers = purpose_check_many(
                [CheckRequest(purpose="prospecting", identifier=e) for e in emails[:size]]
            )
        assert all(a["allowed"] for a in answers) and len(answers) == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_one_click_withdrawal_link_for_any_consent_purpose(policy: Any, policy_data: dict[str, Any]) -> None:
    from tutela.consent.links import withdrawal_url

    key = next(
        k for k, p in policy_data["purposes"].items() if p["legal_basis"] == "consent" and k != "newsletter"
    )
    kind = policy_data["purposes"][key]["subject_types"][0]
    who = person("link@example.com", subject_type=kind)
    services.consent_give(principal=SYSTEM, subject_id=who.pk, purpose=key)
    assert purpose_check(subject_id=who.pk, purpose=key).allowed
    url = withdrawal_url(who.pk, key)
    path = url.removeprefix(__import__("django.conf").conf.settings.TUTELA_BASE_URL)
    answer = Client().post(path)
    assert answer.status_code == 200 and _json(answer) == {"withdrawn": True}
    decision = purpose_check(subject_id=who.pk, purpose=key)
    assert not decision.allowed and decision.codes[0] == "withdrawn"
    assert Client().post(path).status_code == 200  # a second click is harmless
    assert Client().post(path.replace(key, "newsletter")).status_code == 404  # the MAC covers the purpose
