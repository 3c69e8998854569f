"""Issue 16: `tutela rights lift ID --reason TEXT` lifts a restriction, telling the person first (Art. 18(3))."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from typing import Any

import pytest

CSV = (
    "email,first_name,last_name,contract_start,collected_at,language\n"
    "marie.dupont@example.be,Marie,Dupont,2019-03-01,2019-03-01,fr\n"
)


def _mails(home: Path) -> list[Any]:
    out = []
    for path in sorted((home / "mail").glob("*")):
        raw = path.read_bytes()
        for chunk in raw.split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                out.append(email.message_from_bytes(chunk.strip(), policy=email.policy.default))
    return out


def _restricted(cli: Any, tmp_path: Path) -> str:
    assert cli("init").returncode == 0
    members = tmp_path / "members.csv"
    members.write_text(CSV, encoding="utf-8")
    r = cli("import", str(members), "--controller", "crm-asbl", "--subject-type", "member", "--source", "direct", "--json")  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    r = cli("rights", "open", "restriction", "marie.dupont@example.be", "--verified", "--json")
    assert r.returncode == 0, r.stderr
    rid = str(r.json()["id"])
    assert cli("rights", "sign", rid, "--signed-on", "2026-01-05", "--signature", "letter-1").returncode == 0
    done = cli("rights", "fulfil", rid, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    shown = cli("subject", "show", "marie.dupont@example.be", "--json")
    assert {i["status"] for i in shown.json()["items"]} == {"restricted"}, shown.stdout
    return rid


def test_lift_tells_the_person_in_their_language_then_lifts(
    cli: Any, tmp_path: Path, tutela_home: Path
) -> None:
    rid = _restricted(cli, tmp_path)
    before = len(_mails(tutela_home))
    lifted = cli("rights", "lift", rid, "--reason", "the accuracy of your address is confirmed", "--json")
    assert lifted.returncode == 0, lifted.stdout + lifted.stderr
    body = lifted.json()
    assert set(body) == {"id", "status", "lifted"}
    assert body["id"] == int(rid) and body["lifted"] == 3  # e-mail, first and last name
    shown = cli("subject", "show", "marie.dupont@example.be", "--json")
    assert {i["status"] for i in shown.json()["items"]} == {"active"}
    mails = _mails(tutela_home)[before:]
    assert len(mails) == 1
    letter = mails[0]
    assert letter["To"] == "marie.dupont@example.be"
    text = letter.get_body(preferencelist=("plain",)).get_content()
    assert "article 18, paragraphe 3" in text and "the accuracy of your address is confirmed" in text
    again = cli("rights", "lift", rid, "--reason", "again", "--json")
    assert again.returncode != 0 and "already" in again.json()["error"]
    audit = cli("audit", "verify", "--json")
    assert audit.json()["intact"] is True


def test_lift_needs_a_reason_and_a_restriction(cli: Any, tmp_path: Path) -> None:
    rid = _restricted(cli, tmp_path)
    missing = cli("rights", "lift", rid, "--reason", "  ", "--json")
    assert missing.returncode == 2 and "reason" in missing.json()["error"]
    r = cli("rights", "open", "access", "marie.dupont@example.be", "--verified", "--json")
    other = cli("rights", "lift", str(r.json()["id"]), "--reason", "x", "--json")
    assert other.returncode == 2 and "not a restriction" in other.json()["error"]
    shown = cli("subject", "show", "marie.dupont@example.be", "--json")
    assert {i["status"] for i in shown.json()["items"]} == {"restricted"}


@pytest.mark.django_db
def test_only_the_dpo_or_a_privacy_officer_lifts_and_nothing_moves_when_the_letter_fails(
    policy: Any, settings: Any
) -> None:
    from tests.factories.subjects import DataItemFactory, email_item
    from tutela.accounts.principal import CLI, Principal
    from tutela.core.errors import PermissionDenied
    from tutela.rights.models import RightsRequest
    from tutela.rights.restriction import restriction_lift
    from tutela.subjects.models import DataItem

    item = DataItemFactory(status=DataItem.Status.RESTRICTED)
    email_item(item.subject, "p@example.org", status=DataItem.Status.ACTIVE)
    from tutela.core import clock

    now = clock.now()
    req = RightsRequest.objects.create(
        type="restriction", subject=item.subject, channel="staff", received_at=now, due=now.date(),
        extended_due=now.date(), status="answered", controller="crm-asbl",
        decision={"items": {"restricted": [item.pk]}}, created_at=now, updated_at=now,
    )  # fmt: skip
    staff = Principal(actor="user:staff", role="staff", controller="crm-asbl")
    with pytest.raises(PermissionDenied):
        restriction_lift(request_id=req.pk, reason="confirmed", principal=staff)
    settings.EMAIL_BACKEND = "tests.rights.test_restriction_lift.FailingBackend"
    with pytest.raises(OSError):
        restriction_lift(request_id=req.pk, reason="confirmed", principal=CLI)
    item.refresh_from_db()
    assert item.status == DataItem.Status.RESTRICTED
    assert "lifted" not in RightsRequest.objects.get(pk=req.pk).decision


class FailingBackend:
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    def send_messages(self, messages: Any) -> int:
        raise OSError("the mail server is down")
