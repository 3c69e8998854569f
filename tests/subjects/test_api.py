"""The register's REST API: scoped by controller, every read audited, bounded queries, clear errors."""

from __future__ import annotations

import pytest

from tests.subjects.conftest import EMAIL, NN
from tutela.accounts.principal import CLI, SYSTEM
from tutela.accounts.services import staff_create, token_create
from tutela.core.models import AuditEntry
from tutela.subjects import services
from tutela.subjects.services import NewItem

pytestmark = pytest.mark.django_db

NN_1985 = "85073003328"


def bearer(role: str, controller: str = "", name: str = "u") -> dict[str, str]:
    user, _ = staff_create(
        principal=CLI, username=name, email=f"{name}@crmgroup.be", role=role, controller=controller
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(principal=CLI, user=user, name='t')}"}


@pytest.fixture
def people(register_policy):
    a = services.subject_create(
        principal=SYSTEM,
        controller="crm-asbl",
        subject_type="member",
        source="direct",
        items=[NewItem("user.name", "Jan Peeters"), NewItem(EMAIL, "jan@example.be"), NewItem(NN, NN_1985)],
    )
    b = services.subject_create(
        principal=SYSTEM,
        controller="ac-cs",
        subject_type="member",
        source="direct",
        items=[NewItem("user.name", "Anne Lejeune"), NewItem(EMAIL, "anne@example.be")],
    )
    return a, b


def test_staff_get_404_for_the_other_controllers_people(client, people) -> None:
    a, b = people
    crm = bearer("staff", "crm-asbl", "crm")
    assert client.get(f"/api/v1/subjects/{a.pk}", **crm).status_code == 200
    other = client.get(f"/api/v1/subjects/{b.pk}", **crm)
    assert other.status_code == 404 and other.json()["error"]
    assert client.get(f"/api/v1/subjects/{b.public_id}", **crm).status_code == 404
    assert client.get("/api/v1/subjects/search", {"identifier": "anne@example.be"}, **crm).status_code == 404
    assert client.get("/api/v1/subjects/999999", **crm).status_code == 404
    listed = client.get("/api/v1/subjects/", **crm).json()
    assert [r["id"] for r in listed["results"]] == [a.pk] and listed["count"] == 1
    patch = client.patch(
        f"/api/v1/subjects/{b.pk}/items/{b.items.first().pk}",
        {"value": "x", "source": "direct"},
        content_type="application/json",
        **crm,
    )
    assert patch.status_code == 404
    dpo = bearer("dpo", name="dpo")
    assert client.get(f"/api/v1/subjects/{b.pk}", **dpo).status_code == 200
    assert client.get("/api/v1/subjects/", **dpo).json()["count"] == 2


def test_every_read_is_in_the_audit_trail_with_its_purpose(client, people) -> None:
    a, _ = people
    crm = bearer("staff", "crm-asbl", "crm")
    before = AuditEntry.objects.filter(action="subject.read").count()
    body = client.get(f"/api/v1/subjects/{a.pk}", {"purpose": "member-management"}, **crm).json()
    nn = next(i for i in body["items"] if i["category"] == NN)
    assert nn["value"] != NN_1985 and nn["value"].endswith("28") and nn["sensitive"]
    client.get("/api/v1/subjects/search", {"identifier": "jan@example.be"}, **crm)
    client.get("/api/v1/subjects/", {"name": "peeters"}, **crm)
    reads = AuditEntry.objects.filter(action="subject.read").order_by("seq")
    assert reads.count() == before + 3
    first = reads[before]
    assert first.subject_id == a.pk and first.actor.startswith("user:crm")
    assert first.payload["purpose"] == "member-management"
    assert all(r.subject_id == a.pk for r in reads[before:])
    bad = client.get(f"/api/v1/subjects/{a.pk}", {"purpose": "no-such"}, **crm)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "purpose"


def test_reveal_is_audited_and_refused_to_auditors(client, people) -> None:
    a, _ = people
    dpo = bearer("dpo", name="dpo")
    body = client.get(f"/api/v1/subjects/{a.pk}", {"reveal": "true"}, **dpo).json()
    assert next(i for i in body["items"] if i["category"] == NN)["value"] == NN_1985
    entry = AuditEntry.objects.get(action="subject.reveal")
    assert entry.payload["categories"] == [NN] and NN_1985 not in str(entry.payload)
    auditor = bearer("auditor", name="aud")
    assert client.get(f"/api/v1/subjects/{a.pk}", {"reveal": "true"}, **auditor).status_code == 403


def test_create_rectify_and_errors(client, register_policy) -> None:
    crm = bearer("staff", "crm-asbl", "crm")
    body = {
        "controller": "crm-asbl",
        "subject_type": "member",
        "source": "direct",
        "language": "fr",
        "items": [
            {"category": EMAIL, "value": "Nouveau@Example.be"},
            {"category": NN, "value": "85.07.30-033.28"},
        ],
    }
    created = client.post("/api/v1/subjects/", body, content_type="application/json", **crm)
    assert created.status_code == 201, created.json()
    person = created.json()
    email = next(i for i in person["items"] if i["category"] == EMAIL)
    assert email["value"] == "nouveau@example.be" and person["language"] == "fr"
    fixed = client.patch(
        f"/api/v1/subjects/{person['id']}/items/{email['id']}",
        {"value": "autre@example.be", "source": "direct", "reason": "asked by phone"},
        content_type="application/json",
        **crm,
    )
    assert fixed.status_code == 200 and fixed.json()["value"] == "autre@example.be"
    bad = client.post(
        "/api/v1/subjects/",
        {**body, "items": [{"category": NN, "value": "85073003329"}]},
        content_type="application/json",
        **crm,
    )
    assert bad.status_code == 400 and "85073003329" not in bad.content.decode()
    assert "national number" in bad.json()["errors"][0]["message"]
    other = client.post(
        "/api/v1/subjects/", {**body, "controller": "ac-cs"}, content_type="application/json", **crm
    )
    assert other.status_code == 403
    missing = client.post(
        "/api/v1/subjects/", {"controller": "crm-asbl"}, content_type="application/json", **crm
    )
    assert missing.status_code == 422 and missing.json()["errors"]
    added = client.post(
        f"/api/v1/subjects/{person['id']}/items",
        {"controller": "crm-asbl", "category": "user.name", "value": "Nouveau", "source": "direct"},
        content_type="application/json",
        **crm,
    )
    assert added.status_code == 201
    lang = client.patch(
        f"/api/v1/subjects/{person['id']}", {"language": "nl"}, content_type="application/json", **crm
    )
    assert lang.json()["language"] == "nl"
    assert client.get("/api/v1/subjects/").status_code == 401


def test_list_filters_pagination_and_bounded_queries(
    client, register_policy, django_assert_max_num_queries
) -> None:
    for n in range(30):
        services.subject_create(
            principal=SYSTEM,
            controller="crm-asbl",
            subject_type="member" if n % 2 else "prospect",
            source="direct",
            items=[
                NewItem("user.name", f"Person {n}"),
                NewItem(EMAIL, f"p{n}@example.be"),
                NewItem(NN, NN_1985),
            ],
        )
    crm = bearer("staff", "crm-asbl", "crm")
    with django_assert_max_num_queries(16):
        page = client.get("/api/v1/subjects/", {"limit": 25}, **crm).json()
    assert page["count"] == 30 and len(page["results"]) == 25
    with django_assert_max_num_queries(16):
        rest = client.get("/api/v1/subjects/", {"limit": 25, "offset": 25}, **crm).json()
    assert len(rest["results"]) == 5
    prospects = client.get("/api/v1/subjects/", {"subject_type": "prospect"}, **crm).json()
    assert prospects["count"] == 15
    found = client.get("/api/v1/subjects/", {"q": "p3@example.be"}, **crm).json()
    assert found["count"] == 1 and found["results"][0]["name"] == "Person 3"
    assert client.get("/api/v1/subjects/", {"limit": 1000}, **crm).status_code == 422
