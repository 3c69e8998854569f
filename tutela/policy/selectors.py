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

            _cache["policy"] = parse_policy_text(
                row[1], filename=f"policy version {row[0]}", strict=False
            ).policy
            _cache["id"] = row[0]
        _cache["checked"] = now
        policy = _cache["policy"]
        assert isinstance(policy, Policy)
        return policy


def forget_cached_policy() -> None:
    with _lock:
        _cache.update({"id": None, "policy": None, "checked": 0.0})


def versions() -> list[PolicyVersion]:
    """Every stored version, newest first."""
    return list(PolicyVersion.objects.order_by("-number"))


def version_get(number: int | None = None) -> PolicyVersion:
    """Version ``number``, or the active one when ``number`` is None."""
    if number is None:
        return active_version()
    version = PolicyVersion.objects.filter(number=number).first()
    if version is None:
        raise NotFound(f"no policy version {number}; `tutela policy versions` lists them")
    return version


def version_policy(version: PolicyVersion) -> Policy:
    """The parsed policy of a stored version (the active one comes from the cache)."""
    if version.active:
        return active_policy()
    from tutela.policy.loader import parse_policy_text

    return parse_policy_text(
        version.content, filename=f"policy version {version.number}", strict=False
    ).policy


def version_diff(a: int, b: int) -> dict[str, object]:
    """What changed from version ``a`` to version ``b``: a unified diff of the YAML and a semantic summary."""
    from tutela.policy.diff import policy_diff

    old, new = version_get(a), version_get(b)
    return policy_diff(
        old.content,
        new.content,
        old_name=f"v{old.number} ({old.label})",
        new_name=f"v{new.number} ({new.label})",
    ) | {"from": old.number, "to": new.number}


def notice_render(policy: Policy, fmt: str = "html", lang: str = "en", *, standalone: bool = False) -> str:
    """The privacy notice of ``policy`` in ``fmt`` (md, html) and ``lang`` (en, fr, nl); see tutela.policy.notice."""
    from tutela.policy.notice import notice_render as render

    return render(policy, fmt, lang, standalone=standalone)
