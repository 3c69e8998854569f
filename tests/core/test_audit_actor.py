"""Who the audit trail names: bound per request, per command and per task, never left to the next one.

The finding: after the DPO used the API, anonymous portal subscriptions were logged as the DPO, because the
actor set by the API's authentication stayed in the worker thread. Django's test client serves every request
in the test's thread, as one worker thread serves request after request.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import path
from django_tasks import task

from tutela import urls as tutela_urls
from tutela.accounts.principal import CLI
from tutela.accounts.services import staff_create, token_create
from tutela.core.audit import acting_as, audit_log, current_actor, set_actor
from tutela.core.middleware import AuditActorMiddleware
from tutela.core.models import AuditEntry


def probe(request: HttpRequest) -> JsonResponse:
    """A public page that records who the audit trail would name for what it writes."""
    return JsonResponse({"actor": current_actor()})


urlpatterns = [path("test-probe/actor", probe), *tutela_urls.urlpatterns]


def _dpo_bearer() -> dict[str, Any]:
    user, _ = staff_create(principal=CLI, username="dpo-api", email="dpo-api@crmgroup.be", role="dpo")
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(principal=CLI, user=user, name='integration')}"}


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_an_anonymous_request_after_the_dpos_api_call_is_anonymous(policy: Any) -> None:
    before = current_actor()
    client = Client()
    r = client.get("/api/v1/breaches/", **_dpo_bearer())
    assert r.status_code == 200, r.content
    assert client.get("/test-probe/actor").json() == {"actor": "anonymous"}
    # and the test's own context gets back the actor it had
    assert current_actor() == before


@pytest.mark.django_db
def test_a_portal_subscription_after_the_dpos_api_call_is_not_logged_as_the_dpo(policy: Any) -> None:
    client = Client()
    assert client.get("/api/v1/breaches/", **_dpo_bearer()).status_code == 200
    start = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    r = client.post("/en/newsletter/", {"email": "someone@example.org", "agree": "on"})
    assert r.status_code == 302, r.content[:300]
    actors = set(AuditEntry.objects.filter(seq__gt=start).values_list("actor", flat=True))
    assert actors, "the subscription wrote no audit entry"
    assert not any("dpo" in actor for actor in actors), actors


def test_the_middleware_gives_back_the_actor_even_when_the_view_fails() -> None:
    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(current_actor())
        set_actor("user:dpo")  # as the API's authentication does
        raise RuntimeError("boom")

    middleware = AuditActorMiddleware(view)
    with acting_as("system:outside"):
        with pytest.raises(RuntimeError):
            middleware(RequestFactory().get("/"))
        assert current_actor() == "system:outside"
    assert seen == ["anonymous"]


@pytest.mark.django_db(transaction=True)
def test_a_command_names_its_operator_and_gives_the_actor_back() -> None:
    with acting_as("system:outside"):
        call_command("audit", "anchor", "--json")
        assert current_actor() == "system:outside"
    entry = AuditEntry.objects.get(action="audit.anchor")
    assert entry.actor.startswith("cli:")


def test_an_explicit_actor_wins_over_the_context(db: Any) -> None:
    with acting_as("user:someone"):
        entry = audit_log("test.explicit", actor="subject:42")
        implicit = audit_log("test.implicit")
    assert entry.actor == "subject:42" and implicit.actor == "user:someone"


@task()
def probe_task(label: str) -> str:
    audit_log("test.task", payload={"label": label})
    return current_actor()


IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db(transaction=True)
def test_a_task_run_inline_acts_as_the_system_and_gives_the_actor_back() -> None:
    with override_settings(TASKS=IMMEDIATE), acting_as("user:dpo"):
        result = probe_task.enqueue("inline")
        assert current_actor() == "user:dpo"
    assert result.return_value == "system:tests.probe_task"
    assert AuditEntry.objects.get(action="test.task").actor == "system:tests.probe_task"


@pytest.mark.django_db(transaction=True)
def test_a_worker_names_each_task_and_leaves_no_actor_behind() -> None:
    with override_settings(TASKS=DATABASE):
        with acting_as("user:dpo"):
            probe_task.enqueue("one")
            probe_task.enqueue("two")
        with acting_as("system:worker"):
            call_command("db_worker", "--batch", verbosity=0)
            assert current_actor() == "system:worker"
    entries = AuditEntry.objects.filter(action="test.task")
    assert sorted(e.payload["label"] for e in entries) == ["one", "two"]
    assert {e.actor for e in entries} == {"system:tests.probe_task"}
