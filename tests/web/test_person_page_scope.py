"""The staff person page shows one entity's staff their own entity's consent evidence and objections only.

Regression test for issue 15 §1: on a person both entities hold, staff of one entity saw the other
entity's consent events and objections.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.consent import person
from tests.web.conftest import login
from tutela.accounts.principal import SYSTEM

pytestmark = pytest.mark.django_db


def _shared_person_with_both_entities_records() -> Any:
    from tutela.consent.objections import objection_register
    from tutela.consent.services import consent_give
    from tutela.core import clock
    from tutela.subjects.services import item_add, relationship_set

    someone = person("page@example.com", subject_type="prospect", controller="crm-asbl")
    relationship_set(
        subject=someone.pk,
        controller="ac-cs",
        kind="prospect",
        last_interest_on=clock.today(),
        principal=SYSTEM,
    )
    item_add(
        subject=someone.pk,
        controller="ac-cs",
        category="user.contact.email",
        value="page.b@example.com",
        source="direct",
        subject_type="prospect",
        principal=SYSTEM,
    )
    consent_give(subject_id=someone.pk, purpose="newsletter", controller="crm-asbl", principal=SYSTEM)
    consent_give(subject_id=someone.pk, purpose="partner-promotion", controller="ac-cs", principal=SYSTEM)
    objection_register(subject_id=someone.pk, purpose="prospecting", controller="ac-cs", principal=SYSTEM)
    return someone


def _page(client: Any, make_staff: Any, role: str, controller: str, public_id: Any) -> str:
    user, password, device = make_staff(role, controller)
    login(client, user.username, password, device)
    response = client.get(f"/staff/people/{public_id}/")
    assert response.status_code == 200, response.status_code
    client.logout()
    return response.content.decode()


def test_staff_see_their_own_entitys_consents_and_objections_only(client: Any, make_staff: Any) -> None:
    someone = _shared_person_with_both_entities_records()
    page_a = _page(client, make_staff, "staff", "crm-asbl", someone.public_id)
    assert "newsletter" in page_a
    assert "partner-promotion" not in page_a and "objection-upheld" not in page_a
    assert "page.b@example.com" not in page_a  # the other entity's item stays out too
    page_b = _page(client, make_staff, "staff", "ac-cs", someone.public_id)
    assert "partner-promotion" in page_b and "objection-upheld" in page_b
    page_dpo = _page(client, make_staff, "dpo", "", someone.public_id)
    assert "newsletter" in page_dpo and "partner-promotion" in page_dpo and "objection-upheld" in page_dpo
