"""Late-bound access to other apps' services and selectors, so a page shows "not available yet" instead of
crashing while a piece is missing. Every call site names the function it needs by dotted path."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def resolve(path: str) -> Callable[..., Any] | None:
    """The function at ``"package.module.name"``, or None when the module or the name does not exist."""
    module_name, _, name = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    found = getattr(module, name, None)
    return found if callable(found) else None


def available(*paths: str) -> bool:
    return all(resolve(p) is not None for p in paths)
