"""Background tasks act as the system, named after the task, and give the actor back when they end.

Connected to django-tasks' ``task_started``/``task_finished`` signals, which every backend Tutela uses sends
(the database worker, the immediate backend running a task inside a web request or a command, RQ): a task
run inline never leaves its actor to the rest of the request, and a worker thread never lends one task's
actor to the next. A task may still name itself more precisely (``acting_as("system:retention")``).
"""

from __future__ import annotations

import contextvars
import threading
from typing import Any

from django_tasks.signals import task_finished, task_started

_tokens: dict[str, contextvars.Token[str]] = {}
_lock = threading.Lock()


def task_actor(task: Any) -> str:
    """``system:<app>.<task>`` (``system:rights.transmit_task``)."""
    parts = str(task.module_path).split(".")
    app = parts[1] if len(parts) > 2 and parts[0] == "tutela" else parts[0]
    return f"system:{app}.{task.name}"


def _started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    from tutela.core.audit import set_actor

    token = set_actor(task_actor(task_result.task))
    with _lock:
        _tokens[str(task_result.id)] = token


def _finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    from tutela.core.audit import reset_actor, set_actor

    with _lock:
        token = _tokens.pop(str(task_result.id), None)
    if token is None:
        return
    try:
        reset_actor(token)
    except ValueError:  # finished in another context than it started: leave no task actor behind
        set_actor("system")


def connect() -> None:
    task_started.connect(_started, dispatch_uid="tutela.core.audit_tasks.started")
    task_finished.connect(_finished, dispatch_uid="tutela.core.audit_tasks.finished")
