"""Policy use cases: load (and activate) a version."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.db import transaction

from tutela.core import clock
from tutela.core.audit import audit_log, current_actor
from tutela.core.errors import InvalidInput
from tutela.policy.loader import parse_policy_text
from tutela.policy.models import PolicyVersion
from tutela.policy.selectors import forget_cached_policy


def read_policy_file(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text (byte {exc.start})") from None


def policy_load(
    *, text: str, source_name: str, substantial: bool = False, change_summary: str = ""
) -> PolicyVersion:
    """Validate ``text`` and make it the active version. Loading the active content again changes nothing."""
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
            },
        )
        transaction.on_commit(forget_cached_policy)
    return version
