"""The base of every `tutela` command: `--json`, exit codes 0/1/2, clear messages, never a traceback.

A command implements ``run(self, **options) -> Result`` (or, with sub-commands, one ``sub_<name>`` method per
sub-command registered in ``add_subcommands``). Errors from services (``TutelaError``) become a message on
stderr and their exit code; anything unexpected is logged and reported in one line.
"""

from __future__ import annotations

import argparse
import json
import sys
from argparse import ArgumentParser
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tutela.core.audit import reset_actor, set_actor
from tutela.core.errors import TutelaError
from tutela.core.failure import fail_plainly, fail_unexpectedly


@dataclass
class Result:
    """What a command answers: ``data`` for --json, ``text`` (or a callable printing rich output) for people."""

    data: Any
    text: str | Callable[[], None] | None = None
    exit_code: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


class TutelaCommand(BaseCommand):
    requires_system_checks: list[str] = []
    requires_migrations_checks = False
    #: set to False for commands that must not create the audit actor context (serve, worker)
    json_option = True

    def add_arguments(self, parser: CommandParser) -> None:
        if self.json_option:
            parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
        self.add_command_arguments(parser)

    def add_command_arguments(self, parser: CommandParser) -> None:
        """Override to add options (or sub-commands with :meth:`subparsers`)."""

    def subparsers(self, parser: CommandParser) -> Any:
        """Sub-commands (``tutela policy check``): each gets ``--json`` too; handle with ``sub_<name>``."""
        return _SubCommands(parser.add_subparsers(dest="action", required=True, metavar="ACTION"))

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        _strict_whole_numbers(parser)
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        # Django would print CommandError itself; we want our own wording and exit codes.
        return super().execute(*args, **options)

    def handle(self, *args: Any, **options: Any) -> None:
        # the command's actor for its whole run, and the one before it back afterwards (even on exit)
        token = set_actor(_cli_actor())
        try:
            self._handle(**options)
        finally:
            reset_actor(token)

    def _handle(self, **options: Any) -> None:
        as_json = bool(options.get("json"))
        try:
            action = options.get("action")
            if action:
                method = getattr(self, "sub_" + action.replace("-", "_"))
                result = method(**options)
            else:
                result = self.run(**options)
        except TutelaError as exc:
            self._fail(exc, as_json)
            return
        except CommandError as exc:  # from a nested call_command (migrate, dumpdata …)
            fail_plainly(str(exc), as_json)
        except KeyboardInterrupt:
            sys.stderr.write("interrupted\n")
            sys.exit(130)
        except RecursionError:  # a file nested thousands deep (JSON, YAML): bad input, not a fault of ours
            fail_plainly("the input nests too deeply to be read", as_json)
        except UnicodeEncodeError:  # text with lone surrogates, from a file or an escape such as "\\ud800"
            fail_plainly("the input holds text that is not valid Unicode (a lone surrogate)", as_json)
        except Exception as exc:
            fail_unexpectedly(exc, self.__module__.rsplit(".", 1)[-1], as_json)
        self._emit(result, as_json)
        if result.exit_code:
            sys.stdout.flush()
            sys.exit(result.exit_code)

    def run(self, **options: Any) -> Result:
        raise NotImplementedError

    def _emit(self, result: Result, as_json: bool) -> None:
        if as_json:
            sys.stdout.write(json.dumps(result.data, ensure_ascii=False, default=str, indent=2) + "\n")
        elif callable(result.text):
            result.text()
        elif result.text is not None:
            sys.stdout.write(result.text if result.text.endswith("\n") else result.text + "\n")
        else:
            sys.stdout.write(json.dumps(result.data, ensure_ascii=False, default=str, indent=2) + "\n")

    def _fail(self, exc: TutelaError, as_json: bool) -> None:
        if as_json:
            body: dict[str, Any] = {"error": exc.message}
            if exc.errors:
                body["errors"] = [e.as_dict() for e in exc.errors]
            sys.stdout.write(json.dumps(body, ensure_ascii=False, default=str, indent=2) + "\n")
        sys.stderr.write(f"error: {exc.message}\n")
        for err in exc.errors[:50]:
            sys.stderr.write(f"  {err}\n")
        if len(exc.errors) > 50:
            sys.stderr.write(f"  … and {len(exc.errors) - 50} more\n")
        sys.stdout.flush()
        sys.exit(exc.exit_code)


def _strict_whole_numbers(parser: ArgumentParser) -> None:
    """Every ``type=int`` option and argument, sub-commands' included, reads ASCII digits within 63 bits:
    ``int()`` accepts "٣" as 3 (someone else's record) and any length (an overflow in the database)."""
    from tutela.core.ids import whole_number

    _json_usage_errors(parser)
    for action in parser._actions:
        if action.type is int:
            action.type = whole_number
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _strict_whole_numbers(sub)


def _json_usage_errors(parser: ArgumentParser) -> None:
    """A usage error (unknown option, bad value) under --json also prints the ``{"error"}`` document on
    stdout, before argparse writes its usage and message to stderr and exits 2."""
    plain_error = parser.error

    def error(message: str) -> Any:
        from tutela.core import failure

        if failure.json_requested or "--json" in sys.argv[1:]:
            sys.stdout.write(json.dumps({"error": message}, ensure_ascii=False, indent=2) + "\n")
            sys.stdout.flush()
        return plain_error(message)

    parser.error = error  # type: ignore[method-assign]


def _cli_actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "cli:unknown"


class _SubCommands:
    def __init__(self, action: Any) -> None:
        self._action = action

    def add_parser(self, name: str, **kwargs: Any) -> ArgumentParser:
        kwargs.setdefault("description", kwargs.get("help"))
        sub: ArgumentParser = self._action.add_parser(name, **kwargs)
        sub.add_argument(
            "--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON document on stdout"
        )
        return sub
