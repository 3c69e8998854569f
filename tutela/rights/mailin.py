"""Requests from the DPO mailbox: .eml files, mbox files or an IMAP folder.

Each message is read once (idempotent by Message-ID). Its request type is guessed from the text in English,
French or Dutch; a clear guess opens a request (channel ``email``, received at the message's date); an
unclear one is kept for triage with the same reception date.

The sender's address proves nothing (anyone can write any ``From``): the request is opened as a public one
(``mail:inbound``), its code goes to the address held for the person the sender names, and a sender whose
address nobody holds is told only that nothing is held.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import mailbox
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

from django.db import transaction

from tutela.accounts.permissions import require_write
from tutela.accounts.principal import Principal, public_principal
from tutela.core import clock, crypto
from tutela.core.audit import audit_log
from tutela.core.errors import FieldError, InvalidInput, TutelaError
from tutela.rights.models import InboundMail

KEYWORDS: dict[str, tuple[str, ...]] = {
    "access": (
        "access to my data", "access to my personal data", "copy of my data", "copy of my personal data",
        "subject access", "what data do you hold", "article 15", "droit d'accès", "accès à mes données",
        "copie de mes données", "quelles données", "inzage", "kopie van mijn gegevens", "artikel 15",
        "welke gegevens",
    ),
    "erasure": (
        "erase", "erasure", "delete my", "deletion", "right to be forgotten", "remove my data", "effacer",
        "effacement", "supprimer mes", "suppression de mes", "droit à l'oubli", "wissen",
        "wissing", "verwijder", "vergetelheid", "vergeten te worden",
    ),
    "rectification": (
        "rectif", "correct my", "incorrect", "wrong address", "update my address", "corriger", "erreur dans mes",
        "inexact", "verbeter", "onjuist", "aanpassen", "wijzigen van mijn",
    ),
    "objection": (
        "i object", "objection", "stop sending", "no more advertising", "stop contacting", "m'oppose",
        "opposition", "ne plus recevoir de publicité", "bezwaar", "geen reclame", "niet meer contacteren",
    ),
    "restriction": ("restrict", "restriction", "limiter", "limitation du traitement", "beperk", "beperking"),
    "withdrawal": (
        "withdraw my consent", "unsubscribe", "retire mon consentement", "retrait de mon consentement",
        "me désinscrire", "désinscription", "trek mijn toestemming in", "intrekken", "uitschrijven",
        "intrekking",
    ),
    "portability": ("portability", "portabilité", "overdraagbaarheid", "transfer my data to", "transférer mes données"),
}  # fmt: skip
PURPOSE_HINTS: dict[str, tuple[str, ...]] = {
    "prospecting": (
        "advertising",
        "marketing",
        "prospect",
        "publicité",
        "démarchage",
        "reclame",
        "prospectie",
    ),
    "newsletter": ("newsletter", "lettre d'information", "nieuwsbrief"),
}
LANGUAGE_WORDS = {
    "fr": (
        " je ",
        " la ",
        " les ",
        " des ",
        " mes ",
        " vous ",
        " votre ",
        " données ",
        " demande ",
        " merci ",
        " à ",
    ),
    "nl": (
        " ik ",
        " het ",
        " mijn ",
        " gegevens ",
        " een ",
        " van ",
        " wil ",
        " graag ",
        " bedankt ",
        " uw ",
    ),
    "en": (" i ", " the ", " my ", " you ", " data ", " please ", " request ", " thank ", " me ", " of "),
}


def guess_language(text: str) -> str:
    words_only = re.sub(r"[^\w']+", " ", text.lower())
    padded = f" {words_only} "
    scores = {lang: sum(padded.count(w) for w in words) for lang, words in LANGUAGE_WORDS.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] else "en"


def _low(text: str) -> str:
    return text.lower().replace("\u2019", "'")


def classify(text: str) -> str | None:
    """The request type the text asks for, or None when no type or several types stand out."""
    low = _low(text)
    scores = {t: sum(1 for k in words if k in low) for t, words in KEYWORDS.items()}
    best = max(scores.values())
    if best == 0:
        return None
    winners = [t for t, s in scores.items() if s == best]
    return winners[0] if len(winners) == 1 else None


def guess_purpose(text: str) -> str:
    low = _low(text)
    for purpose, words in PURPOSE_HINTS.items():
        if any(w in low for w in words):
            return purpose
    return ""


def body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    if part.get_content_type() == "text/html":
        content = re.sub(r"<[^>]+>", " ", content)
    return str(content)


@dataclass
class IngestReport:
    read: int = 0
    registered: int = 0
    triage: int = 0
    duplicates: int = 0
    requests: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "registered": self.registered,
            "triage": self.triage,
            "duplicates": self.duplicates,
            "requests": self.requests,
            "errors": self.errors,
        }


def _message_id(msg: EmailMessage, raw: bytes) -> str:
    mid = (msg.get("Message-ID") or "").strip()
    return mid[:300] if mid else "sha256:" + hashlib.sha256(raw).hexdigest()


def _received(msg: EmailMessage) -> dt.datetime:
    try:
        when = parsedate_to_datetime(msg.get("Date", ""))
    except (TypeError, ValueError, IndexError):
        return clock.now()
    if when is None:
        return clock.now()
    when = clock.as_aware(when)
    return min(when, clock.now())


#: who opens a request read from the mailbox: the public (the sender is not proven)
MAILBOX = public_principal("mail:inbound")


def ingest_message(raw: bytes, report: IngestReport, *, principal: Principal) -> None:
    """Read one message; ``principal`` runs the intake (the CLI, a worker) and is the actor of its triage
    entries; requests are opened as the public's (:data:`MAILBOX`)."""
    from tutela.rights.services import request_open

    require_write(principal)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    report.read += 1
    mid = _message_id(msg, raw)
    if InboundMail.objects.filter(message_id=mid).exists():
        report.duplicates += 1
        return
    sender = parseaddr(str(msg.get("From", "")))[1]
    subject_line = str(msg.get("Subject", ""))[:300]
    text = f"{subject_line}\n{body_text(msg)}"
    kind = classify(text)
    language = guess_language(text)
    received = _received(msg)
    with transaction.atomic():
        row = InboundMail.objects.create(
            message_id=mid,
            received_at=received,
            sender_sealed=crypto.encrypt(sender, context="mail.sender") if sender else "",
            subject_line=subject_line,
            language=language,
            guessed_type=kind or "",
            created_at=clock.now(),
        )
        if kind and sender:
            try:
                with transaction.atomic():
                    opened = request_open(
                        type=kind,
                        identifier=sender,
                        channel="email",
                        received_at=received,
                        language=language,
                        purpose=guess_purpose(text) if kind in ("objection", "withdrawal") else "",
                        reply_to=sender,
                        message_id=mid,
                        principal=MAILBOX,
                    )
                row.request = opened.request
                row.status = "registered"
                row.save(update_fields=["request", "status"])
                report.registered += 1
                report.requests.append(opened.request.pk)
                return
            except TutelaError as exc:
                report.errors.append(f"{mid}: {exc.message}")
        audit_log(
            "mail.triage",
            object_type="inbound_mail",
            object_id=row.pk,
            payload={"guessed_type": kind or "", "language": language, "received": received.isoformat()},
            actor=principal.actor,
        )
        report.triage += 1


def _paths(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from sorted(
            p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".eml", ".mbox", "")
        )
    else:
        yield path


def messages_from_path(path: Path) -> Iterator[bytes]:
    if not path.exists():
        raise InvalidInput("no such file", errors=[FieldError(f"{path} does not exist", field="path")])
    for p in _paths(path):
        head = p.read_bytes()[:5]
        if head.startswith(b"From "):
            box = mailbox.mbox(str(p), create=False)
            try:
                for key in box.iterkeys():
                    yield box.get_bytes(key)
            finally:
                box.close()
        else:
            yield p.read_bytes()


def messages_from_imap(
    *, host: str, user: str, password: str, folder: str = "INBOX", port: int = 993
) -> Iterator[bytes]:
    from imap_tools import MailBox

    with MailBox(host, port=port).login(user, password, initial_folder=folder) as box:
        for msg in box.fetch(mark_seen=False, bulk=True):
            yield msg.obj.as_bytes()


def ingest(messages: Iterable[bytes], *, principal: Principal) -> IngestReport:
    report = IngestReport()
    for raw in messages:
        ingest_message(raw, report, principal=principal)
    return report
