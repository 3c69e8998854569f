"""Policy use cases: load (and activate) a version."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.db import transaction

from tutela.core import clock
from tutela.core.audit import audit_log, current_actor
from tutela.policy.loader import issues_error, parse_policy_text, read_policy_path
from tutela.policy.models import PolicyVersion
from tutela.policy.selectors import forget_cached_policy
from tutela.policy.signals import policy_activated


def read_policy_file(path: Path) -> str:
    """The text of a policy file; ``InvalidInput`` naming the file when it is missing, binary or not UTF-8."""
    text, issues = read_policy_path(path)
    if text is None:
        raise issues_error(issues, str(path))
    return text


def policy_load(
    *, text: str, source_name: str, substantial: bool = False, change_summary: str = ""
) -> PolicyVersion:
    """Validate ``text`` and make it the active version. Loading the active content again changes nothing.

    An invalid policy is refused with ``InvalidInput`` listing every problem (file, line, path). The version
    records who loaded it and when, its hash, label, effective date, whether it is substantial and a summary.
    A substantial version sends :data:`tutela.policy.signals.policy_activated` once the transaction commits.
    """
    parsed = parse_policy_text(text, filename=source_name)
    digest = hashlib.sha256(text.encode()).hexdigest()
    with transaction.atomic():
        current = PolicyVersion.objects.select_for_update().filter(active=True).first()
        if current is not None and current.content_hash == digest:
            return current
        last = PolicyVersion.objects.order_by("-number").values_list("number", flat=True).first() or 0
        PolicyVersion.objects.filter(active=True).update(active=False)
        version = PolicyVersion.objects.create(
            number=last + 1,
            label=parsed.policy.label,
            effective=parsed.policy.effective,
            content=text,
            content_hash=digest,
            source_name=source_name,
            loaded_at=clock.now(),
            loaded_by=current_actor(),
            substantial=substantial,
            change_summary=change_summary,
            active=True,
        )
        audit_log(
            "policy.load",
            object_type="policy_version",
            object_id=version.number,
            payload={
                "label": version.label,
                "hash": digest,
                "substantial": substantial,
                "source": source_name,
                "previous": current.number if current is not None else None,
                "summary": change_summary[:500],
            },
        )
        transaction.on_commit(forget_cached_policy)
        if substantial:
            transaction.on_commit(
                lambda: policy_activated.send(sender=PolicyVersion, version=version), robust=False
            )
    return version
