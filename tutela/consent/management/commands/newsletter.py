"""`tutela newsletter …`: double opt-in, unsubscribe, and RFC 8058 headers for the group's newsletter tool."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from tutela.accounts.principal import cli_principal
from tutela.core.command import Result, TutelaCommand


class Command(TutelaCommand):
    help = "Newsletter subscriptions: double opt-in, one-click unsubscribe, signed headers, topics."

    def add_command_arguments(self, parser: CommandParser) -> None:
        subs = self.subparsers(parser)
        sub = subs.add_parser("subscribe", help="mail a confirmation link (double opt-in)")
        sub.add_argument("--email", required=True)
        sub.add_argument("--topic", action="append", default=[], help="a topic key (repeatable)")
        sub.add_argument("--language", default="en", choices=["en", "fr", "nl"])
        sub.add_argument("--controller", default="")
        con = subs.add_parser("confirm", help="confirm a subscription with the token of its link")
        con.add_argument("token")
        uns = subs.add_parser("unsubscribe", help="stop the newsletter for a person (by identifier or token)")
        uns.add_argument("identifier", nargs="?")
        uns.add_argument("--token", default=None)
        uns.add_argument("--controller", default="")
        sig = subs.add_parser(
            "sign", help="the List-Unsubscribe headers for one recipient (exit 1 if refused)"
        )
        sig.add_argument("--email", required=True)
        sig.add_argument("--controller", default="")
        subs.add_parser("topics", help="the topics on offer")
        subs.add_parser("purge", help="delete expired confirmation requests (and their sealed addresses)")

    def sub_subscribe(self, **o: Any) -> Result:
        from tutela.consent.newsletter import newsletter_subscribe

        newsletter_subscribe(
            email=o["email"],
            topics=o["topic"],
            language=o["language"],
            controller=o["controller"],
            source="staff",
            principal=cli_principal(),
        )
        return Result({"status": "confirmation sent"}, "confirmation link sent")

    def sub_confirm(self, **o: Any) -> Result:
        from tutela.consent.newsletter import newsletter_confirm

        data = newsletter_confirm(token=o["token"], principal=cli_principal())
        return Result(data, "subscription confirmed")

    def sub_unsubscribe(self, **o: Any) -> Result:
        from tutela.consent.newsletter import newsletter_unsubscribe
        from tutela.core.errors import InvalidInput

        if (o["identifier"] is None) == (o["token"] is None):
            raise InvalidInput("give an IDENTIFIER or --token (one of them)")
        data = newsletter_unsubscribe(
            token=o["token"],
            identifier=o["identifier"],
            controller=o["controller"],
            channel="staff",
            principal=cli_principal(),
        )
        return Result(data, "unsubscribed")

    def sub_sign(self, **o: Any) -> Result:
        from tutela.consent.newsletter import newsletter_sign

        data = newsletter_sign(email=o["email"], controller=o["controller"], principal=cli_principal())
        if data["allowed"]:
            text = "\n".join(f"{k}: {v}" for k, v in data["headers"].items())
        else:
            text = "\n".join(["refused", *(f"  - {r}" for r in data["reasons"])])
        return Result(data, text, exit_code=0 if data["allowed"] else 1)

    def sub_topics(self, **o: Any) -> Result:
        from tutela.consent.newsletter import newsletter_topics

        topics = [{"key": k, "name": n} for k, n in newsletter_topics("en")]
        return Result({"topics": topics}, "\n".join(f"{t['key']}: {t['name']}" for t in topics))

    def sub_purge(self, **o: Any) -> Result:
        from tutela.consent.newsletter import newsletter_pending_purge

        deleted = newsletter_pending_purge(principal=cli_principal())
        return Result({"deleted": deleted}, f"{deleted} expired confirmation request(s) deleted")
