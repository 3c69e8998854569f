"""Transfer rules are stored, versioned and audited; a new file changes answers without a code change."""

from __future__ import annotations

import datetime as dt

import pytest

from tutela.accounts.principal import SYSTEM
from tutela.core.errors import InvalidInput
from tutela.core.models import AuditEntry
from tutela.recipients.models import TransferRuleSet
from tutela.recipients.rules import shipped_rules_text
from tutela.recipients.selectors import active_transfer_rules
from tutela.recipients.services import transfer_rules_update
from tutela.recipients.transfers import transfer_check


@pytest.mark.django_db
def test_update_stores_a_version_and_changes_answers() -> None:
    on = dt.date(2026, 6, 1)
    assert transfer_check("BR", on, rules=active_transfer_rules()).adequate  # shipped file
    text = shipped_rules_text()
    start = text.index("  - country: BR")
    end = text.index("international_organisations:")
    without_brazil = text[:start] + text[end:]
    version, changed = transfer_rules_update(
        principal=SYSTEM, text=without_brazil, source_name="no-brazil.yaml"
    )
    assert changed and version.number == 1 and version.active
    assert not transfer_check("BR", on, rules=active_transfer_rules()).adequate
    again, changed = transfer_rules_update(
        principal=SYSTEM, text=without_brazil, source_name="no-brazil.yaml"
    )
    assert not changed and again.pk == version.pk
    v2, _ = transfer_rules_update(principal=SYSTEM, text=text, source_name="transfers.yaml")
    assert v2.number == 2
    assert TransferRuleSet.objects.filter(active=True).get().number == 2
    assert transfer_check("BR", on, rules=active_transfer_rules()).adequate
    assert AuditEntry.objects.filter(action="transfer_rules.update").count() == 2


@pytest.mark.django_db
def test_invalid_update_changes_nothing() -> None:
    with pytest.raises(InvalidInput) as err:
        transfer_rules_update(
            principal=SYSTEM,
            text="label: x\neea: {eu: [BE], efta: []}\nadequacy: 3\n",
            source_name="bad.yaml",
        )
    assert all(e.file == "bad.yaml" for e in err.value.errors)
    assert any(e.line == 3 for e in err.value.errors)
    assert not TransferRuleSet.objects.exists()
    assert not AuditEntry.objects.filter(action="transfer_rules.update").exists()
