"""Sending mail: after the transaction commits, so a rolled-back change never mails anyone."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend
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


class PrivateFileBackend(FileEmailBackend):
    """Django's file backend (the embedded default: mail written under TUTELA_HOME/mail), with the
    directory 0700 and each file 0600 whatever the umask: the files hold codes and private links."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        os.chmod(self.file_path, 0o700)

    def open(self) -> bool:
        if self.stream is None:
            fd = os.open(self._get_filename(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.fchmod(fd, 0o600)
            self.stream = os.fdopen(fd, "ab")
            return True
        return False
