"""The `tutela` command: Django management commands under one entry point.

`tutela policy check FILE` runs the management command `policy` with the arguments `check FILE`.

Whatever happens, the terminal gets a message and an exit code, never a traceback: a bad setting, an
argument that is not text, or an error no command foresaw (its traceback goes to TUTELA_HOME/log/errors.log);
with ``--json`` the message is also the one JSON document on stdout (``{"error": …}``).
"""

from __future__ import annotations

import os
import sys

#: command words that are not valid Python module names, or that read better under another name
ALIASES = {"import": "import_data"}


def _not_text(argv: list[str]) -> int | None:
    """The position of the first argument that is not valid UTF-8 (Python keeps such bytes as lone
    surrogates, which fail later, far from their cause), or None."""
    for position, arg in enumerate(argv[1:], start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return position
    return None


def main(argv: list[str] | None = None) -> None:
    from tutela.core.files import set_private_umask

    set_private_umask()  # before anything is created: the database, its WAL, logs, mail, exports
    argv = list(sys.argv if argv is None else argv)
    as_json = "--json" in argv
    argv[:1] = ["tutela"]  # usage lines name the command people type, not the module that runs it
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutela.settings")

    from tutela.core import failure
    from tutela.core.failure import fail_plainly, fail_unexpectedly

    failure.json_requested = as_json

    position = _not_text(argv)
    if position is not None:
        fail_plainly(f"argument {position} is not valid UTF-8 text; check the shell's encoding", as_json)
    if len(argv) > 1 and argv[1] in ALIASES:
        argv[1] = ALIASES[argv[1]]
    if argv[1:3] in (["bench", "generate"], ["bench", "measure"]) and "--database" in argv:
        # the database is chosen before Django starts: take it from the command line into the environment
        at = argv.index("--database")
        if at + 1 < len(argv):
            os.environ["DATABASE_URL"] = argv[at + 1]
            del argv[at : at + 2]
    try:
        import django

        django.setup()
    except Exception as exc:  # a bad setting is reported in one line, not a traceback
        fail_plainly(str(exc), as_json)
    from django.core.management import ManagementUtility, get_commands

    from tutela.core.files import secure_configured_home

    if len(argv) > 1 and not argv[1].startswith("-") and argv[1] not in get_commands() and argv[1] != "help":
        fail_plainly(f"unknown command {argv[1]!r}; `tutela help` lists the commands", as_json)

    utility = ManagementUtility(argv)
    utility.prog_name = "tutela"
    secure_configured_home()
    try:
        utility.execute()
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:  # raised outside a Tutela command's own handling (Django's commands, parsing)
        fail_unexpectedly(exc, argv[1] if len(argv) > 1 else "tutela", as_json)
    finally:
        # what this command created (the database on first use, its WAL, a package) is private too
        secure_configured_home()


if __name__ == "__main__":
    main()
