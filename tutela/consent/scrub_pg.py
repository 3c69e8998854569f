"""The facts of a list scrub, one chunk in ONE statement on PostgreSQL.

For a chunk of blind indexes the statement finds who carries each one (``lookups_present``), and gathers for
those people what the purpose's decision reads (``selectors.gather_facts``), plus the suppression date of the
identifiers no one carries (``selectors.suppressed_lookups``): one round trip per chunk instead of eight, no
ORM query building over thousands of ids, and no timestamp conversion for rows the decision never reads.

Only what ``rules.decide_purpose`` can read for this purpose and controller is fetched: relationships,
items, consents and objections outside the controllers in scope, and items outside the purpose's
categories, are left in the database (the rule filters them out the same way first thing). A test holds the
decisions made from these facts equal to those made from ``gather_facts``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from tutela.consent.rules import ConsentFact, ItemFact, ObjectionFact, PurposeFacts, RelationshipFact
from tutela.policy.schema import Policy

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
       (i.collected_at AT TIME ZONE 'Europe/Brussels')::date, NULL, NULL, NULL, NULL, NULL
  FROM tutela_data_item i
 WHERE i.subject_id = ANY(string_to_array(%(ids)s, ',')::bigint[]) AND i.controller = ANY(%(scope)s)
   AND (i.category = ANY(%(categories)s) OR i.category LIKE ANY(%(prefixes)s))
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


def chunk_facts(
    lookups: Sequence[str], purpose: str, controller: str | None, policy: Policy, today: dt.date
) -> ChunkFacts:
    """The facts ``_Decider`` needs for one chunk of (unique, non-empty, hex) blind indexes."""
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
    owners: dict[str, list[int]] = defaultdict(list)
    loose: dict[str, dt.datetime] = {}
    with connection.cursor() as cur:
        cur.execute(OWNERS_SQL, params)
        for tag, lookup, sid, ts in cur.fetchall():
            if tag == "M":
                owners[lookup].append(sid)
            else:
                loose[lookup] = ts
    for sids in owners.values():
        sids.sort()
    ids = sorted({sid for sids in owners.values() for sid in sids})
    for lookup in owners:
        loose.pop(lookup, None)  # carried by someone: that person's facts speak, not the bare identifier
    if not ids:
        return ChunkFacts(dict(owners), {}, loose)
    params["ids"] = ",".join(map(str, ids))
    with connection.cursor() as cur:
        cur.execute(FACTS_SQL, params)
        rows = cur.fetchall()
    erased: dict[int, dt.datetime | None] = {}
    rels: dict[int, list[RelationshipFact]] = defaultdict(list)
    items: dict[int, list[ItemFact]] = defaultdict(list)
    consents: dict[int, list[ConsentFact]] = defaultdict(list)
    objections: dict[int, list[ObjectionFact]] = defaultdict(list)
    suppressed: dict[int, dt.datetime] = {}
    for tag, sid, s1, s2, s3, d1, d2, d3, ts, n1, n2 in rows:
        if tag == "I":
            items[sid].append(ItemFact(s1, s2, s3, d1))
        elif tag == "R":
            rels[sid].append(RelationshipFact(s1, s2, d1, d2, d3))
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
        for sid in ids
    }
    return ChunkFacts(dict(owners), facts, loose)
