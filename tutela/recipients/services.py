"""Use cases of the recipients app that change state."""

from __future__ import annotations

import hashlib

from django.db import transaction

from tutela.core import clock
from tutela.core.audit import audit_log, current_actor
from tutela.recipients.models import TransferRuleSet
from tutela.recipients.rules import parse_rules


def transfer_rules_update(*, text: str, source_name: str) -> tuple[TransferRuleSet, bool]:
    """Validate ``text`` and make it the rules in force. Returns (version, changed)."""
    rules = parse_rules(text, filename=source_name)
    digest = hashlib.sha256(text.encode()).hexdigest()
    with transaction.atomic():
        current = TransferRuleSet.objects.select_for_update().filter(active=True).first()
        if current is not None and current.content_hash == digest:
            return current, False
        last = TransferRuleSet.objects.order_by("-number").values_list("number", flat=True).first() or 0
        TransferRuleSet.objects.filter(active=True).update(active=False)
        version = TransferRuleSet.objects.create(
            number=last + 1,
            label=rules.label,
            content=text,
            content_hash=digest,
            source_name=source_name,
            loaded_at=clock.now(),
            loaded_by=current_actor(),
            active=True,
        )
        audit_log(
            "transfer_rules.update",
            object_type="transfer_rules",
            object_id=version.number,
            payload={
                "label": rules.label,
                "hash": digest,
                "source": source_name,
                "previous": current.number if current else None,
                "decisions": len(rules.adequacy),
            },
        )
    return version, True
