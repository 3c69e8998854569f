"""Reads of the recipients app: transfer rules in force, the register, and the disclosure log."""

from __future__ import annotations

import threading
from typing import Any

from tutela.recipients.models import TransferRuleSet
from tutela.recipients.rules import TransferRules, parse_rules, shipped_rules_text

_lock = threading.Lock()
_cache: dict[str, Any] = {"key": None, "rules": None}


def active_rule_set() -> TransferRuleSet | None:
    """The stored rules version in force, or None when the shipped file applies."""
    return TransferRuleSet.objects.filter(active=True).first()


def active_transfer_rules() -> TransferRules:
    """The rules in force: the active stored version, else the shipped file."""
    row = TransferRuleSet.objects.filter(active=True).values_list("number", "content_hash").first()
    key = row if row is not None else ("shipped", None)
    with _lock:
        if _cache["key"] == key and isinstance(_cache["rules"], TransferRules):
            return _cache["rules"]
        if row is None:
            rules = parse_rules(shipped_rules_text(), filename="transfers.yaml (shipped)")
        else:
            content = TransferRuleSet.objects.values_list("content", flat=True).get(number=row[0])
            rules = parse_rules(content, filename=f"transfer rules v{row[0]}")
        _cache.update(key=key, rules=rules)
        return rules
