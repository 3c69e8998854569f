"""The consent statistics of the morning page are scoped like the rest: entity staff count their entity's
consents (and those given to both), the group-wide roles count all."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.consent import person
from tutela.accounts.principal import SYSTEM, Principal
from tutela.consent import services
from tutela.core import clock
from tutela.dashboard.charts import last_months
from tutela.dashboard.queries import consent_statistics

pytestmark = pytest.mark.django_db


def test_entity_staff_count_their_own_consents(policy: Any) -> None:
    for n, controller in enumerate(["crm-asbl", "ac-cs", "ac-cs", ""]):
        p = person(f"c{n}@example.com", subject_type="member", controller=controller or "crm-asbl")
        services.consent_give(subject_id=p.pk, purpose="newsletter", controller=controller, principal=SYSTEM)
    today = clock.today()
    months = last_months(today.year, today.month)
    dpo = Principal(actor="user:dpo", role="dpo", controller="")
    staff = Principal(actor="user:s", role="staff", controller="crm-asbl")
    other = Principal(actor="user:o", role="staff", controller="ac-cs")
    assert consent_statistics(dpo, months)["totals"] == {"given": 4}
    assert consent_statistics(staff, months)["totals"] == {"given": 2}
    assert consent_statistics(other, months)["totals"] == {"given": 3}
