"""`tutela mail ingest`: requests from the DPO mailbox (.eml, mbox or IMAP)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from tutela.accounts.principal import cli_principal
from tutela.core.command import Result, TutelaCommand
from tutela.core.errors import FieldError, InvalidInput


class Command(TutelaCommand):
    help = "The DPO mailbox: read requests from .eml files, mbox files or an IMAP folder."

    def add_command_arguments(self, parser: CommandParser) -> None:
        subs = self.subparsers(parser)
        ing = subs.add_parser("ingest", help="register requests from messages (idempotent by Message-ID)")
        ing.add_argument("path", nargs="?", help=".eml file, mbox file, or a folder of them")
        ing.add_argument("--imap", metavar="HOST", help="read an IMAP mailbox instead (TLS, port 993)")
        ing.add_argument("--port", type=int, default=993)
        ing.add_argument("--user", default="")
        ing.add_argument(
            "--password-env", default="TUTELA_IMAP_PASSWORD", help="variable holding the password"
        )
        ing.add_argument("--folder", default="INBOX")

    def sub_ingest(self, **o: Any) -> Result:
        from tutela.rights.mailin import ingest, messages_from_imap, messages_from_path

        if bool(o["path"]) == bool(o["imap"]):
            raise InvalidInput(
                "give a PATH or --imap HOST", errors=[FieldError("exactly one source", field="path")]
            )
        if o["imap"]:
            password = os.environ.get(o["password_env"], "")
            if not o["user"] or not password:
                raise InvalidInput(
                    "IMAP needs --user and a password",
                    errors=[FieldError(f"set --user and ${o['password_env']}", field="--imap")],
                )
            messages = messages_from_imap(
                host=o["imap"], user=o["user"], password=password, folder=o["folder"], port=o["port"]
            )
        else:
            messages = messages_from_path(Path(o["path"]))
        report = ingest(messages, principal=cli_principal())
        data = report.as_dict()
        text = (
            f"{report.read} read: {report.registered} registered, {report.triage} for triage, "
            f"{report.duplicates} already read"
        )
        return Result(data, text)
