"""The admin shows the register without ever showing a sensitive value in clear."""

from __future__ import annotations

import pytest
from django.contrib.admin import site
from django.contrib.auth import get_user_model
from django.contrib.messages.storage import default_storage
from django.test import RequestFactory

from tests.subjects.conftest import NN
from tutela.accounts.principal import SYSTEM
from tutela.subjects import services
from tutela.subjects.models import DataItem, Relationship, Subject
from tutela.subjects.services import NewItem

pytestmark = pytest.mark.django_db


def test_admin_pages_mask_sealed_values(client, register_policy) -> None:
    person = services.subject_create(
        principal=SYSTEM,
        controller="crm-asbl",
        subject_type="member",
        source="direct",
        items=[NewItem(NN, "85073003328")],
    )
    item = person.items.get()
    admin_user = get_user_model().objects.create_superuser("root", "root@crmgroup.be", "pw-for-tests-only")
    factory = RequestFactory()
    pages = [
        (DataItem, lambda ma, rq: ma.changelist_view(rq)),
        (DataItem, lambda ma, rq: ma.change_view(rq, str(item.pk))),
        (Subject, lambda ma, rq: ma.change_view(rq, str(person.pk))),
        (Subject, lambda ma, rq: ma.changelist_view(rq)),
        (Relationship, lambda ma, rq: ma.changelist_view(rq)),
    ]
    bodies = []
    for model, view in pages:
        request = factory.get("/admin/")
        request.user = admin_user
        request.session = {}
        request._messages = default_storage(request)
        response = view(site._registry[model], request)
        response.render()
        assert response.status_code == 200, model
        body = response.content.decode()
        assert "85073003328" not in body and item.value_sealed not in body, model
        bodies.append(body)
    assert "(sealed)" in bodies[0]
