"""`tutela backup` / `tutela restore`: encrypted backups (see docs/operations.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tutela.core.backup import backup_write
from tutela.core.command import Result, TutelaCommand
from tutela.core.errors import InvalidInput


def read_passphrase(options: dict[str, Any]) -> str:
    path = options.get("passphrase_file")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InvalidInput(f"{path}: cannot read the passphrase file ({exc.strerror})") from None
    value = os.environ.get("TUTELA_BACKUP_PASSPHRASE")
    if not value:
        raise InvalidInput("give --passphrase-file FILE or set TUTELA_BACKUP_PASSPHRASE")
    return value


class Command(TutelaCommand):
    help = "Write an encrypted backup of the whole database."

    def add_command_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True, help="the backup file to write")
        parser.add_argument(
            "--passphrase-file", help="file holding the passphrase (else TUTELA_BACKUP_PASSPHRASE)"
        )

    def run(self, **options: Any) -> Result:
        info = backup_write(out=Path(options["out"]), passphrase=read_passphrase(options))
        return Result(info, f"backup written: {info['path']} ({info['bytes']} bytes)")
