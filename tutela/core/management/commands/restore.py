"""`tutela restore FILE`: restore an encrypted backup into a fresh database."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.core.management import call_command

from tutela.core.backup import backup_restore
from tutela.core.command import Result, TutelaCommand
from tutela.core.management.commands.backup import read_passphrase


class Command(TutelaCommand):
    help = "Restore an encrypted backup into an empty database (migrations are applied first)."

    def add_command_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="the backup file")
        parser.add_argument(
            "--passphrase-file", help="file holding the passphrase (else TUTELA_BACKUP_PASSPHRASE)"
        )

    def run(self, **options: Any) -> Result:
        passphrase = read_passphrase(options)
        call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())
        info = backup_restore(source=Path(options["file"]), passphrase=passphrase)
        return Result(info, f"restored {options['file']} into the {info['database']} database")
