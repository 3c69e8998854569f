"""The authorisation matrix of the API, walked from its own OpenAPI description.

- anonymous callers reach only the public operations listed here (the portal's), and get 401 elsewhere;
- the read-only auditor never succeeds at a change, whatever valid body it sends;
- staff of one entity cannot see the other entity's people, requests or records by guessing ids (404).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings

from tests.factories.subjects import RelationshipFactory, SubjectFactory, email_item

#: the operations a stranger may call: the public notice and the portal's forms (reviewed on purpose)
PUBLIC = {
    ("GET", "/api/v1/policy/notice"),
    ("GET", "/api/v1/policy/versions"),
    ("GET", "/api/v1/policy/versions/{number}"),
    ("GET", "/api/v1/policy/versions/{number}/yaml"),
    ("GET", "/api/v1/policy/diff"),
    ("GET", "/api/v1/consent/newsletter/topics"),
    ("POST", "/api/v1/consent/newsletter/subscribe"),
    ("POST", "/api/v1/consent/newsletter/confirm/{token}"),
    ("POST", "/api/v1/consent/unsubscribe/{token}"),
    ("POST", "/api/v1/consent/withdraw/{token}"),
    ("POST", "/api/v1/requests/portal"),
    ("POST", "/api/v1/requests/portal/verify"),
    ("POST", "/api/v1/requests/portal/code"),
    ("GET", "/api/v1/requests/portal/status"),
}


#: POST operations that change nothing (they compute an answer from a posted list or facts)
READS_BY_POST = {
    ("POST", "/api/v1/purpose/check"),
    ("POST", "/api/v1/purpose/scrub"),
    ("POST", "/api/v1/breaches/assess"),
}


def _operations() -> list[tuple[str, str]]:
    from tutela.api.urls import api

    return [(m.upper(), p) for p, ops in api.get_openapi_schema()["paths"].items() for m in ops]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _token(role: str, controller: str = "") -> str:
    from tutela.accounts.principal import CLI
    from tutela.accounts.services import staff_create, token_create

    user, _ = staff_create(
        principal=CLI,
        username=f"{role}-{controller or 'all'}",
        email=f"{role}@example.org",
        role=role,
        controller=controller,
    )
    return token_create(principal=CLI, user=user, name="matrix")


@pytest.mark.django_db
def test_the_public_operations_are_exactly_the_reviewed_list(policy: Any) -> None:
    client = Client()
    opened = set()
    for method, path in _operations():
        response = client.generic(method, _concrete(path), data="{}", content_type="application/json")
        assert response.status_code < 500, (method, path, response.status_code)
        if response.status_code != 401:
            opened.add((method, path))
    assert opened == PUBLIC, (
        f"reachable without authentication: {sorted(opened - PUBLIC)}; "
        f"public operations that now ask for it: {sorted(PUBLIC - opened)}"
    )


@pytest.mark.django_db
def test_the_auditor_never_succeeds_at_a_change(policy: Any) -> None:
    from tutela.wsgi import application

    token = _token("auditor")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    succeeded: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        if operation.method.upper() == "GET" or key in PUBLIC or key in READS_BY_POST:
            continue

        @settings(
            max_examples=4,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def attempt(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            label = f"{case.operation.method.upper()} {case.operation.path}"
            assert response.status_code < 500, f"{label}: {response.status_code}"
            if response.status_code < 300:
                succeeded.append(f"{label} -> {response.status_code}")

        attempt()
    assert not succeeded, "the auditor changed something: " + "; ".join(sorted(set(succeeded)))


@pytest.mark.django_db
def test_staff_of_one_entity_get_404_for_the_other_entitys_records(policy: Any) -> None:
    person = SubjectFactory()
    email_item(person, "member.of.crm@example.org", controller="crm-asbl")
    RelationshipFactory(subject=person, controller="crm-asbl", kind="member")
    other = Client(HTTP_AUTHORIZATION=f"Bearer {_token('staff', 'ac-cs')}")
    own = Client(HTTP_AUTHORIZATION=f"Bearer {_token('staff', 'crm-asbl')}")
    for path in (
        f"/api/v1/subjects/{person.pk}",
        f"/api/v1/subjects/{person.public_id}",
        f"/api/v1/consent/subjects/{person.pk}",
        f"/api/v1/retention/subjects/{person.pk}/summary",
    ):
        theirs, mine = other.get(path).status_code, own.get(path).status_code
        # either the record exists for its own entity only (404 for the other), or the route is for
        # group-wide roles and refuses every staff member alike (403): nothing tells the record exists
        assert (theirs, mine) in ((404, 200), (403, 403)), (path, theirs, mine)
    hits = other.get("/api/v1/subjects/search", {"q": "member.of.crm@example.org"})
    assert "member.of.crm" not in hits.content.decode()
