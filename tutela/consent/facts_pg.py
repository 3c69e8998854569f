"""The facts of a purpose check in ONE statement on PostgreSQL (the hot path: one round trip).

The statement gathers, for the people given by id and/or by the blind index of an identifier, their record
(erased, merged), relationships, items, consent events and objections for the purpose, and the suppression
entries that match their identifiers or the identifier itself, as rows of one UNION ALL. The ORM path in
``selectors.gather_facts`` returns the same facts (a test compares both); it serves SQLite and batches.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import connection

from tutela.consent.rules import ConsentFact, ItemFact, ObjectionFact, PurposeFacts, RelationshipFact
from tutela.core.clock import BRUSSELS

_TEMPLATE = """
WITH ids AS (
    SELECT_GIVEN_IDS
    UNION
    SELECT subject_id FROM tutela_data_item WHERE lookup = %(lookup)s AND status <> 'erased'
)
SELECT 'S', s.id, NULL, NULL, NULL, NULL::date, NULL::date, NULL::date, s.erased_at, s.merged_into_id, NULL::bigint
  FROM tutela_subject s WHERE s.id IN (SELECT id FROM ids)
UNION ALL
SELECT 'R', r.subject_id, r.controller, r.kind, NULL, r.started_on, r.ended_on, r.last_interest_on, NULL, NULL, NULL
  FROM tutela_relationship r WHERE r.subject_id IN (SELECT id FROM ids)
UNION ALL
SELECT 'I', i.subject_id, i.controller, i.category, i.status,
       (i.created_at AT TIME ZONE 'Europe/Brussels')::date, NULL, NULL, i.collected_at, NULL, NULL
  FROM tutela_data_item i WHERE i.subject_id IN (SELECT id FROM ids)
UNION ALL
SELECT 'C', c.subject_id, c.controller, c.kind, NULL, NULL, NULL, NULL, c.at, c.id, c.policy_version
  FROM tutela_consent_event c WHERE c.subject_id IN (SELECT id FROM ids) AND c.purpose = %(purpose)s
UNION ALL
SELECT 'O', o.subject_id, o.controller, o.status, CASE WHEN o.absolute THEN 'absolute' ELSE '' END,
       NULL, NULL, NULL, o.received_at, NULL, NULL
  FROM tutela_objection o WHERE o.subject_id IN (SELECT id FROM ids) AND o.purpose = %(purpose)s
UNION ALL
SELECT 'X', i.subject_id, NULL, NULL, NULL, NULL, NULL, NULL, MAX(x.created_at), NULL, NULL
  FROM tutela_suppression x JOIN tutela_data_item i ON i.lookup = x.lookup
 WHERE i.subject_id IN (SELECT id FROM ids) AND i.status <> 'erased' AND x.purpose = %(purpose)s
   AND (%(any_controller)s OR x.controller = ANY(%(controllers)s))
 GROUP BY i.subject_id
UNION ALL
SELECT 'L', NULL, NULL, NULL, NULL, NULL, NULL, NULL, MAX(x.created_at), NULL, NULL
  FROM tutela_suppression x
 WHERE x.lookup = %(lookup)s AND x.purpose = %(purpose)s
   AND (%(any_controller)s OR x.controller = ANY(%(controllers)s))
"""

#: the check of one person (by id, or by an identifier: then the id is NULL). Its parameters are scalars, so
#: the plan PostgreSQL makes once for the prepared statement (the generic plan) costs what a plan made for
#: each call would: the server keeps it instead of planning every check, which took longer than executing.
SQL_ONE = _TEMPLATE.replace("SELECT_GIVEN_IDS", "SELECT %(id)s::bigint AS id")
#: several people at once; an array of unknown length makes the generic plan look dearer than a plan for
#: the values at hand, so this one is planned at each call
SQL_MANY = _TEMPLATE.replace("SELECT_GIVEN_IDS", "SELECT unnest(%(ids)s::bigint[]) AS id")


#: a ``prepare_threshold`` that no statement's count of executions reaches
_ONLY_WHEN_ASKED = 1 << 62


def _run_prepared(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run as a server-side prepared statement on the connection's current transaction: the statement is
    parsed (and, for ``SQL_ONE``, planned) once per connection, not at every check.

    Django opens psycopg connections with prepared statements off (``prepare_threshold`` None), which also
    ignores ``prepare=True``; a threshold no query count reaches instead prepares exactly the statements
    that ask, as this one does, and nothing else (Django's own cursors bind on the client, never prepare)."""
    import psycopg
    from django.conf import settings

    connection.ensure_connection()
    raw = connection.connection
    if settings.TUTELA_DB_POOLER or not isinstance(raw, psycopg.Connection):
        # behind a transaction-mode pooler a statement prepared on one server connection is unknown on the
        # next: bind on the client like every other statement
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    with psycopg.Cursor(raw) as cur:
        cur.execute(sql.encode(), params, prepare=True)  # type: ignore[call-overload]
        return cur.fetchall()


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.astimezone(BRUSSELS).date() if value is not None else None


def gather_one_statement(
    *,
    purpose: str,
    controller: str | None,
    today: dt.date,
    ids: Sequence[int] = (),
    lookup: str | None = None,
) -> tuple[dict[int, PurposeFacts], dict[int, int | None], dt.datetime | None]:
    """Facts per person, each person's ``merged_into`` id, and the suppression date of ``lookup`` itself."""
    single = len(ids) == 1 or (not ids and lookup is not None)
    params: dict[str, Any] = {
        "id": ids[0] if ids else None,
        "ids": list(ids),
        "lookup": lookup,
        "purpose": purpose,
        "any_controller": controller is None,
        "controllers": ["", controller or ""],
    }
    rows = _run_prepared(SQL_ONE if single else SQL_MANY, params)
    subjects: dict[int, tuple[dt.datetime | None, int | None]] = {}
    rels: dict[int, list[RelationshipFact]] = defaultdict(list)
    items: dict[int, list[ItemFact]] = defaultdict(list)
    consents: dict[int, list[ConsentFact]] = defaultdict(list)
    objections: dict[int, list[ObjectionFact]] = defaultdict(list)
    suppressed: dict[int, dt.datetime] = {}
    own_suppression: dt.datetime | None = None
    for tag, sid, s1, s2, s3, d1, d2, d3, ts, n1, n2 in rows:
        if tag == "S":
            subjects[sid] = (ts, n1)
        elif tag == "R":
            rels[sid].append(RelationshipFact(s1, s2, d1, d2, d3))
        elif tag == "I":
            items[sid].append(ItemFact(s1, s2, s3, _day(ts), d1))
        elif tag == "C":
            consents[sid].append(ConsentFact(s1, s2, ts, n1, n2))
        elif tag == "O":
            objections[sid].append(ObjectionFact(s1, s2, ts, s3 == "absolute"))
        elif tag == "X":
            suppressed[sid] = ts
        elif tag == "L":
            own_suppression = ts
    facts = {
        sid: PurposeFacts(
            purpose=purpose,
            controller=controller,
            today=today,
            known=True,
            erased_at=erased,
            relationships=tuple(rels.get(sid, ())),
            items=tuple(items.get(sid, ())),
            consents=tuple(consents.get(sid, ())),
            objections=tuple(objections.get(sid, ())),
            suppressed_at=suppressed.get(sid),
        )
        for sid, (erased, _) in subjects.items()
    }
    merged = {sid: into for sid, (_, into) in subjects.items()}
    return facts, merged, own_suppression
