"""`tutela mail ingest`: .eml and mbox files into requests, classified in en/fr/nl, idempotent."""

from __future__ import annotations

import datetime as dt
import mailbox
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.factories.rights import member
from tutela.accounts.principal import CLI
from tutela.rights.mailin import classify, guess_language, ingest, messages_from_path
from tutela.rights.models import InboundMail, RightsRequest


def message(
    sender: str, subject: str, body: str, mid: str, date: str = "Tue, 01 Apr 2025 10:00:00 +0200"
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "dpo@crmgroup.be"
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = mid
    msg.set_content(body)
    return msg


@pytest.mark.parametrize(
    ("text", "kind", "language"),
    [
        ("Hello, I would like a copy of my personal data please. Thank you", "access", "en"),
        ("Bonjour, je demande l'effacement de mes données. Merci", "erasure", "fr"),
        ("Goedendag, ik wil mijn gegevens laten wissen. Bedankt", "erasure", "nl"),
        ("Je m\u2019oppose à recevoir de la publicité de votre part", "objection", "fr"),
        ("Ik wil graag inzage in mijn gegevens", "access", "nl"),
        ("Please unsubscribe me from the newsletter", "withdrawal", "en"),
        ("Hello, when is the next event?", None, "en"),
    ],
)
def test_classify(text: str, kind: str | None, language: str) -> None:
    assert classify(text) == kind
    assert guess_language(text) == language


@pytest.mark.django_db(transaction=True)
def test_eml_and_mbox_become_requests_once(policy: Any, tmp_path: Path, smtp_server: Any) -> None:
    person = member()
    eml = tmp_path / "one.eml"
    eml.write_bytes(
        message(
            "Marie Dupont <marie.dupont@example.be>",
            "Demande",
            "Bonjour, je voudrais une copie de mes données. Merci",
            "<a1@example.be>",
        ).as_bytes()
    )
    box_path = tmp_path / "inbox.mbox"
    box = mailbox.mbox(str(box_path))
    box.add(message("jan@example.org", "Question", "When is the next event?", "<b2@example.org>"))
    box.add(message("piet@example.org", "Verzoek", "Ik wil mijn gegevens laten wissen.", "<c3@example.org>"))
    box.flush()
    box.close()
    report = ingest([*messages_from_path(eml), *messages_from_path(box_path)], principal=CLI)
    assert (report.read, report.registered, report.triage, report.duplicates) == (3, 2, 1, 0)
    access = RightsRequest.objects.get(message_id="<a1@example.be>")
    assert (access.type, access.channel, access.language, access.subject_id) == (
        "access",
        "email",
        "fr",
        person.pk,
    )
    # the deadline runs from the message's date: 1 April 2025 -> 2 May 2025
    assert access.due == dt.date(2025, 5, 2)
    assert access.status == "identity_pending"
    erasure = RightsRequest.objects.get(message_id="<c3@example.org>")
    assert erasure.type == "erasure" and erasure.language == "nl" and erasure.subject_id is None
    # nobody holds piet@example.org: answered at once, nothing held, no code
    assert (erasure.status, erasure.outcome, erasure.verification_hash) == ("answered", "no_data", "")
    triage = InboundMail.objects.get(status="triage")
    assert triage.message_id == "<b2@example.org>" and triage.request_id is None
    again = ingest(messages_from_path(tmp_path), principal=CLI)
    assert (again.registered, again.triage, again.duplicates) == (0, 0, 3)
    assert RightsRequest.objects.count() == 2
    # Marie (held): the acknowledgement and the code, at the address held for her; Piet (nobody holds his
    # address): one answer saying nothing is held, without any code or link
    mails = smtp_server.wait_for(3)
    assert sorted((m["To"], m["X-Tutela-Letter"]) for m in mails) == [
        ("marie.dupont@example.be", "acknowledgement"),
        ("marie.dupont@example.be", "verification"),
        ("piet@example.org", "answer"),
    ]
    piet = next(m for m in mails if m["To"] == "piet@example.org").get_content()
    assert "hold no personal data" in piet and "/requests/verify/" not in piet


@pytest.mark.django_db
def test_cli_mail_ingest(cli: Any, tmp_path: Path) -> None:
    assert cli("init").returncode == 0
    eml = tmp_path / "m.eml"
    eml.write_bytes(
        message(
            "x@example.org", "Access request", "Please send me a copy of my data", "<z@example.org>"
        ).as_bytes()
    )
    r = cli("mail", "ingest", str(eml), "--json")
    assert r.returncode == 0, r.stderr
    assert r.json()["registered"] == 1
    assert cli("mail", "ingest", str(eml), "--json").json()["duplicates"] == 1
    bad = cli("mail", "ingest", str(tmp_path / "missing.eml"))
    assert bad.returncode == 2 and "does not exist" in bad.stderr
    assert cli("mail", "ingest").returncode == 2


@pytest.mark.django_db
def test_imap_source(policy: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The IMAP reader hands each message's bytes over (imap-tools' MailBox replaced by a stand-in)."""
    import imap_tools

    from tutela.rights.mailin import messages_from_imap

    raw = message("eva@example.org", "Inzage", "Ik wil graag inzage in mijn gegevens", "<i1@example.org>")
    seen: dict[str, Any] = {}

    class FakeMsg:
        obj = raw

    class FakeBox:
        def __init__(self, host: str, port: int) -> None:
            seen["host"] = (host, port)

        def login(self, user: str, password: str, initial_folder: str = "INBOX") -> FakeBox:
            seen["login"] = (user, password, initial_folder)
            return self

        def __enter__(self) -> FakeBox:
            return self

        def __exit__(self, *exc: Any) -> None:
            pass

        def fetch(self, **kwargs: Any) -> list[FakeMsg]:
            seen["fetch"] = kwargs
            return [FakeMsg()]

    monkeypatch.setattr(imap_tools, "MailBox", FakeBox)
    report = ingest(
        messages_from_imap(host="imap.example.org", user="dpo", password="pw", folder="DPO"), principal=CLI
    )
    assert report.registered == 1
    assert seen["login"] == ("dpo", "pw", "DPO") and seen["fetch"]["mark_seen"] is False
    assert RightsRequest.objects.get(message_id="<i1@example.org>").language == "nl"
