"""Reporting (§12.1): everything the policy asks, high urgency, the DPO alerted at once, processor reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from tests.factories.breaches import report
from tutela.accounts.principal import CLI
from tutela.breaches.models import Breach
from tutela.breaches.services import Reporter
from tutela.core import clock
from tutela.core.errors import InvalidInput
from tutela.core.models import AuditEntry


@pytest.mark.django_db(transaction=True)
def test_report_alerts_the_dpo_with_the_urgency_marker(
    policy: Any, policy_data: dict[str, Any], smtp_server: Any
) -> None:
    breach = report(people_concerned=25, controller="crm-asbl")
    [mail] = smtp_server.wait_for(1)
    assert policy_data["breach"]["urgency_marker"] in mail["Subject"]
    assert policy_data["breach"]["report_to"] in mail["To"]
    assert mail["Importance"] == "high"
    body = mail.get_body(("plain",)).get_content()
    for expected in ("Martens, Els", "Rue Haute 1, 1000 Brussels", "els.martens@example.org", "+32 2 555 01 01",
                     "25", "wrong mailing list", "Data sent or shown to the wrong person"):  # fmt: skip
        assert expected in body, expected
    stored = Breach.objects.get(pk=breach.pk)
    assert stored.urgency == "high" and stored.status == "reported"
    assert AuditEntry.objects.filter(action="breach.report", object_id=str(breach.pk)).exists()


@pytest.mark.django_db(transaction=True)
def test_nothing_is_mailed_when_the_report_is_refused(policy: Any, smtp_server: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        report(reporter=Reporter(name="", address="", phone=""), description="short", incident_type="meteor")
    fields = {e.field for e in exc.value.errors}
    assert {"reporter.name", "reporter.address", "reporter.phone", "incident_type", "description"} <= fields
    assert Breach.objects.count() == 0
    assert smtp_server.wait_for(1, timeout=0.5) == []


@pytest.mark.django_db
def test_processor_report_is_recorded_with_its_time(policy: Any) -> None:
    at = dt.datetime(2026, 11, 24, 8, 15, tzinfo=clock.BRUSSELS)
    with time_machine.travel(dt.datetime(2026, 11, 24, 10, 0, tzinfo=clock.BRUSSELS), tick=False):
        breach = report(
            processor="Mailing House NV",
            processor_reported_at=at,
            detected_at=dt.datetime(2026, 11, 24, 9, 0, tzinfo=clock.BRUSSELS),
        )
    stored = Breach.objects.get(pk=breach.pk)
    assert stored.processor == "Mailing House NV"
    assert stored.processor_reported_at == at
    # the controller is aware when the processor tells it, before its own staff detected anything
    assert stored.aware_at == at
    kinds = list(stored.events.values_list("kind", flat=True))
    assert "processor_report" in kinds


@pytest.mark.django_db
def test_future_times_and_unknown_controller_are_refused(policy: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        report(detected_at=clock.now() + dt.timedelta(days=2), controller="nobody")
    assert {e.field for e in exc.value.errors} == {"detected_at", "controller"}


@pytest.mark.django_db
def test_report_with_facts_is_assessed_at_once_or_not_at_all(policy: Any) -> None:
    from tests.factories.breaches import facts

    with pytest.raises(InvalidInput) as exc:
        report(facts=facts(data_categories=["user.name", "user.nothing"]))
    assert exc.value.errors[0].field == "facts.data_categories[1]"
    assert Breach.objects.count() == 0
    breach = report(facts=facts(malicious=True, confidentiality={"lost": True, "recipient": "unknown"}))
    assert breach.notify_authority is True and breach.status == "assessed"
    assert breach.assessments.count() == 1


@pytest.mark.django_db
def test_listing_costs_the_same_queries_for_one_or_many(
    policy: Any, django_assert_max_num_queries: Any
) -> None:
    from tutela.breaches.selectors import breach_list, open_breach_clocks, register_entries

    report()
    with django_assert_max_num_queries(3):
        breach_list(principal=CLI)
    for _ in range(4):
        report()
    with django_assert_max_num_queries(3):
        assert len(breach_list(principal=CLI)) == 5
    with django_assert_max_num_queries(3):
        assert len(open_breach_clocks(principal=CLI)) == 5
    with django_assert_max_num_queries(4):
        assert len(register_entries(principal=CLI)) == 5
