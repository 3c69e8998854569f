"""The breach services decide who may act themselves (issue 15 §1), whatever door calls them: the register is
read by the DPO, privacy officers and auditors; anyone who may write reports; the follow-up is for the DPO and
privacy officers. What a service writes is audited under the principal's actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.factories.breaches import facts, report
from tutela.accounts.models import Role
from tutela.accounts.principal import CLI, Principal
from tutela.breaches import notifications, selectors, services
from tutela.breaches.models import Breach, BreachEvent
from tutela.core.errors import PermissionDenied
from tutela.core.models import AuditEntry

STAFF = Principal(actor="user:staff-crm", role=Role.STAFF, controller="crm-asbl")
AUDITOR = Principal(actor="user:auditor", role=Role.AUDITOR)
PRIVACY_OFFICER = Principal(actor="user:po", role=Role.PRIVACY_OFFICER)

READS: dict[str, Callable[[Principal, int], Any]] = {
    "breach_list": lambda p, b: selectors.breach_list(principal=p),
    "breach_detail": lambda p, b: selectors.breach_detail(b, principal=p),
    "open_breach_clocks": lambda p, b: selectors.open_breach_clocks(principal=p),
    "register_entries": lambda p, b: selectors.register_entries(principal=p),
    "register_export": lambda p, b: selectors.register_export("csv", principal=p),
}

WRITES: dict[str, Callable[[Principal, int], Any]] = {
    "start_investigation": lambda p, b: services.breach_start_investigation(principal=p, breach_id=b),
    "record_investigation": lambda p, b: services.breach_record_investigation(
        principal=p, breach_id=b, records_concerned=3
    ),
    "assess": lambda p, b: services.breach_assess(principal=p, breach_id=b, facts=facts()),
    "update_register": lambda p, b: services.breach_update_register(principal=p, breach_id=b, main_cause="x"),
    "add_event": lambda p, b: services.breach_add_event(principal=p, breach_id=b, text="called the host"),
    "add_change": lambda p, b: services.breach_add_change(principal=p, breach_id=b, description="MFA"),
    "dpo_review": lambda p, b: services.breach_dpo_review(principal=p, breach_id=b, text="seen"),
    "notify_authority": lambda p, b: services.breach_notify_authority(
        principal=p, breach_id=b, delay_reasons="late"
    ),
    "decide": lambda p, b: services.breach_decide(
        principal=p, breach_id=b, notify_authority=True, notify_subjects=False, reason="r"
    ),
    "notify_subjects": lambda p, b: notifications.breach_notify_subjects(principal=p, breach_id=b),
    "notices_retry": lambda p, b: notifications.breach_notices_retry(principal=p, breach_id=b),
}


def _footprint(breach_id: int) -> tuple[int, int, str]:
    b = Breach.objects.get(pk=breach_id)
    return AuditEntry.objects.count(), BreachEvent.objects.filter(breach_id=breach_id).count(), b.status


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(READS))
def test_a_staff_member_may_not_read_the_register_but_an_auditor_may(policy: Any, name: str) -> None:
    breach = report(controller="crm-asbl")
    with pytest.raises(PermissionDenied):
        READS[name](STAFF, breach.pk)
    assert READS[name](AUDITOR, breach.pk) is not None


@pytest.mark.django_db
def test_the_auditor_reads_the_same_register_as_the_dpo(policy: Any) -> None:
    breach = report(controller="crm-asbl")
    assert [r["id"] for r in selectors.breach_list(principal=AUDITOR)] == [breach.pk]
    assert selectors.breach_detail(breach.pk, principal=AUDITOR)["id"] == breach.pk
    assert selectors.register_export("json", principal=AUDITOR) == selectors.register_export(
        "json", principal=CLI
    )


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["staff", "auditor"])
@pytest.mark.parametrize("name", sorted(WRITES))
def test_only_the_dpo_and_privacy_officers_follow_a_breach_up(policy: Any, name: str, who: str) -> None:
    breach = report(controller="crm-asbl")
    before = _footprint(breach.pk)
    with pytest.raises(PermissionDenied):
        WRITES[name](STAFF if who == "staff" else AUDITOR, breach.pk)
    assert _footprint(breach.pk) == before  # nothing recorded, nothing audited


@pytest.mark.django_db
def test_a_privacy_officer_follows_up_under_their_own_name(policy: Any) -> None:
    breach = report(controller="crm-asbl")
    services.breach_decide(
        principal=PRIVACY_OFFICER,
        breach_id=breach.pk,
        notify_authority=False,
        notify_subjects=False,
        reason="r",
    )
    entry = AuditEntry.objects.get(action="breach.decide", object_id=str(breach.pk))
    assert entry.actor == "user:po"
    assert BreachEvent.objects.get(breach=breach, kind="decision").actor == "user:po"


@pytest.mark.django_db
def test_a_staff_member_reports_under_their_own_name_and_the_auditor_may_not(policy: Any) -> None:
    breach = report(STAFF, controller="crm-asbl")
    assert Breach.objects.get(pk=breach.pk).created_by == "user:staff-crm"
    assert AuditEntry.objects.get(action="breach.report", object_id=str(breach.pk)).actor == "user:staff-crm"
    assert set(BreachEvent.objects.filter(breach=breach).values_list("actor", flat=True)) == {
        "user:staff-crm"
    }
    count = Breach.objects.count()
    with pytest.raises(PermissionDenied):
        report(AUDITOR, controller="crm-asbl")
    assert Breach.objects.count() == count


@pytest.mark.django_db
def test_the_notices_worker_needs_a_principal_that_may_follow_up(policy: Any) -> None:
    with pytest.raises(PermissionDenied):
        notifications.send_pending_notices(0, principal=STAFF)
