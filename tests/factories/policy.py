"""Factories for policy versions: variants of the shipped policy, loaded through the service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import factory

from tutela.policy.models import PolicyVersion

SHIPPED = Path(__file__).resolve().parents[2] / "policies" / "crm-group.yaml"


def shipped_text() -> str:
    return SHIPPED.read_text(encoding="utf-8")


def policy_variant(*replacements: tuple[str, str], label: str | None = None) -> str:
    """The shipped policy with each ``(old, new)`` applied once (each ``old`` must occur)."""
    text = shipped_text()
    for old, new in replacements:
        assert old in text, f"not in the shipped policy: {old!r}"
        text = text.replace(old, new, 1)
    if label is not None:
        text = text.replace('label: "2026-11"', f'label: "{label}"', 1)
    return text


class PolicyVersionFactory(factory.Factory):
    """``PolicyVersionFactory(label="2027-01", substantial=True)`` loads a variant through ``policy_load``."""

    class Meta:
        model = PolicyVersion

    label = factory.Sequence(lambda n: f"test-{n}")
    substantial = False
    change_summary = ""
    replacements: Any = ()

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> PolicyVersion:
        from tutela.policy.services import policy_load

        text = policy_variant(*kwargs.pop("replacements", ()), label=kwargs.pop("label"))
        return policy_load(
            text=text,
            source_name="factory.yaml",
            substantial=kwargs.pop("substantial"),
            change_summary=kwargs.pop("change_summary"),
        )
