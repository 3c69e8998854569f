"""Reads of the policy: the active version, parsed once per process and refreshed when it changes."""

from __future__ import annotations

import threading
import time

from tutela.core.errors import NotFound
from tutela.policy.models import PolicyVersion
from tutela.policy.schema import Policy

_lock = threading.Lock()
_cache: dict[str, object] = {"id": None, "policy": None, "checked": 0.0}
#: seconds a process trusts its cached policy before asking the database which version is active
RECHECK_SECONDS = 5.0


def active_version() -> PolicyVersion:
    version = PolicyVersion.objects.filter(active=True).first()
    if version is None:
        raise NotFound("no policy is active: run `tutela init` or `tutela policy load FILE`")
    return version


def active_policy() -> Policy:
    """The active policy as a :class:`Policy`; cheap to call on hot paths."""
    now = time.monotonic()
    cached = _cache["policy"]
    if isinstance(cached, Policy) and now - float(_cache["checked"]) < RECHECK_SECONDS:  # type: ignore[arg-type]
        return cached
    with _lock:
        row = PolicyVersion.objects.filter(active=True).values_list("id", "content").first()
        if row is None:
            raise NotFound("no policy is active: run `tutela init` or `tutela policy load FILE`")
        if row[0] != _cache["id"] or not isinstance(_cache["policy"], Policy):
            from tutela.policy.loader import parse_policy_text

            _cache["policy"] = parse_policy_text(row[1], filename=f"policy version {row[0]}").policy
            _cache["id"] = row[0]
        _cache["checked"] = now
        policy = _cache["policy"]
        assert isinstance(policy, Policy)
        return policy


def forget_cached_policy() -> None:
    with _lock:
        _cache.update({"id": None, "policy": None, "checked": 0.0})
