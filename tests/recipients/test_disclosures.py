"""Must show: a disclosure to a US processor is refused without SCCs and, with them, exports only the allowed
categories, is logged per person and item, and feeds the access package and Art. 19 propagation."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
import time_machine

from tests.recipients.conftest import IBAN, processor_type_outside_eea
from tutela.accounts.principal import SYSTEM, Principal
from tutela.core.errors import InvalidInput, NotFound, PermissionDenied, Refused
from tutela.core.models import AuditEntry
from tutela.recipients.disclosures import disclosure_create, render
from tutela.recipients.models import DisclosedItem, Disclosure
from tutela.recipients.selectors import (
    disclosures_of_subject,
    item_ids_disclosed_to_controller,
    propagation_targets,
    recipients_of_subject,
    transfers_of_subject,
)
from tutela.recipients.services import recipient_create, safeguard_add

PURPOSE = "member-management"
WANTED = ["user.name", "user.contact.email", "user.financial.bank_account"]


@pytest.fixture
def us_processor(policy, policy_data):
    return recipient_create(
        principal=SYSTEM,
        key="mail-cloud",
        name="Mail Cloud Inc.",
        recipient_type=processor_type_outside_eea(policy_data),
        role="processor",
        country="US",
        contact_email="privacy@mailcloud.example",
        webhook_url="https://mailcloud.example/gdpr",
        purposes=[PURPOSE],
        categories=WANTED,
    )


def expected_columns(policy_data, purpose: str, recipient_categories: list[str]) -> list[str]:
    """Per the policy YAML: each purpose category the recipient may receive (itself or under a parent it
    may receive), or the narrower recipient category under a purpose category; in the purpose's order."""
    out: list[str] = []
    for pc in policy_data["purposes"][purpose]["categories"]:
        for rc in recipient_categories:
            key = pc if (pc == rc or pc.startswith(rc + ".")) else rc if rc.startswith(pc + ".") else None
            if key and key not in out:
                out.append(key)
    return ["subject", *out]


def disclose(subject_ids, **kw):
    args = {
        "principal": SYSTEM,
        "recipient_key": "mail-cloud",
        "purpose": PURPOSE,
        "controller": "crm-asbl",
        "subject_ids": subject_ids,
    }
    return disclosure_create(**{**args, **kw})


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_us_processor_refused_without_scc_then_allowed_with_only_the_allowed_categories(
    us_processor, person, policy_data
) -> None:
    sid = person["subject"].pk
    items = person["items"]
    with pytest.raises(Refused) as err:
        disclose([sid])
    assert "Standard Contractual Clauses" in " ".join(e.message for e in err.value.errors)
    assert not Disclosure.objects.exists() and not DisclosedItem.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="disclosure.").exists()

    safeguard_add(
        principal=SYSTEM,
        recipient_key="mail-cloud",
        kind="scc",
        scc_module="c2p",
        signed_on=dt.date(2026, 5, 1),
    )
    export = disclose([sid], fmt="json")
    want = expected_columns(policy_data, PURPOSE, WANTED)
    assert export.columns == want
    assert len(export.rows) == 1 and list(export.rows[0]) == want
    row = export.rows[0]
    assert row["subject"] == str(person["subject"].public_id)
    if "user.name" in want:
        assert row["user.name"] == "Ann Peeters"  # not the other controller's, processor or erased item
    if "user.contact.email" in want:
        assert row["user.contact.email"] == "ann.peeters@example.org"  # not the newsletter-only address
    if "user.financial.bank_account" not in want:
        assert IBAN.replace(" ", "") not in json.dumps(export.rows)
    d = export.disclosure
    assert d.basis == "scc:c2p (no reference)" or d.basis.startswith("scc:c2p")
    assert d.mechanism == "safeguard" and d.on == dt.date(2026, 6, 1)

    # the log, per person and item
    logged = DisclosedItem.objects.filter(disclosure=d)
    sent_ids = {items[k].pk for k in ("name", "email", "iban", "phone") if items[k].category in want}
    assert {x.item_id for x in logged} == sent_ids
    assert all(x.subject_id == sid and x.recipient_id == us_processor.pk for x in logged)
    per_subject = AuditEntry.objects.get(action="disclosure.subject", subject_id=sid)
    assert per_subject.payload["recipient"] == "mail-cloud"
    assert "Ann" not in json.dumps(per_subject.payload)

    # the person's access package lists the recipient
    recips = recipients_of_subject(sid, principal=SYSTEM)
    assert [r["key"] for r in recips] == ["mail-cloud"]
    r = recips[0]
    assert r["role"] == "processor" and r["country"] == "US" and r["name"] == "Mail Cloud Inc."
    assert set(r["categories"]) == {
        items[k].category for k in ("name", "email", "iban", "phone") if items[k].pk in sent_ids
    }
    assert r["first_disclosure"] == r["last_disclosure"] and r["basis"].startswith("scc:c2p")
    assert r["safeguard"].startswith("scc:c2p")
    (transfer,) = transfers_of_subject(sid, principal=SYSTEM)
    assert transfer["recipient"] == "mail-cloud" and transfer["country"] == "US"
    assert transfer["mechanism"] == "safeguard" and transfer["basis"].startswith("scc:c2p")
    log = disclosures_of_subject(sid, principal=SYSTEM)
    assert len(log) == 1 and sorted(log[0]["items"]) == sorted(sent_ids)

    # Art. 19 propagation targets
    targets = propagation_targets(sid)
    assert targets[0]["recipient"] == "mail-cloud"
    assert targets[0]["contact_email"] == "privacy@mailcloud.example"
    assert targets[0]["webhook_url"] == "https://mailcloud.example/gdpr"
    assert sorted(targets[0]["items"]) == sorted(sent_ids)
    assert propagation_targets(sid, item_ids=[items["phone"].pk]) == []
    assert propagation_targets(sid, item_ids=[items["name"].pk])[0]["items"] == [items["name"].pk]


@pytest.mark.django_db
def test_scc_signed_after_the_transfer_date_does_not_count(us_processor, person) -> None:
    safeguard_add(
        principal=SYSTEM,
        recipient_key="mail-cloud",
        kind="scc",
        scc_module="c2p",
        signed_on=dt.date(2026, 5, 1),
    )
    with pytest.raises(Refused):
        disclose([person["subject"].pk], on=dt.date(2026, 4, 30))
    assert disclose([person["subject"].pk], on=dt.date(2026, 5, 1)).disclosure.mechanism == "safeguard"


@pytest.mark.django_db
def test_art_49_derogation_is_recorded_per_transfer(us_processor, person) -> None:
    with pytest.raises(InvalidInput):
        disclose([person["subject"].pk], derogation="explicit_consent", reason="")
    export = disclose(
        [person["subject"].pk], derogation="explicit_consent", reason="asked in writing on 2026-05-02"
    )
    d = export.disclosure
    assert d.mechanism == "derogation" and d.derogation == "explicit_consent"
    assert d.derogation_reason == "asked in writing on 2026-05-02"
    assert (
        recipients_of_subject(person["subject"].pk, principal=SYSTEM)[0]["basis"]
        == "derogation:explicit_consent"
    )
    with pytest.raises(Refused):  # recorded for that transfer only
        disclose([person["subject"].pk])


@pytest.mark.django_db
def test_sensitive_values_are_decrypted_only_when_allowed(policy, policy_data, person) -> None:
    banks = [c for c in policy_data["purposes"]["accounting"]["categories"] if "bank" in c]
    recipient_create(
        principal=SYSTEM,
        key="bank",
        name="Bank SA",
        recipient_type="banks",
        country="BE",
        purposes=["accounting"],
        categories=["user.name", *banks],
    )
    export = disclose([person["subject"].pk], recipient_key="bank", purpose="accounting")
    assert export.columns == expected_columns(policy_data, "accounting", ["user.name", *banks])
    if banks:
        assert export.rows[0][banks[0]] == IBAN.replace(" ", "")
    assert export.disclosure.basis == "eea"


@pytest.mark.django_db
def test_refusals_and_bad_input(us_processor, person) -> None:
    sid = person["subject"].pk
    with pytest.raises(Refused):
        disclose([sid], purpose="accounting")  # a purpose the recipient may not receive
    with pytest.raises(NotFound):
        disclose([sid], recipient_key="nobody")
    with pytest.raises(NotFound):
        disclose([sid + 999])
    with pytest.raises(InvalidInput):
        disclose([sid], purpose="no-such-purpose")
    with pytest.raises(InvalidInput):
        disclose([sid], controller="nobody")
    with pytest.raises(InvalidInput):
        disclose([], fmt="xml")
    staff_ac = Principal(actor="user:bob", role="staff", controller="ac-cs")
    with pytest.raises(PermissionDenied):
        disclose([sid], principal=staff_ac)
    auditor = Principal(actor="user:eve", role="auditor")
    with pytest.raises(PermissionDenied):
        disclose([sid], principal=auditor)
    assert not Disclosure.objects.exists()


@pytest.mark.django_db
def test_failure_in_the_sink_leaves_no_log(us_processor, person) -> None:
    def boom(export):
        raise OSError("disk full")

    safeguard_add(
        principal=SYSTEM,
        recipient_key="mail-cloud",
        kind="bcr",
        reference="BCR-1",
        signed_on=dt.date(2020, 1, 1),
    )
    with pytest.raises(OSError):
        disclose([person["subject"].pk], sink=boom)
    assert (
        not Disclosure.objects.exists()
        and not AuditEntry.objects.filter(action__startswith="disclosure").exists()
    )


@pytest.mark.django_db
def test_csv_is_escaped_against_formula_injection(policy, person) -> None:
    from tests.factories.subjects import DataItemFactory, RelationshipFactory, SubjectFactory

    evil = SubjectFactory()
    RelationshipFactory(subject=evil)
    DataItemFactory(
        subject=evil, category="user.name", value='=HYPERLINK("http://x","y")', purposes=[PURPOSE]
    )
    recipient_create(
        principal=SYSTEM,
        key="printer",
        name="Printer",
        recipient_type="it-providers",
        country="BE",
        purposes=[PURPOSE],
        categories=["user.name"],
    )
    export = disclose([evil.pk, person["subject"].pk], recipient_key="printer")
    text = render(export, "csv")
    cells = list(csv.DictReader(io.StringIO(text)))
    assert cells[0]["user.name"].startswith("'=")
    assert cells[1]["user.name"] == "Ann Peeters"


@pytest.mark.django_db
def test_between_the_two_entities_disclosed_items_become_visible(policy, person) -> None:
    from tutela.subjects.scoping import visible_items

    recipient_create(
        principal=SYSTEM,
        key="ac-cs",
        name="AC & CS scrl",
        recipient_type="group-entities",
        role="joint_controller",
        country="BE",
        group_controller="ac-cs",
        purposes=[PURPOSE],
        categories=["user.name", "user.contact.email"],
    )
    staff = Principal(actor="user:bob", role="staff", controller="ac-cs")
    items = person["items"]
    before = set(visible_items(staff).values_list("pk", flat=True))
    assert items["email"].pk not in before
    export = disclose([person["subject"].pk], recipient_key="ac-cs")
    assert export.disclosure.basis == "eea"
    disclosed = set(item_ids_disclosed_to_controller("ac-cs"))
    assert items["email"].pk in disclosed and items["phone"].pk not in disclosed
    after = set(visible_items(staff).values_list("pk", flat=True))
    assert items["email"].pk in after and items["phone"].pk not in after
    assert set(item_ids_disclosed_to_controller("crm-asbl")) == set()
    with pytest.raises(Refused):  # an entity does not disclose to itself
        disclose([person["subject"].pk], recipient_key="ac-cs", controller="ac-cs")


def _people(n: int) -> list[int]:
    from tests.factories.subjects import DataItemFactory, RelationshipFactory, SubjectFactory

    ids = []
    for i in range(n):
        s = SubjectFactory()
        RelationshipFactory(subject=s)
        DataItemFactory(subject=s, category="user.name", value=f"Person {i}", purposes=[PURPOSE])
        DataItemFactory(
            subject=s, category="user.contact.email", value=f"p{i}@example.org", purposes=[PURPOSE]
        )
        ids.append(s.pk)
    return ids


@pytest.mark.django_db
def test_disclosure_queries_do_not_grow_with_people(policy, django_assert_max_num_queries) -> None:
    recipient_create(
        principal=SYSTEM,
        key="printer",
        name="Printer",
        recipient_type="it-providers",
        country="BE",
        purposes=[PURPOSE],
        categories=["user.name", "user.contact.email"],
    )
    few, many = _people(3), _people(40)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        disclose(few, recipient_key="printer")
    with django_assert_max_num_queries(len(small.captured_queries) + 2):
        export = disclose(many, recipient_key="printer")
    assert export.disclosure.items_count == 80
    assert DisclosedItem.objects.filter(disclosure=export.disclosure).count() == 80
    with CaptureQueriesContext(connection) as reads:
        recipients_of_subject(many[0], principal=SYSTEM)
        propagation_targets(many[0])
    assert len(reads.captured_queries) <= 4


@pytest.mark.django_db
def test_recipients_of_subject_first_and_last(policy, person) -> None:
    recipient_create(
        principal=SYSTEM,
        key="printer",
        name="Printer",
        recipient_type="it-providers",
        country="BE",
        purposes=[PURPOSE],
        categories=["user.name"],
    )
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        disclose([person["subject"].pk], recipient_key="printer")
    with time_machine.travel(dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC), tick=False):
        disclose([person["subject"].pk], recipient_key="printer")
    (r,) = recipients_of_subject(person["subject"].pk, principal=SYSTEM)
    assert r["first_disclosure"].startswith("2026-03-01") and r["last_disclosure"].startswith("2026-04-01")
    assert r["disclosures"] == 2 and r["basis"] == "eea" and r["safeguard"] is None
    assert transfers_of_subject(person["subject"].pk, principal=SYSTEM) == []  # inside the EEA: no transfer
    assert [d["at"][:10] for d in disclosures_of_subject(person["subject"].pk, principal=SYSTEM)] == [
        "2026-03-01",
        "2026-04-01",
    ]
