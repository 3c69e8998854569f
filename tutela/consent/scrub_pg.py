"""The facts of a list scrub on PostgreSQL: two statements per chunk.

For a chunk of blind indexes the first statement finds who carries each one (``lookups_present``) and the
suppression date of the others (``selectors.suppressed_lookups``); the second gathers for those people what
the purpose's decision reads (``selectors.gather_facts``): two round trips per chunk instead of eight, and
no ORM query building over thousands of ids. ``fetch_chunk`` only talks to the database and
``build_chunk`` only builds facts, so a scrub can run the next chunk's statements while it decides this one.

Only what ``rules.decide_purpose`` can read for this purpose and controller is fetched: relationships,
items, consents and objections outside the controllers in scope, and items outside the purpose's
categories, are left in the database (the rule filters them out the same way first thing). A test holds the
decisions made from these facts equal to those made from ``gather_facts``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from tutela.consent.rules import ConsentFact, ItemFact, ObjectionFact, PurposeFacts, RelationshipFact
from tutela.policy.schema import Policy

# The items are read person by person (a LATERAL probe of item_subject_controller; OFFSET 0 keeps the
# planner from flattening it): a person's items sit together, but the sampled statistics put a
# million people's ten million items at about 120,000 distinct people, so for 7,000 ids the planner
# expected half a million rows and scanned the whole table (0.9 s a chunk, against 0.03 s).
#
# Lists travel as one comma-joined text (blind indexes are hex, ids digits) that PostgreSQL splits while
# planning: the arrays are constants whose size the planner sees, so the plans stay right even on tables
# never analysed (a join against a CTE of unknown size once made a chunk take seconds), and the driver does
# not quote ten thousand values one by one.
OWNERS_SQL = """
SELECT DISTINCT 'M', i.lookup, i.subject_id, NULL::timestamptz FROM tutela_data_item i
 WHERE i.lookup = ANY(string_to_array(%(lookups)s, ',')) AND i.status <> 'erased'
UNION ALL
SELECT 'L', x.lookup, NULL, MAX(x.created_at) FROM tutela_suppression x
 WHERE x.lookup = ANY(string_to_array(%(lookups)s, ',')) AND x.purpose = %(purpose)s
   AND (%(any_controller)s OR x.controller = ANY(%(controllers)s))
 GROUP BY x.lookup
"""

FACTS_SQL = """
SELECT 'S', s.id, NULL, NULL, NULL, NULL::date, NULL::date, NULL::date, s.erased_at, NULL::bigint, NULL::integer
  FROM tutela_subject s WHERE s.id = ANY(string_to_array(%(ids)s, ',')::bigint[])
UNION ALL
SELECT 'R', r.subject_id, r.controller, r.kind, NULL, r.started_on, r.ended_on, r.last_interest_on, NULL, NULL, NULL
  FROM tutela_relationship r
 WHERE r.subject_id = ANY(string_to_array(%(ids)s, ',')::bigint[]) AND r.controller = ANY(%(scope)s)
UNION ALL
SELECT 'I', i.subject_id, i.controller, i.category, i.status,
       (i.collected_at AT TIME ZONE 'Europe/Brussels')::date,
       (i.created_at AT TIME ZONE 'Europe/Brussels')::date, NULL, NULL, NULL, NULL
  FROM unnest(string_to_array(%(ids)s, ',')::bigint[]) AS p(id)
 CROSS JOIN LATERAL (
       SELECT i.subject_id, i.controller, i.category, i.status, i.collected_at, i.created_at
         FROM tutela_data_item i
        WHERE i.subject_id = p.id AND i.controller = ANY(%(scope)s)
          AND (i.category = ANY(%(categories)s) OR i.category LIKE ANY(%(prefixes)s))
       OFFSET 0) i
UNION ALL
SELECT 'C', c.subject_id, c.controller, c.kind, NULL, NULL, NULL, NULL, c.at, c.id, c.policy_version
  FROM tutela_consent_event c
 WHERE c.subject_id = ANY(string_to_array(%(ids)s, ',')::bigint[]) AND c.purpose = %(purpose)s
   AND c.controller = ANY(%(in_scope)s)
UNION ALL
SELECT 'O', o.subject_id, o.controller, o.status, CASE WHEN o.absolute THEN 'absolute' ELSE '' END,
       NULL, NULL, NULL, o.received_at, NULL, NULL
  FROM tutela_objection o
 WHERE o.subject_id = ANY(string_to_array(%(ids)s, ',')::bigint[]) AND o.purpose = %(purpose)s
   AND o.controller = ANY(%(in_scope)s)
UNION ALL
SELECT 'X', i.subject_id, NULL, NULL, NULL, NULL, NULL, NULL, MAX(x.created_at), NULL, NULL
  FROM tutela_suppression x JOIN tutela_data_item i ON i.lookup = x.lookup
 WHERE i.subject_id = ANY(string_to_array(%(ids)s, ',')::bigint[]) AND i.status <> 'erased'
   AND x.purpose = %(purpose)s AND (%(any_controller)s OR x.controller = ANY(%(controllers)s))
 GROUP BY i.subject_id
"""


@dataclass
class ChunkFacts:
    """Who carries each blind index, their facts, and the suppression date of the others."""

    owners: dict[str, list[int]]
    facts: dict[int, PurposeFacts]
    suppressed: dict[str, dt.datetime]


def _like_prefix(key: str) -> str:
    """``key.%`` as a LIKE pattern matching exactly the texts that start with ``key + "."``."""
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + ".%"


#: runs one statement and returns its rows (Django's cursor, or a psycopg cursor in the scrub's worker)
Runner = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]


@dataclass
class ChunkRows:
    """What the two statements returned for one chunk (database work only: no facts built yet)."""

    owners: list[tuple[Any, ...]]
    facts: list[tuple[Any, ...]]
    ids: list[int]


def django_runner(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def fetch_chunk(
    run: Runner, lookups: Sequence[str], purpose: str, controller: str | None, policy: Policy
) -> ChunkRows:
    """Run the chunk's two statements; touches nothing but the database (so it may run in a worker)."""
    declared = policy.purposes[purpose]
    scope = [controller] if controller is not None else list(declared.controllers)
    params: dict[str, Any] = {
        "lookups": ",".join(lookups),
        "purpose": purpose,
        "scope": scope,
        "in_scope": [*scope, ""],
        "categories": list(declared.categories),
        "prefixes": [_like_prefix(k) for k in declared.categories],
        "any_controller": controller is None,
        "controllers": ["", controller or ""],
    }
    owners = run(OWNERS_SQL, params)
    ids = sorted({row[2] for row in owners if row[0] == "M"})
    if not ids:
        return ChunkRows(owners, [], ids)
    params["ids"] = ",".join(map(str, ids))
    return ChunkRows(owners, run(FACTS_SQL, params), ids)


def build_chunk(rows: ChunkRows, purpose: str, controller: str | None, today: dt.date) -> ChunkFacts:
    """The chunk's facts from its rows. Equal facts are one object: most people share a few item and
    relationship facts (same category, status and day), and making frozen objects is most of the cost."""
    owners: dict[str, list[int]] = defaultdict(list)
    loose: dict[str, dt.datetime] = {}
    for tag, lookup, sid, ts in rows.owners:
        if tag == "M":
            owners[lookup].append(sid)
        else:
            loose[lookup] = ts
    for sids in owners.values():
        sids.sort()
    for lookup in owners:
        loose.pop(lookup, None)  # carried by someone: that person's facts speak, not the bare identifier
    erased: dict[int, dt.datetime | None] = {}
    rels: dict[int, list[RelationshipFact]] = defaultdict(list)
    items: dict[int, list[ItemFact]] = defaultdict(list)
    consents: dict[int, list[ConsentFact]] = defaultdict(list)
    objections: dict[int, list[ObjectionFact]] = defaultdict(list)
    suppressed: dict[int, dt.datetime] = {}
    known_items: dict[tuple[Any, ...], ItemFact] = {}
    known_rels: dict[tuple[Any, ...], RelationshipFact] = {}
    for tag, sid, s1, s2, s3, d1, d2, d3, ts, n1, n2 in rows.facts:
        if tag == "I":
            item = known_items.get((s1, s2, s3, d1, d2))
            if item is None:
                item = known_items[(s1, s2, s3, d1, d2)] = ItemFact(s1, s2, s3, d1, d2)
            items[sid].append(item)
        elif tag == "R":
            rel = known_rels.get((s1, s2, d1, d2, d3))
            if rel is None:
                rel = known_rels[(s1, s2, d1, d2, d3)] = RelationshipFact(s1, s2, d1, d2, d3)
            rels[sid].append(rel)
        elif tag == "S":
            erased[sid] = ts
        elif tag == "C":
            consents[sid].append(ConsentFact(s1, s2, ts, n1, n2))
        elif tag == "O":
            objections[sid].append(ObjectionFact(s1, s2, ts, s3 == "absolute"))
        elif tag == "X":
            suppressed[sid] = ts
    empty: tuple[Any, ...] = ()
    facts = {
        sid: PurposeFacts(
            purpose=purpose,
            controller=controller,
            today=today,
            known=sid in erased,
            erased_at=erased.get(sid),
            relationships=tuple(rels[sid]) if sid in rels else empty,
            items=tuple(items[sid]) if sid in items else empty,
            consents=tuple(consents[sid]) if sid in consents else empty,
            objections=tuple(objections[sid]) if sid in objections else empty,
            suppressed_at=suppressed.get(sid),
        )
        for sid in rows.ids
    }
    return ChunkFacts(dict(owners), facts, loose)


def chunk_facts(
    lookups: Sequence[str], purpose: str, controller: str | None, policy: Policy, today: dt.date
) -> ChunkFacts:
    """The facts ``_Decider`` needs for one chunk of (unique, non-empty, hex) blind indexes."""
    return build_chunk(
        fetch_chunk(django_runner, lookups, purpose, controller, policy), purpose, controller, today
    )
