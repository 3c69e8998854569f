"""A realistic population in the policy's terms, for the benchmarks.

Per person about ten items of the categories their purposes use, relationships that drive retention
(members with contracts, prospects with interest dates, suppliers, customers, newsletter subscribers), and
a share that is due for retention: about 8 % of people are prospects silent for over a year and 5 % former
members whose contract ended over ten years ago. Items are written with COPY on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from tutela.bench.bulk import NULL, bulk_load, esc, foreign_keys_off, next_id, reset_sequence
from tutela.core import clock, crypto
from tutela.core.audit import (
    AuditRecord,
    audit_many,
    audit_stamp,
    chain_hasher,
    entry_digest,
    payload_digest,
)
from tutela.core.models import AuditEntry, AuditHead
from tutela.policy.schema import Policy
from tutela.policy.selectors import active_policy
from tutela.subjects.identifiers import lookup_of_normalised
from tutela.subjects.models import DataItem, Relationship, Subject

FIRST = [
    "Anne",
    "Luc",
    "Marie",
    "Jan",
    "Sofie",
    "Pierre",
    "Els",
    "Karim",
    "Nora",
    "Thomas",
    "Julie",
    "Pieter",
]
LAST = ["Peeters", "Janssens", "Maes", "Dubois", "Lambert", "Claes", "Willems", "Leroy", "Dupont", "Mertens"]
CITIES = [("1000", "Brussels"), ("4000", "Liège"), ("9000", "Gent"), ("2000", "Antwerpen"), ("5000", "Namur")]

#: (subject type, share of people, relationship maker)
MIX = [
    ("member", 0.30),
    ("prospect", 0.40),
    ("customer", 0.10),
    ("supplier", 0.05),
    ("newsletter-subscriber", 0.15),
]


@dataclass
class Population:
    subjects: int = 0
    items: int = 0
    relationships: int = 0
    audit_entries: int = 0
    consent_events: int = 0
    disclosed_items: int = 0
    due_people: int = 0
    emails: list[str] = field(default_factory=list)
    subject_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not isinstance(v, list)}


def national_number(rng: random.Random) -> str:
    """A valid Belgian national register number (mod-97 check), for someone born 1950 to 1999."""
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 18200))
    first9 = f"{born:%y%m%d}{rng.randrange(1, 998):03d}"
    return first9 + f"{97 - int(first9) % 97:02d}"


def belgian_iban(rng: random.Random) -> str:
    """A valid Belgian IBAN: bank code and account with the national mod-97 check, then the IBAN check."""
    body = f"{rng.randrange(0, 10**10):010d}"
    account = body + f"{int(body) % 97 or 97:02d}"
    numeric = account + "111400"  # "BE" = 11 14, then "00"
    check = 98 - int(numeric) % 97
    return f"BE{check:02d}{account}"


def _value_maker(category: str) -> Callable[[random.Random, int], tuple[str, str | None]]:
    """How to make a value for a category: returns (normalised value, identifier kind or None)."""
    if "email" in category:
        return lambda rng, i: (f"person{i}@example.org", "email")
    if "phone" in category:
        return lambda rng, i: (f"+3247{i % 10_000_000:07d}", "phone")
    if "national" in category or "government_id" in category:
        return lambda rng, i: (national_number(rng), "national_number")
    if "bank" in category or "financial" in category:
        return lambda rng, i: (belgian_iban(rng), "iban")
    if "date_of_birth" in category:
        return lambda rng, i: (
            (dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 18000))).isoformat(),
            None,
        )
    if "address" in category:
        return lambda rng, i: (
            f"Rue {rng.choice(LAST)} {rng.randrange(1, 200)}, {' '.join(rng.choice(CITIES))}",
            None,
        )
    if category.endswith("name") or "name" in category:
        return lambda rng, i: (f"{rng.choice(FIRST)} {rng.choice(LAST)}", None)
    return lambda rng, i: (f"{category.rsplit('.', 1)[-1]} {i}", None)


def _plan(policy: Policy) -> dict[str, list[tuple[str, list[str]]]]:
    """For each subject type of the mix: (category, purposes) pairs, from the policy's purposes."""
    plan: dict[str, list[tuple[str, list[str]]]] = {}
    for subject_type, _share in MIX:
        by_category: dict[str, list[str]] = {}
        for key, purpose in policy.purposes.items():
            if subject_type in purpose.subject_types and purpose.legal_basis != "consent":
                for category in purpose.categories:
                    cat = policy.category(category)
                    if cat is not None and not cat.special:
                        by_category.setdefault(category, []).append(key)
        if subject_type == "newsletter-subscriber" or not by_category:
            for key, purpose in policy.purposes.items():
                if subject_type in purpose.subject_types:
                    for category in purpose.categories:
                        by_category.setdefault(category, []).append(key)
        plan[subject_type] = sorted(by_category.items())[:10]
    return plan


def generate(*, subjects: int, seed: int = 7, progress: Callable[[int], None] | None = None) -> Population:
    """Create ``subjects`` people with their items, relationships and audit entries."""
    policy = active_policy()
    rng = random.Random(seed)
    plan = _plan(policy)
    controllers = list(policy.controllers)
    today = clock.today()
    now = clock.now()
    stamp = now.isoformat()
    first_subject = next_id(Subject)
    first_relationship = next_id(Relationship)  # before COPY starts: no other query while it streams
    first_item = next_id(DataItem)
    pop = Population()
    kinds = {key: cat.identifier for key, cat in policy.categories.items()}
    sensitive = {key for key, cat in policy.categories.items() if cat.sensitive}
    makers = {cat: _value_maker(cat) for rows in plan.values() for cat, _ in rows}
    cumulative = []
    acc = 0.0
    for subject_type, share in MIX:
        acc += share
        cumulative.append((acc, subject_type))

    people: list[tuple[int, str, str]] = []  # (id, type, controller)
    for n in range(subjects):
        r = rng.random()
        subject_type = next(t for limit, t in cumulative if r <= limit + 1e-12)
        people.append((first_subject + n, subject_type, controllers[n % len(controllers)]))

    languages = ["en", "fr", "nl"]

    def subject_rows() -> Iterator[tuple[Any, ...]]:
        getrandbits = rng.getrandbits
        for sid, _t, _c in people:
            yield (sid, uuid.UUID(int=getrandbits(128), version=4), languages[sid % 3], stamp, stamp, 1)

    def days_ago(days: int) -> str:
        return (today - dt.timedelta(days=days)).isoformat()

    def relationship_rows() -> Iterator[tuple[Any, ...]]:
        rel_id = first_relationship
        randrange = rng.randrange
        for index, (sid, subject_type, controller) in enumerate(people):
            started: str = NULL
            ended: str = NULL
            interest: str = NULL
            bucket = index % 20
            if subject_type in ("member", "customer", "supplier"):
                started = days_ago(randrange(400, 9000))
                if bucket == 0:  # due: contract ended over ten years ago
                    started = days_ago(9000)
                    ended = days_ago(3700 + randrange(0, 1000))
                    pop.due_people += 1
                elif bucket < 6:
                    ended = days_ago(randrange(30, 3000))
            elif subject_type == "prospect":
                if bucket < 4:  # due: silent for more than a year
                    interest = days_ago(400 + randrange(0, 500))
                    pop.due_people += 1
                else:
                    interest = days_ago(randrange(0, 330))
            else:
                started = days_ago(randrange(0, 2000))
            yield (rel_id, sid, controller, subject_type, started, ended, interest, stamp, stamp)
            rel_id += 1
            pop.relationships += 1

    # per subject type: (category, its purposes as JSON, identifier kind, sealed?, value maker)
    layouts = {
        subject_type: [
            (
                esc(category),
                esc(json.dumps(purposes)),
                kinds.get(category),
                category in sensitive,
                makers[category],
                category,
            )
            for category, purposes in rows
        ]
        for subject_type, rows in plan.items()
    }
    collected_at = [(now - dt.timedelta(days=d)).isoformat() for d in range(3000)]

    def item_rows() -> Iterator[tuple[Any, ...]]:
        item_id = first_item
        randrange = rng.randrange
        encrypt = crypto.encrypt
        emails = pop.emails
        for index, (sid, subject_type, controller) in enumerate(people):
            # nine people in twenty were first recorded years ago; the rest within the last ten months
            collected = collected_at[randrange(0, 3000) if index % 20 < 9 else randrange(0, 300)]
            direct = index % 3 != 0
            source = "direct" if direct else "data-provider"
            for category, purposes, kind, sealed, make, key in layouts[subject_type]:
                value, own_kind = make(rng, sid)
                id_kind: str | None = kind or own_kind
                lookup = NULL
                if id_kind:
                    lookup = lookup_of_normalised(id_kind, value)
                    if id_kind == "email":
                        emails.append(value)
                if sealed:
                    clear, closed = "", encrypt(value, context=key)
                else:
                    clear, closed = esc(value), ""
                yield (
                    item_id,
                    sid,
                    controller,
                    category,
                    source,
                    "benchmark",
                    collected,
                    purposes,
                    "active",
                    direct,
                    stamp,
                    stamp,
                    clear,
                    closed,
                    lookup,
                )
                item_id += 1
            if progress and index % 10_000 == 0:
                progress(index)

    with transaction.atomic():
        foreign_keys_off()
        pop.subjects = bulk_load(
            Subject,
            ["id", "public_id", "language", "created_at", "updated_at", "version"],
            subject_rows(),
            expected=subjects,
        )
        bulk_load(
            Relationship,
            [
                "id",
                "subject_id",
                "controller",
                "kind",
                "started_on",
                "ended_on",
                "last_interest_on",
                "created_at",
                "updated_at",
            ],
            relationship_rows(),
            expected=subjects,
        )
        pop.items = bulk_load(DataItem, ITEM_COLUMNS, item_rows(), expected=subjects * 10)
        for model in (Subject, Relationship, DataItem):
            reset_sequence(model)
        pop.consent_events = _consents(people, policy, rng)
        pop.disclosed_items = _disclosures(people, first_item, policy)
        pop.audit_entries = _audit_entries(subjects)
        audit_many([AuditRecord("bench.generate", payload={"subjects": subjects, "items": pop.items})])
    settle()
    pop.subject_ids = [p[0] for p in people]
    return pop


def settle() -> None:
    """PostgreSQL: VACUUM (ANALYZE) the whole database once the load is committed.

    A database in service has been vacuumed and analysed by autovacuum long before anyone measures it; a
    freshly COPY-loaded one has neither statistics nor hint bits nor a visibility map, so the first query
    to touch each page pays for writing them (a scrub measured 2.1 s straight after the load, 0.4 s once
    the pages had been touched). Measuring a settled database is measuring what users meet; this is what a
    DBA runs after a bulk load, and the server this runs on may have autovacuum off."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


ITEM_COLUMNS = [
    "id",
    "subject_id",
    "controller",
    "category",
    "source",
    "source_detail",
    "collected_at",
    "purposes",
    "status",
    "provided_by_subject",
    "created_at",
    "updated_at",
    "value",
    "value_sealed",
    "lookup",
]


def _consents(people: list[tuple[int, str, str]], policy: Policy, rng: random.Random) -> int:
    """Consent histories: newsletter subscribers gave consent; one in ten later withdrew it."""
    from tutela.consent.models import ConsentEvent
    from tutela.policy.selectors import active_version

    consent_purposes = [k for k, p in policy.purposes.items() if p.legal_basis == "consent"]
    if not consent_purposes:
        return 0
    purpose = "newsletter" if "newsletter" in consent_purposes else consent_purposes[0]
    consent = policy.purposes[purpose].consent
    wording = esc(consent.wording if consent else "")
    version = active_version().number
    now = clock.now()
    purpose_text = esc(purpose)

    def rows() -> Iterator[tuple[Any, ...]]:
        for index, (sid, subject_type, controller) in enumerate(people):
            if subject_type != "newsletter-subscriber":
                continue
            given = now - dt.timedelta(days=rng.randrange(30, 2000))
            base = (sid, purpose_text, controller, "portal", version, wording, "bench")
            yield (*base, "given", given.isoformat())
            if index % 10 == 0:
                yield (*base, "withdrawn", (given + dt.timedelta(days=20)).isoformat())

    columns = ["subject_id", "purpose", "controller", "channel", "policy_version", "wording", "recorded_by"]
    count = bulk_load(ConsentEvent, [*columns, "kind", "at"], rows(), expected=len(people) // 7)
    reset_sequence(ConsentEvent)
    return count


def _disclosures(people: list[tuple[int, str, str]], first_item: int, policy: Policy) -> int:
    """One disclosure to an IT provider of the e-mail addresses of one person in ten, logged per item."""
    from tutela.recipients.models import DisclosedItem, Disclosure, Recipient

    now = clock.now()
    rtype = next(iter(policy.recipients), "it-providers")
    recipient, _ = Recipient.objects.get_or_create(
        key="bench-it-provider",
        defaults={
            "name": "Benchmark IT provider",
            "recipient_type": rtype,
            "role": "processor",
            "country": "BE",
            "categories": ["user.contact.email"],
            "purposes": [],
            "created_at": now,
            "updated_at": now,
        },
    )
    disclosure = Disclosure.objects.create(
        public_id=uuid.uuid4(),
        recipient=recipient,
        controller=people[0][2] if people else "crm-asbl",
        purpose=next(iter(policy.purposes)),
        at=now,
        on=now.date(),
        basis="eea",
        mechanism="none",
        categories=["user.contact.email"],
        format="csv",
        actor="bench",
    )
    wanted = {sid for index, (sid, _t, _c) in enumerate(people) if index % 10 == 0}
    names = DataItem.objects.filter(id__gte=first_item, subject_id__in=wanted, category="user.contact.email")
    pairs = list(names.values_list("id", "subject_id"))  # read before COPY starts (one query at a time)
    stamp = now.isoformat()
    rows = (
        (disclosure.id, recipient.id, sid, item_id, item_id, "user.contact.email", stamp)
        for item_id, sid in pairs
    )
    columns = ["disclosure_id", "recipient_id", "subject_id", "item_id", "item_ref", "category", "at"]
    count = bulk_load(DisclosedItem, columns, rows, expected=len(pairs))
    reset_sequence(DisclosedItem)
    Disclosure.objects.filter(pk=disclosure.pk).update(subjects_count=count, items_count=count)
    return count


def _audit_entries(count: int) -> int:
    """Append ``count`` realistic entries to the chain (one read per person), computing real hashes.

    The hashes are those :func:`tutela.core.audit.entry_digest` computes (the tests hold the two
    together); here the constant parts of the hashed material are serialised once.
    """
    head = AuditHead.objects.select_for_update().get(pk=1)
    at = clock.now().replace(microsecond=0)
    prev, seq = head.entry_hash, head.seq
    payload = {"purpose": "member-management", "items": 10, "via": "api"}
    p_hash = payload_digest(payload)
    payload_text = esc(json.dumps(payload))
    at_text = at.isoformat()
    stamp = json.dumps(audit_stamp(at))
    keyed_hash = chain_hasher()

    def material(seq: int, object_id: int, prev: str) -> str:
        # entry_digest's material, written out for these constant fields (checked against it below)
        return f'[{seq},{stamp},"bench","subject.read","subject","{object_id}",null,"{p_hash}","{prev}"]'

    if count:
        expected_digest = entry_digest(
            seq=seq + 1,
            at=at,
            actor="bench",
            action="subject.read",
            object_type="subject",
            object_id="0",
            subject_id=None,
            payload_hash=p_hash,
            prev_hash=prev,
        )
        assert keyed_hash(material(seq + 1, 0, prev)) == expected_digest

    def rows() -> Iterator[tuple[Any, ...]]:
        nonlocal prev, seq
        for i in range(count):
            seq += 1
            digest = keyed_hash(material(seq, i, prev))
            yield (
                seq,
                at_text,
                "bench",
                "subject.read",
                "subject",
                i,
                NULL,
                payload_text,
                p_hash,
                prev,
                digest,
            )
            prev = digest

    columns = [
        "seq",
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "subject_id",
        "payload",
        "payload_hash",
        "prev_hash",
        "entry_hash",
    ]
    written = bulk_load(AuditEntry, columns, rows(), expected=count)
    AuditHead.objects.filter(pk=1).update(seq=seq, entry_hash=prev)
    return written
