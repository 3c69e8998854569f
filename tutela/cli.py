"""The `tutela` command: Django management commands under one entry point.

`tutela policy check FILE` runs the management command `policy` with the arguments `check FILE`.
"""

from __future__ import annotations

import os
import sys

#: command words that are not valid Python module names, or that read better under another name
ALIASES = {"import": "import_data"}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutela.settings")
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
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    from django.core.management import ManagementUtility, get_commands

    if len(argv) > 1 and not argv[1].startswith("-") and argv[1] not in get_commands() and argv[1] != "help":
        sys.stderr.write(f"error: unknown command {argv[1]!r}; `tutela help` lists the commands\n")
        sys.exit(2)

    utility = ManagementUtility(argv)
    utility.prog_name = "tutela"
    utility.execute()


if __name__ == "__main__":
    main()
