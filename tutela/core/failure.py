"""How a `tutela` command ends when it cannot answer: a message and an exit code, never a traceback.

Used before Django is set up too (a bad setting, an argument that is not text), so nothing here imports
models. With --json the message is also the one JSON document on stdout, in the shape of every other
error: ``{"error": message}``.
"""

from __future__ import annotations

import json
import sys
from typing import NoReturn

#: set by the `tutela` entry point when the command line asks for --json (usage errors answer in JSON too)
json_requested = False


def fail_plainly(message: str, as_json: bool, exit_code: int = 2) -> NoReturn:
    """End the command with ``message``: on stderr, and as the documented ``{"error"}`` body with --json."""
    if as_json:
        sys.stdout.write(json.dumps({"error": message}, ensure_ascii=False, indent=2) + "\n")
        sys.stdout.flush()
    sys.stderr.write(f"error: {message}\n")
    sys.exit(exit_code)


def fail_unexpectedly(exc: BaseException, command: str, as_json: bool) -> NoReturn:
    """An error nobody foresaw: the traceback goes to errors.log, the terminal gets one line (and, with
    --json, the ``{"error"}`` body on stdout); exit 2."""
    where = _log_unexpected(command, exc)
    text = _printable(f"{exc}")[:300]
    fail_plainly(f"unexpected {type(exc).__name__}: {text} (details in {where})", as_json)


def _printable(text: str) -> str:
    """``text`` with anything that cannot be written as UTF-8 (lone surrogates) replaced."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _log_unexpected(command: str, exc: BaseException | None = None) -> str:
    """Write the traceback of an unexpected error to the log file (not the terminal); return its path."""
    import traceback

    from tutela.core import clock
    from tutela.core.files import LOG_DIR_NAME, private_append
    from tutela.core.redact import redact

    try:
        from django.conf import settings

        path = settings.LOG_DIR / "errors.log"
    except Exception:  # settings themselves failed: still keep the traceback under TUTELA_HOME
        import os
        from pathlib import Path

        path = Path(os.environ.get("TUTELA_HOME", "var")).resolve() / LOG_DIR_NAME / "errors.log"
    trace = "".join(traceback.format_exception(exc)) if exc is not None else traceback.format_exc()
    try:
        stamp = clock.now().isoformat()
        private_append(path, redact(_printable(f"--- {stamp} tutela {command}\n{trace}\n")))
    except OSError:
        return "the log (not writable)"
    return str(path)
