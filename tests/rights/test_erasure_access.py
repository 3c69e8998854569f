"""Must show: the access package covers Art. 15; a prospect's erasure leaves only the tombstone and the
suppression hashes; a former member's erasure keeps what accounting law requires and says why; Art. 19."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.db import models

from tests.factories.rights import member, open_request, prospect
from tutela.accounts.principal import CLI
from tutela.core.audit import AuditEntry, audit_verify
from tutela.rights.access import write_package
from tutela.rights.fulfil import request_fulfil
from tutela.rights.models import Notice, Tombstone
from tutela.subjects.models import DataItem, Relationship, Subject

pytestmark = pytest.mark.django_db

ART15_KEYS = {
    "subject", "personal_data", "purposes", "categories", "recipients", "retention", "sources", "rights",
    "complaint", "automated_decisions", "transfers",
}  # fmt: skip


def rows_containing(text: str) -> list[str]:
    """Every database row, in every table, whose text columns contain ``text`` (case-insensitive)."""
    hits = []
    for model in apps.get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField))
        ]
        for row in model.objects.values_list(*fields) if fields else []:
            if any(text.lower() in str(v).lower() for v in row):
                hits.append(f"{model._meta.db_table}: {row}")
    return hits


def disclose(person: Subject, recipient_key: str = "legal-advisor", **kw: Any) -> None:
    from tutela.accounts.principal import CLI
    from tutela.recipients.disclosures import disclosure_create
    from tutela.recipients.services import recipient_create

    recipient_create(
        key="lawyers", name="Cabinet Lex", recipient_type=recipient_key, country="BE",
        purposes=["member-management"], categories=["user.name", "user.contact.email", "user.financial.bank_account"],
        principal=CLI, **kw,
    )  # fmt: skip
    disclosure_create(
        principal=CLI,
        recipient_key="lawyers",
        purpose="member-management",
        controller="crm-asbl",
        subject_ids=[person.pk],
    )


def test_access_package_has_every_art15_element(
    policy: Any, policy_data: dict[str, Any], tmp_path: Path
) -> None:
    person = member()
    disclose(person, contact_email="dpo@lex.example")
    path, count = write_package(person.pk, tmp_path / "marie.zip", principal=CLI)
    assert count == 4
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        data = json.loads(zf.read("data.json"))
        html = zf.read("index.html").decode()
        people = list(csv.DictReader(io.StringIO(zf.read("personal_data.csv").decode())))
    assert {"data.json", "index.html", "personal_data.csv", "purposes.csv", "retention.csv"} <= names
    assert set(data) == ART15_KEYS
    values = {i["category"]: i["value"] for i in data["personal_data"]}
    assert values["user.contact.email"] == "marie.dupont@example.be"
    assert values["user.name"] == "Marie Dupont"
    assert values["user.financial.bank_account"] == "BE71096123456769"
    for item in data["personal_data"]:
        assert {"category", "value", "source", "collected_at", "purposes", "controller"} <= set(item)
    # a phone number starting with "+" is shown as text in the CSV (leading apostrophe), never as a formula
    assert {r["value"] for r in people} == {"'" + v if v[0] in "=+-@" else v for v in values.values()}
    # purposes with their legal bases, as the policy file declares them
    bases = {p["key"]: p["legal_basis"] for p in data["purposes"]}
    assert bases["accounting"] == policy_data["purposes"]["accounting"]["legal_basis"] == "legal_obligation"
    assert bases["member-management"] == "contract"
    # recipients that actually received the data, and the categories of recipients
    assert [r["name"] for r in data["recipients"]["disclosed_to"]] == ["Cabinet Lex"]
    assert data["recipients"]["categories_of_recipients"]
    # retention from the policy's rules
    periods = {r["purpose"]: r["period"] for r in data["retention"]}
    assert periods["accounting"] == policy_data["retention"]["accounting"]["period"]
    assert data["sources"][0]["key"] == "direct"
    assert {r["key"] for r in data["rights"]} >= {
        "access",
        "rectification",
        "erasure",
        "objection",
        "restriction",
    }
    assert data["complaint"]["authority"] == policy_data["authority"]["name"]
    assert "exists" in data["automated_decisions"]
    outside = [k for k, r in policy_data["recipients"].items() if r.get("country", "BE") == "US"]
    assert outside and data["transfers"]["copy_of_safeguards"] == policy_data["transfers"]["copy_on_request"]
    # a readable page in the person's language (French)
    assert 'lang="fr"' in html and "Vos données personnelles" in html and "marie.dupont@example.be" in html
    assert policy_data["authority"]["name"] in html


def test_third_parties_are_redacted(policy: Any, tmp_path: Path) -> None:
    from tutela.subjects.services import item_add

    person = member()
    item_add(
        subject=person, controller="crm-asbl", category="user.content.private", source="direct",
        value="Please also write to my colleague paul.martin@example.com or call +32 478 11 22 33; my address marie.dupont@example.be",
        purposes=["request-handling"], subject_type="member",
        principal=CLI,
    )  # fmt: skip
    path, _ = write_package(person.pk, tmp_path / "p.zip", principal=CLI)
    with zipfile.ZipFile(path) as zf:
        data = json.loads(zf.read("data.json"))
    text = next(i["value"] for i in data["personal_data"] if i["category"] == "user.content.private")
    assert "paul.martin" not in text and "478" not in text
    assert "marie.dupont@example.be" in text


@pytest.mark.django_db(transaction=True)
def test_prospect_erasure_leaves_only_tombstone_and_suppression(policy: Any, smtp_server: Any) -> None:
    person = prospect()
    req = open_request("erasure", "jan.peeters@example.be", reply_to="jan.peeters@example.be")
    result = request_fulfil(request_id=req.pk, principal=CLI)
    assert (result.status, result.outcome) == ("answered", "granted")
    assert not DataItem.objects.filter(subject_id=person.pk).exists()
    assert not Relationship.objects.filter(subject_id=person.pk).exists()
    assert Subject.objects.get(pk=person.pk).erased_at is not None
    stone = Tombstone.objects.get(subject_ref=person.pk)
    assert stone.request_id == req.pk
    assert set(stone.categories) == {"user.name", "user.contact.email", "user.contact.phone_number"}
    assert stone.kept == []
    from tutela.consent.models import Suppression
    from tutela.subjects.identifiers import lookup_for

    assert Suppression.objects.filter(
        lookup=lookup_for("email", "jan.peeters@example.be"), purpose="prospecting"
    ).exists()
    assert Suppression.objects.filter(
        lookup=lookup_for("phone", "+32 475 98 76 54"), purpose="prospecting"
    ).exists()
    # nothing of theirs anywhere: not the e-mail, not the name, not the phone number
    for needle in ("jan.peeters", "Peeters", "475 98", "475987654"):
        assert rows_containing(needle) == [], needle
    assert not AuditEntry.objects.filter(subject_id=person.pk, redacted_at__isnull=True).exists()
    assert audit_verify().intact
    # the answer went out in Dutch before the address was forgotten
    (letter,) = smtp_server.wait_for(2)[-1:]
    assert letter["To"] == "jan.peeters@example.be"
    assert "wissing" in letter["Subject"]
    # idempotent: a second erasure request finds nothing left
    again = open_request("erasure", f"subject:{person.pk}")
    assert again.subject_id is None


def test_former_member_erasure_keeps_accounting_and_says_why(
    policy: Any, policy_data: dict[str, Any]
) -> None:
    person = member(ended_on=dt.date(2024, 6, 30))
    req = open_request("erasure", "marie.dupont@example.be")
    result = request_fulfil(request_id=req.pk, principal=CLI)
    assert result.outcome == "partial"
    left = list(DataItem.objects.filter(subject_id=person.pk))
    assert [(i.category, i.purposes, i.status) for i in left] == [
        ("user.financial.bank_account", ["accounting"], "archived")
    ]
    law = policy_data["purposes"]["accounting"]["legal_requirement"]
    kept = [r for r in result.reasons if r.startswith("Kept")]
    assert len(kept) == 1 and "user.financial.bank_account" in kept[0]
    assert law in kept[0] and "17(3)(b)" in kept[0]
    # ten years from 1 January after the closing of 2024's books (contract ended 30 June 2024)
    assert "2035-01-01" in kept[0]
    stone = Tombstone.objects.get(subject_ref=person.pk)
    assert "user.contact.email" in stone.categories
    assert stone.kept[0]["ground"] == "legal_obligation"
    assert Subject.objects.get(pk=person.pk).erased_at is None  # not everything could go


def test_running_member_keeps_contract_data(policy: Any) -> None:
    person = member()
    req = open_request("erasure", "marie.dupont@example.be")
    result = request_fulfil(request_id=req.pk, principal=CLI)
    assert result.outcome == "refused"
    assert DataItem.objects.filter(subject_id=person.pk).count() == 4
    assert all("contract" in r for r in result.reasons if r.startswith("Kept"))


def test_legal_hold_blocks_erasure(policy: Any) -> None:
    from tutela.retention.services import legal_hold_place

    person = prospect()
    legal_hold_place(
        subject_id=person.pk, case_ref="2025/123", reason="claim before the court of Liège", principal=CLI
    )
    req = open_request("erasure", "jan.peeters@example.be")
    result = request_fulfil(request_id=req.pk, principal=CLI)
    assert result.outcome == "refused"
    kept = [r for r in result.reasons if r.startswith("Kept")]
    assert len(kept) == 3 and all("2025/123" in r and "17(3)(e)" in r for r in kept)
    assert DataItem.objects.filter(subject_id=person.pk).count() == 3


def test_item_hold_keeps_only_that_item(policy: Any) -> None:
    from tutela.retention.services import legal_hold_place

    person = prospect()
    phone = DataItem.objects.get(subject_id=person.pk, category="user.contact.phone_number")
    legal_hold_place(
        item_ids=[phone.pk], case_ref="2025/9", reason="harassing calls complaint", principal=CLI
    )
    result = request_fulfil(request_id=open_request("erasure", "jan.peeters@example.be").pk, principal=CLI)
    assert result.outcome == "partial"
    assert list(DataItem.objects.filter(subject_id=person.pk).values_list("pk", flat=True)) == [phone.pk]


@pytest.mark.django_db(transaction=True)
def test_art19_notice_by_email_and_in_the_answer(policy: Any, smtp_server: Any) -> None:
    person = member(ended_on=dt.date(2024, 6, 30))
    # disclosed for member management while she was a member (the contract basis ends with the contract)
    with time_machine.travel(dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC), tick=False):
        disclose(person, contact_email="privacy@lex.example")
    req = open_request("erasure", "marie.dupont@example.be")
    result = request_fulfil(request_id=req.pk, principal=CLI)
    notice = Notice.objects.get(request_id=req.pk)
    assert (notice.recipient, notice.channel, notice.status) == ("lawyers", "email", "sent")
    mails = smtp_server.wait_for(3)
    to_lawyer = [m for m in mails if m["To"] == "privacy@lex.example"]
    assert to_lawyer and "Art. 19" in to_lawyer[0]["Subject"]
    answer = [
        m
        for m in mails
        if m["To"] == "marie.dupont@example.be" and m["X-Tutela-Letter"] in ("answer", "refusal")
    ]
    assert answer and "Cabinet Lex" in answer[0].get_content()
    assert result.outcome == "partial"


def test_erasure_is_atomic_and_can_be_run_again(policy: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tutela.rights import erasure

    person = prospect()
    earlier = open_request("access", "jan.peeters@example.be", reply_to="jan.peeters@example.be")
    req = open_request("erasure", "jan.peeters@example.be")

    def crash(subject_id: int) -> int:
        raise RuntimeError("power cut")

    monkeypatch.setattr(erasure, "audit_redact_subject", crash)
    with pytest.raises(RuntimeError):
        request_fulfil(request_id=req.pk, principal=CLI)
    # nothing half-done
    assert DataItem.objects.filter(subject_id=person.pk).count() == 3
    assert not Tombstone.objects.exists()
    req.refresh_from_db()
    assert req.status == "in_progress"
    monkeypatch.undo()
    result = request_fulfil(request_id=req.pk, principal=CLI)
    assert result.outcome == "granted"
    assert not DataItem.objects.filter(subject_id=person.pk).exists()
    earlier.refresh_from_db()
    assert (earlier.identifier_sealed, earlier.reply_to_sealed, earlier.subject_id) == ("", "", None)


@pytest.mark.django_db(transaction=True)
def test_art19_notice_by_webhook(policy: Any, settings: Any) -> None:
    settings.TUTELA_TRANSMIT_ALLOW_LOOPBACK = True  # the receiver listens on the loopback
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    got: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        person = member()
        disclose(person, webhook_url="https://lex.example/art19")
        from tutela.recipients.models import Recipient

        # the recipients register accepts only https; the test server listens on plain loopback http
        Recipient.objects.filter(key="lawyers").update(
            webhook_url=f"http://127.0.0.1:{server.server_address[1]}/art19"
        )
        req = open_request("restriction", "marie.dupont@example.be")
        from tutela.rights.services import request_sign

        request_sign(request_id=req.pk, signed_on=dt.date.today(), signature="scan", principal=CLI)
        request_fulfil(request_id=req.pk, principal=CLI)
    finally:
        server.shutdown()
        server.server_close()
    assert len(got) == 1 and got[0]["event"] == "restricted" and got[0]["request"] == f"R-{req.pk}"
    assert got[0]["identifiers"] == {"email": "marie.dupont@example.be"}
    notice = Notice.objects.get(request_id=req.pk)
    assert (notice.channel, notice.status, notice.attempts) == ("webhook", "sent", 1)


@pytest.mark.django_db(transaction=True)
def test_failed_notice_is_delivered_by_the_retry(
    policy: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.TUTELA_TRANSMIT_ALLOW_LOOPBACK = True  # the receiver listens on the loopback
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from tutela.rights import transport
    from tutela.rights.propagation import notices_retry

    monkeypatch.setattr(transport, "BACKOFF", 0.01)
    state = {"up": False, "got": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            if state["up"]:
                state["got"] += 1
            self.send_response(200 if state["up"] else 502)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        person = member()
        disclose(person, webhook_url="https://lex.example/art19")
        from tutela.recipients.models import Recipient

        Recipient.objects.filter(key="lawyers").update(
            webhook_url=f"http://127.0.0.1:{server.server_address[1]}/"
        )
        req = open_request(
            "rectification",
            "marie.dupont@example.be",
            details={"changes": [{"category": "user.name", "value": "M. Dupont"}]},
        )
        request_fulfil(request_id=req.pk, principal=CLI)
        notice = Notice.objects.get(request_id=req.pk)
        assert notice.status == "failed" and notice.attempts == 3 and notice.body_sealed
        state["up"] = True
        assert notices_retry(principal=CLI) == 1
    finally:
        server.shutdown()
        server.server_close()
    notice.refresh_from_db()
    assert (notice.status, notice.body_sealed, state["got"]) == ("sent", "", 1)


def test_erasure_scoped_to_one_controller(policy: Any) -> None:
    from tutela.subjects.services import item_add

    person = prospect()
    item_add(subject=person, controller="ac-cs", category="user.contact.email", value="jan.peeters@example.be",
             source="public-web", purposes=["prospecting"], subject_type="prospect", principal=CLI)  # fmt: skip
    req = open_request("erasure", "jan.peeters@example.be", controller="crm-asbl")
    result = request_fulfil(request_id=req.pk, principal=CLI)
    assert result.outcome == "granted"
    left = list(DataItem.objects.filter(subject_id=person.pk).values_list("controller", flat=True))
    assert left == ["ac-cs"]
    assert Subject.objects.get(pk=person.pk).erased_at is None


@pytest.mark.django_db(transaction=True)
def test_art19_webhook_runs_in_the_worker_not_in_the_request(
    policy: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the database task backend, fulfilling sends nothing itself: the delivery waits for the worker."""
    from django_tasks_db.models import DBTaskResult

    from tutela.rights import transport

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    person = member()
    disclose(person, webhook_url="https://lex.example/art19")

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a webhook was called inside the request")

    monkeypatch.setattr(transport, "post_json", no_network)
    req = open_request("restriction", "marie.dupont@example.be")
    from tutela.rights.services import request_sign

    request_sign(request_id=req.pk, signed_on=dt.date(2025, 1, 1), signature="scan-1", principal=CLI)
    assert request_fulfil(request_id=req.pk, principal=CLI).outcome == "granted"
    assert list(Notice.objects.filter(request_id=req.pk).values_list("status", flat=True)) == ["pending"]
    queued = DBTaskResult.objects.filter(task_path="tutela.rights.tasks.notices_deliver_task")
    assert queued.count() == 1
