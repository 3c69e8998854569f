"""`tutela serve`: the web app, portal and API, with the background worker beside it.

The worker is a child process (`tutela worker`). SIGTERM or SIGINT to `tutela serve` stops the web
server, then the worker (SIGTERM: it finishes or abandons its current task and exits), waiting for it a
bounded time before killing it; on Linux the worker also dies with its parent should that be killed
outright, so it never runs on without a server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from types import FrameType
from typing import Any

from django.conf import settings

from tutela.core.command import TutelaCommand

#: seconds the worker gets to stop after SIGTERM before it is killed
WORKER_STOP_SECONDS = 10


class ServerStop(KeyboardInterrupt):
    """Raised in the main thread by the signal handler: the server's loop stops on it as on Ctrl-C (a plain
    exception raised inside a connection's handler would be logged and swallowed instead)."""


def _die_with_parent() -> None:  # runs in the child, between fork and exec
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def start_worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tutela.cli", "worker"], env=os.environ.copy(), preexec_fn=_die_with_parent
    )


def stop_worker(worker: subprocess.Popen[bytes] | None) -> None:
    if worker is None or worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=WORKER_STOP_SECONDS)


class Command(TutelaCommand):
    help = "Serve Tutela over HTTP (waitress), with a background worker unless --no-worker."
    json_option = False

    def add_command_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-worker", action="store_true", help="do not start the background worker")

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from tutela.wsgi import application

        def stop(signum: int, frame: FrameType | None) -> None:
            raise ServerStop(signal.Signals(signum).name)

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        worker = None
        try:
            if not options["no_worker"] and settings.TASKS["default"]["BACKEND"].endswith("DatabaseBackend"):
                worker = start_worker()
            self.stdout.write(f"Tutela on http://{options['host']}:{options['port']}/  (Ctrl-C stops it)")
            self.stdout.flush()
            serve(
                application,
                host=options["host"],
                port=options["port"],
                threads=options["threads"],
                ident="tutela",
            )
            self.stderr.write("stopping")
        except ServerStop:  # the signal came before the server's loop ran
            self.stderr.write("stopping")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            stop_worker(worker)
