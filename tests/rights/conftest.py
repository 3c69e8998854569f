"""Rights tests run background tasks at once (the immediate backend), as the CLI does in tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
