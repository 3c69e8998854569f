"""A realistic population in the policy's terms, for the benchmarks.

Per person about ten items of the categories their purposes use, relationships that drive retention
(members with contracts, prospects with interest dates, suppliers, customers, newsletter subscribers), and
a share that is due for retention: about 5 % of people are prospects silent for over a year and 5 % former
members whose contract ended over ten years ago. Items are written with COPY on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from tutela.bench.bulk import bulk_load, next_id, reset_sequence
from tutela.core import clock, crypto
from tutela.core.audit import AuditRecord, audit_many, entry_digest, payload_digest
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
    first_subject = next_id(Subject)
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

    def subject_rows() -> Iterator[dict[str, Any]]:
        for sid, _t, _c in people:
            yield {
                "id": sid,
                "public_id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "language": rng.choice(["en", "fr", "nl"]),
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }

    def relationship_rows() -> Iterator[dict[str, Any]]:
        rel_id = next_id(Relationship)
        for index, (sid, subject_type, controller) in enumerate(people):
            row: dict[str, Any] = {
                "id": rel_id,
                "subject_id": sid,
                "controller": controller,
                "kind": subject_type,
                "created_at": now,
                "updated_at": now,
            }
            rel_id += 1
            bucket = index % 20
            if subject_type in ("member", "customer", "supplier"):
                row["started_on"] = today - dt.timedelta(days=rng.randrange(400, 9000))
                if bucket == 0:  # due: contract ended over ten years ago
                    row["started_on"] = today - dt.timedelta(days=9000)
                    row["ended_on"] = today - dt.timedelta(days=3700 + rng.randrange(0, 1000))
                    pop.due_people += 1
                elif bucket < 6:
                    row["ended_on"] = today - dt.timedelta(days=rng.randrange(30, 3000))
            elif subject_type == "prospect":
                if bucket < 3:  # due: silent for more than a year
                    row["last_interest_on"] = today - dt.timedelta(days=400 + rng.randrange(0, 500))
                    pop.due_people += 1
                else:
                    row["last_interest_on"] = today - dt.timedelta(days=rng.randrange(0, 330))
            else:
                row["started_on"] = today - dt.timedelta(days=rng.randrange(0, 2000))
            pop.relationships += 1
            yield row

    def item_rows() -> Iterator[dict[str, Any]]:
        item_id = next_id(DataItem)
        for index, (sid, subject_type, controller) in enumerate(people):
            collected = now - dt.timedelta(days=rng.randrange(0, 3000))
            for category, purposes in plan[subject_type]:
                value, kind = makers[category](rng, sid)
                kind = kinds.get(category) or kind
                row: dict[str, Any] = {
                    "id": item_id,
                    "subject_id": sid,
                    "controller": controller,
                    "category": category,
                    "source": "direct" if index % 3 else "data-provider",
                    "source_detail": "benchmark",
                    "collected_at": collected,
                    "purposes": purposes,
                    "status": "active",
                    "provided_by_subject": index % 3 != 0,
                    "created_at": now,
                    "updated_at": now,
                    "value": "",
                    "value_sealed": "",
                    "lookup": None,
                }
                if category in sensitive:
                    row["value_sealed"] = crypto.encrypt(value, context=category)
                else:
                    row["value"] = value
                if kind:
                    row["lookup"] = lookup_of_normalised(kind, value)
                    if kind == "email":
                        pop.emails.append(value)
                item_id += 1
                pop.items += 1
                yield row
            if progress and index % 10_000 == 0:
                progress(index)

    first_item = next_id(DataItem)
    with transaction.atomic():
        pop.subjects = bulk_load(Subject, subject_rows())
        bulk_load(Relationship, relationship_rows())
        bulk_load(DataItem, item_rows())
        for model in (Subject, Relationship, DataItem):
            reset_sequence(model)
        pop.consent_events = _consents(people, policy, rng)
        pop.disclosed_items = _disclosures(people, first_item, policy)
        pop.audit_entries = _audit_entries(subjects)
        audit_many([AuditRecord("bench.generate", payload={"subjects": subjects, "items": pop.items})])
    pop.subject_ids = [p[0] for p in people]
    return pop


def _consents(people: list[tuple[int, str, str]], policy: Policy, rng: random.Random) -> int:
    """Consent histories: newsletter subscribers gave consent; one in ten later withdrew it."""
    from tutela.consent.models import ConsentEvent
    from tutela.policy.selectors import active_version

    consent_purposes = [k for k, p in policy.purposes.items() if p.legal_basis == "consent"]
    if not consent_purposes:
        return 0
    purpose = "newsletter" if "newsletter" in consent_purposes else consent_purposes[0]
    wording = policy.purposes[purpose].consent.wording if policy.purposes[purpose].consent else ""
    version = active_version().number
    now = clock.now()

    def rows() -> Iterator[dict[str, Any]]:
        for index, (sid, subject_type, controller) in enumerate(people):
            if subject_type != "newsletter-subscriber":
                continue
            given = now - dt.timedelta(days=rng.randrange(30, 2000))
            base = {
                "subject_id": sid,
                "purpose": purpose,
                "controller": controller,
                "channel": "portal",
                "policy_version": version,
                "wording": wording,
                "recorded_by": "bench",
            }
            yield {**base, "kind": "given", "at": given}
            if index % 10 == 0:
                yield {**base, "kind": "withdrawn", "at": given + dt.timedelta(days=20)}

    count = bulk_load(ConsentEvent, rows())
    reset_sequence(ConsentEvent)
    return count


def _disclosures(people: list[tuple[int, str, str]], first_item: int, policy: Policy) -> int:
    """One disclosure to an IT provider of the name items of one person in ten, logged per item."""
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
            "categories": ["user.name"],
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
        categories=["user.name"],
        format="csv",
        actor="bench",
    )
    wanted = {sid for index, (sid, _t, _c) in enumerate(people) if index % 10 == 0}
    names = DataItem.objects.filter(id__gte=first_item, subject_id__in=wanted, category="user.name")

    def rows() -> Iterator[dict[str, Any]]:
        for item_id, sid in names.values_list("id", "subject_id").iterator(chunk_size=10_000):
            yield {
                "disclosure_id": disclosure.id,
                "recipient_id": recipient.id,
                "subject_id": sid,
                "item_id": item_id,
                "item_ref": item_id,
                "category": "user.name",
                "at": now,
            }

    count = bulk_load(DisclosedItem, rows())
    reset_sequence(DisclosedItem)
    Disclosure.objects.filter(pk=disclosure.pk).update(subjects_count=count, items_count=count)
    return count


def _audit_entries(count: int) -> int:
    """Append ``count`` realistic entries to the chain (one read per person), computing real hashes."""
    head = AuditHead.objects.select_for_update().get(pk=1)
    at = clock.now().replace(microsecond=0)
    prev, seq = head.entry_hash, head.seq

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal prev, seq
        for i in range(count):
            seq += 1
            payload = {"purpose": "member-management", "items": 10, "via": "api"}
            p_hash = payload_digest(payload)
            digest = entry_digest(
                seq=seq,
                at=at,
                actor="bench",
                action="subject.read",
                object_type="subject",
                object_id=str(i),
                subject_id=None,
                payload_hash=p_hash,
                prev_hash=prev,
            )
            yield {
                "seq": seq,
                "at": at,
                "actor": "bench",
                "action": "subject.read",
                "object_type": "subject",
                "object_id": str(i),
                "subject_id": None,
                "payload": payload,
                "payload_hash": p_hash,
                "prev_hash": prev,
                "entry_hash": digest,
                "redacted_at": None,
            }
            prev = digest

    written = bulk_load(AuditEntry, rows())
    AuditHead.objects.filter(pk=1).update(seq=seq, entry_hash=prev)
    return written
