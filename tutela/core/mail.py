"""Sending mail: after the transaction commits, so a rolled-back change never mails anyone."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction


def build_message(
    *,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    language: str = "en",
    reply_to: Sequence[str] | None = None,
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject.replace("\n", " ").strip(),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        reply_to=list(reply_to) if reply_to else None,
        headers={"Content-Language": language, **(headers or {})},
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


def send_on_commit(message: EmailMultiAlternatives) -> None:
    """Send once the surrounding transaction commits (at once when there is none)."""
    transaction.on_commit(lambda: message.send(fail_silently=False))


def send_now(message: EmailMultiAlternatives) -> int:
    return message.send(fail_silently=False)
