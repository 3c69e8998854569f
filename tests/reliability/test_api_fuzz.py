"""Schemathesis against /api/v1/openapi.json, for every operation, anonymous and as the DPO.

No operation may answer 5xx; responses must match the schema; an anonymous caller never receives personal
data (a known person's e-mail address must never appear in an anonymous answer). Each operation is fuzzed
with a fixed, derandomised number of generated requests so the run is repeatable and bounded."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.factories.subjects import SubjectFactory, email_item

KNOWN_EMAIL = "fuzz.target@example.org"
FUZZ = settings(
    max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def operations(db: Any, policy: Any) -> list[Any]:
    from tutela.wsgi import application

    subject = SubjectFactory()
    email_item(subject, KNOWN_EMAIL)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) > 10, "the API schema lists suspiciously few operations"
    return found


def _fuzz(operations: list[Any], headers: dict[str, str], anonymous: bool) -> list[str]:
    failures: list[str] = []
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)
            if anonymous:
                assert KNOWN_EMAIL not in response.text, "personal data returned to an anonymous caller"

        try:
            run()
        except Exception as exc:  # collect every failing operation, then report them all at once
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    return failures


def test_anonymous_callers_get_no_server_error_and_no_personal_data(operations: list[Any]) -> None:
    failures = _fuzz(operations, {}, anonymous=True)
    assert not failures, "\n\n".join(failures)


def test_the_dpo_gets_no_server_error_and_schema_conformant_answers(operations: list[Any]) -> None:
    from tutela.accounts.principal import CLI
    from tutela.accounts.services import staff_create, token_create

    user, _ = staff_create(principal=CLI, username="fuzz-dpo", email="dpo@example.org", role="dpo")
    token = token_create(principal=CLI, user=user, name="fuzz")
    failures = _fuzz(operations, {"Authorization": f"Bearer {token}"}, anonymous=False)
    assert not failures, "\n\n".join(failures)
