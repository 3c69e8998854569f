"""Policy API: anonymous notice, versions, YAML and diff; the RoPA for staff only, scoped to their entity."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories.policy import PolicyVersionFactory
from tests.policy.helpers import shipped_text
from tutela.accounts.principal import CLI
from tutela.accounts.services import staff_create, token_create


def _bearer(role: str, controller: str = "") -> dict[str, str]:
    user, _ = staff_create(
        principal=CLI,
        username=f"{role}-{controller or 'all'}",
        email=f"{role}@example.org",
        role=role,
        controller=controller,
    )
    return {"HTTP_AUTHORIZATION": "Bearer " + token_create(principal=CLI, user=user, name="test")}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "fmt", "heading"),
    [("en", "html", "Your rights"), ("fr", "md", "Vos droits"), ("nl", "html", "Uw rechten")],
)
def test_anonymous_notice(policy: Any, lang: str, fmt: str, heading: str) -> None:
    r = Client().get("/api/v1/policy/notice", {"lang": lang, "format": fmt})
    assert r.status_code == 200
    body = r.content.decode()
    assert heading in body and "dpo@crmgroup.be" in body
    assert r["Content-Type"].startswith("text/html" if fmt == "html" else "text/markdown")
    assert r["Content-Language"] == lang


@pytest.mark.django_db
def test_bad_notice_parameters_are_400(policy: Any) -> None:
    c = Client()
    assert c.get("/api/v1/policy/notice", {"lang": "de"}).status_code == 400
    assert c.get("/api/v1/policy/notice", {"format": "pdf"}).status_code == 400
    assert c.get("/api/v1/policy/notice", {"version": 9}).status_code == 404


@pytest.mark.django_db
def test_anonymous_versions_yaml_and_diff(policy: Any) -> None:
    PolicyVersionFactory(
        label="2027-04", replacements=[("    period: P6M\n", "    period: P3M\n")], substantial=True
    )
    c = Client()
    listed = c.get("/api/v1/policy/versions").json()
    assert [v["version"] for v in listed] == [2, 1]
    assert all("loaded_by" not in v for v in listed)
    assert listed[0]["substantial"] is True
    assert c.get("/api/v1/policy/versions/1").json()["label"] == "2026-11"
    yaml_body = c.get("/api/v1/policy/versions/1/yaml")
    assert yaml_body.status_code == 200 and yaml_body.content.decode() == shipped_text()
    diff = c.get("/api/v1/policy/diff", {"a": 1, "b": 2}).json()
    assert diff["changes"]["retention"]["changed"] == {"site-registration": ["period"]}
    assert c.get("/api/v1/policy/versions/5").status_code == 404


@pytest.mark.django_db
def test_ropa_needs_staff_and_is_scoped(policy: Any, policy_data: dict[str, Any]) -> None:
    c = Client()
    assert c.get("/api/v1/policy/ropa").status_code == 401
    dpo = _bearer("dpo")
    body = c.get("/api/v1/policy/ropa", **dpo).json()  # type: ignore[arg-type]
    assert [x["key"] for x in body["controllers"]] == list(policy_data["controllers"])
    staff = _bearer("staff", "ac-cs")
    scoped = c.get("/api/v1/policy/ropa", **staff).json()  # type: ignore[arg-type]
    assert [x["key"] for x in scoped["controllers"]] == ["ac-cs"]
    assert c.get("/api/v1/policy/ropa", {"controller": "crm-asbl"}, **staff).status_code == 403  # type: ignore[arg-type]
    csv_response = c.get("/api/v1/policy/ropa", {"format": "csv"}, **dpo)  # type: ignore[arg-type]
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    assert c.get("/api/v1/policy/ropa", {"format": "xml"}, **dpo).status_code == 400  # type: ignore[arg-type]


@pytest.mark.django_db
def test_admin_registers_versions_read_only(policy: Any) -> None:
    from django.contrib import admin
    from django.test import RequestFactory

    from tutela.policy.models import PolicyVersion

    model_admin = admin.site._registry[PolicyVersion]
    request = RequestFactory().get("/admin/policy/policyversion/")
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, PolicyVersion.objects.first())
    assert not model_admin.has_delete_permission(request, PolicyVersion.objects.first())
