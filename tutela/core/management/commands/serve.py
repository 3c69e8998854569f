"""`tutela serve`: the web app, portal and API, with the background worker beside it."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from typing import Any

from django.conf import settings

from tutela.core.command import TutelaCommand


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

        worker = None
        if not options["no_worker"] and settings.TASKS["default"]["BACKEND"].endswith("DatabaseBackend"):
            worker = subprocess.Popen([sys.executable, "-m", "tutela.cli", "worker"], env=os.environ.copy())
            atexit.register(worker.terminate)
        self.stdout.write(f"Tutela on http://{options['host']}:{options['port']}/  (Ctrl-C stops it)")
        try:
            serve(
                application,
                host=options["host"],
                port=options["port"],
                threads=options["threads"],
                ident="tutela",
            )
        finally:
            if worker is not None:
                worker.terminate()
