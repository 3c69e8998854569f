"""A subject type names the purposes its data are collected for; the register records those, not every
purpose that could use the data (a prospect's e-mail is not kept ten years for answering the authorities)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tutela.accounts.principal import SYSTEM
from tutela.policy.validate import validate

SHIPPED = (Path(__file__).resolve().parents[2] / "policies" / "crm-group.yaml").read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_an_unknown_or_foreign_purpose_in_collected_for_is_an_error() -> None:
    broken = SHIPPED.replace("collected_for: [prospecting]", "collected_for: [prospectng, member-management]")
    checked = validate(broken, filename="copy.yaml")
    issues = {i.path: i for i in checked.issues}
    assert not checked.valid
    typo = issues["subject_types.prospect.collected_for[0]"]
    assert "prospecting" in typo.message and typo.line == _line_of(broken, "collected_for: [prospectng")
    assert (
        "does not list subject type `prospect`" in issues["subject_types.prospect.collected_for[1]"].message
    )


@pytest.mark.django_db
def test_items_get_the_declared_purposes(policy: Any, policy_data: dict[str, Any]) -> None:
    from tutela.subjects.services import subject_create

    declared = policy_data["subject_types"]["prospect"]["collected_for"]
    assert "legal-obligations" not in declared
    from tutela.subjects.services import NewItem

    person = subject_create(
        principal=SYSTEM,
        controller="crm-asbl",
        subject_type="prospect",
        source="data-provider",
        items=[NewItem(category="user.contact.email", value="p@example.org")],
    )
    item = person.items.get()
    expected = [
        p
        for p in declared
        if "user.contact.email" in policy_data["purposes"][p]["categories"]
        or "user.contact" in policy_data["purposes"][p]["categories"]
    ]
    assert item.purposes == expected
