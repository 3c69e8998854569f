"""Mail sent by the web part, received by a real local SMTP server: headers, language and links."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.factories.rights import member
from tutela.accounts.principal import SYSTEM


def _load_substantial(policy_data: dict[str, Any], summary: str) -> Any:
    from tutela.policy.services import policy_load

    data = dict(policy_data)
    data["label"] = "2027-02"
    return policy_load(
        text=yaml.safe_dump(data, allow_unicode=True),
        source_name="next.yaml",
        substantial=True,
        change_summary=summary,
    )


@pytest.mark.django_db(transaction=True)
def test_substantial_change_enqueues_and_mails_each_person_in_their_language(
    policy: Any, policy_data: dict[str, Any], smtp_server: Any, settings: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    from tutela.portal.models import PolicyChangeNotice
    from tutela.portal.notify import policy_change_plan, policy_change_send

    member("marie@example.be", language="fr")
    member("jan@example.be", language="nl")
    member("ann@example.be", language="en")
    gone = member("gone@example.be", language="en")
    from tutela.subjects.models import Subject

    Subject.objects.filter(pk=gone.pk).update(erased_at=gone.created_at)  # an erased person is not told
    version = _load_substantial(policy_data, "A new purpose")
    # the signal enqueued the task (database backend in tests): run its work the way the worker would
    assert DBTaskResult.objects.filter(task_path="tutela.portal.tasks.notify_policy_change").count() == 1
    assert policy_change_plan(principal=SYSTEM, version_number=version.number) == 3
    assert policy_change_plan(principal=SYSTEM, version_number=version.number) == 0  # idempotent
    counts = policy_change_send(principal=SYSTEM, version_number=version.number, batch=2)  # two batches
    assert counts == {"sent": 3, "no_address": 0, "failed": 0}
    assert policy_change_send(principal=SYSTEM, version_number=version.number) == {
        "sent": 0,
        "no_address": 0,
        "failed": 0,
    }
    messages = {m["To"]: m for m in smtp_server.wait_for(3)}
    assert set(messages) == {"marie@example.be", "jan@example.be", "ann@example.be"}
    fr = messages["marie@example.be"]
    assert fr["Content-Language"] == "fr"
    assert "déclaration de confidentialité" in fr["Subject"]
    body = fr.get_body(preferencelist=("plain",)).get_content()
    assert f"{settings.TUTELA_BASE_URL}/fr/policy/" in body
    assert f"/fr/policy/diff/?a=1&b={version.number}" in body
    assert messages["jan@example.be"]["Content-Language"] == "nl"
    assert (
        f"{settings.TUTELA_BASE_URL}/nl/policy/"
        in messages["jan@example.be"].get_body(preferencelist=("plain",)).get_content()
    )
    assert messages["ann@example.be"]["Reply-To"] == policy_data["dpo"]["email"]
    assert PolicyChangeNotice.objects.filter(state="sent").count() == 3


@pytest.mark.django_db
def test_minor_change_tells_nobody(policy: Any, policy_data: dict[str, Any]) -> None:
    from django_tasks_db.models import DBTaskResult

    from tutela.policy.services import policy_load

    data = dict(policy_data)
    data["label"] = "2027-03"
    policy_load(text=yaml.safe_dump(data), source_name="minor.yaml")
    assert not DBTaskResult.objects.filter(task_path="tutela.portal.tasks.notify_policy_change").exists()


@pytest.mark.django_db
def test_the_portal_announces_a_substantial_change(
    client: Any, policy: Any, policy_data: dict[str, Any]
) -> None:
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)
    _load_substantial(policy_data, "We now share data with a new processor")
    for lang in ("en", "fr", "nl"):
        html = client.get(f"/{lang}/").content.decode()
        assert "We now share data with a new processor" in html
        assert "2027-02" in html
