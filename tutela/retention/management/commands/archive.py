"""`tutela archive open ITEM_OR_SUBJECT --ground court|authority|production --reference REF --user NAME`."""

from __future__ import annotations

import re
from typing import Any

from tutela.core.command import Result, TutelaCommand
from tutela.core.errors import FieldError, InvalidInput, PermissionDenied


def parse_target(text: str) -> tuple[int | None, int | None]:
    """``item:12`` or ``12`` → item 12; ``subject:7`` → person 7."""
    match = re.fullmatch(r"(?:(item|subject):)?(\d+)", text.strip())
    if not match:
        raise InvalidInput(
            "name an item (item:ID or ID) or a person (subject:ID)",
            errors=[FieldError(repr(text), field="ITEM_OR_SUBJECT")],
        )
    number = int(match.group(2))
    return (None, number) if match.group(1) == "subject" else (number, None)


class Command(TutelaCommand):
    help = "The archive: archived data opened on a stated legal ground."

    def add_command_arguments(self, parser: Any) -> None:
        subs = self.subparsers(parser)
        op = subs.add_parser("open", help="open archived data on a legal ground")
        op.add_argument("target", metavar="ITEM_OR_SUBJECT", help="item:ID (or ID) or subject:ID")
        op.add_argument("--ground", required=True, help="court | authority | production")
        op.add_argument("--reference", required=True, help="the case, control or request reference")
        op.add_argument("--user", help="the staff user opening it (must have archive access)")

    def sub_open(self, **o: Any) -> Result:
        from django.contrib.auth import get_user_model

        from tutela.accounts.principal import principal_for_user
        from tutela.core.audit import set_actor
        from tutela.retention.services import archive_open

        item_id, subject_id = parse_target(o["target"])
        if not o.get("user"):
            raise PermissionDenied("opening the archive needs a user with archive access: --user NAME")
        user = get_user_model().objects.filter(username=o["user"], is_active=True).first()
        principal = principal_for_user(user) if user else None
        if principal is None or not principal.archive_access:
            raise PermissionDenied(f"{o['user']!r} has no archive access")
        set_actor(principal.actor)
        data = archive_open(
            principal=principal,
            ground=o["ground"],
            reference=o["reference"],
            item_id=item_id,
            subject_id=subject_id,
        )
        lines = [f"opened on ground {data['ground']} ({data['ground_text']}), reference {data['reference']}"]
        lines += [f"{i['id']}\t{i['category']}\t{i['value']}\t{i['collected_at']}" for i in data["items"]]
        return Result(data, "\n".join(lines))
