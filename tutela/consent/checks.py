"""Purpose checks: may this person's data be used for this purpose, now?

``purpose_check`` answers for one person with a fixed number of indexed queries and the cached active
policy; ``purpose_check_many`` answers a batch set-based. The decision itself is the pure rule
``tutela.consent.rules.decide_purpose``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from tutela.consent import selectors
from tutela.consent.rules import PurposeDecision, PurposeFacts, decide_purpose
from tutela.core import clock
from tutela.core.errors import FieldError, InvalidInput
from tutela.policy.selectors import active_policy

#: the largest batch the API accepts in one call (lists go through scrubbing)
MAX_BATCH = 1000


def purpose_check(
    *,
    purpose: str,
    identifier: str | None = None,
    subject_id: int | None = None,
    controller: str | None = None,
    today: dt.date | None = None,
) -> PurposeDecision:
    """Allow or deny the use of one person's data for a purpose, with every reason that applies."""
    if (identifier is None) == (subject_id is None):
        raise InvalidInput(
            "give either an identifier or a subject id",
            errors=[FieldError("exactly one of identifier and subject_id", field="identifier")],
        )
    if not purpose or not purpose.strip():
        raise InvalidInput("a purpose is required", errors=[FieldError("empty", field="purpose")])
    policy = active_policy()
    controller = controller or None
    today = today or clock.today()
    if connection.vendor == "postgresql":
        facts = _facts_one_statement(identifier, subject_id, purpose, controller, today)
        if facts is not None:
            return decide_purpose(facts, policy)
    lookups: list[tuple[str, str]] = []
    if identifier is not None:
        lookups = selectors.identifier_lookups(identifier)
        if lookups:  # e-mail or phone: whoever carries it, archived data included (the reason says so)
            owners = selectors.lookups_present([lookups[0][1]]).get(lookups[0][1], [])
            subject_id = selectors.first_live_subject(owners)
        else:
            subject_id, _ = selectors.resolve(identifier)
    if subject_id is not None:
        facts = selectors.gather_facts([subject_id], purpose, controller, today=today)[subject_id]
    else:
        hits = selectors.suppressed_lookups([lk for _, lk in lookups], purpose, controller)
        facts = selectors.unknown_facts(purpose, controller, max(hits.values()) if hits else None, today)
    return decide_purpose(facts, policy)


def _facts_one_statement(
    identifier: str | None, subject_id: int | None, purpose: str, controller: str | None, today: dt.date
) -> PurposeFacts | None:
    """The hot path on PostgreSQL: one round trip for an id, an e-mail address or a phone number.
    None when the slower path must answer (another kind of identifier, a merged record)."""
    from tutela.consent.facts_pg import gather_one_statement

    if subject_id is not None:
        facts, merged, _ = gather_one_statement(
            purpose=purpose, controller=controller, today=today, ids=[subject_id]
        )
        if merged.get(subject_id) is not None:
            return None
        return facts.get(subject_id) or PurposeFacts(
            purpose=purpose, controller=controller, today=today, known=False
        )
    lookups = selectors.identifier_lookups(identifier or "")
    if not lookups:
        return None
    facts, merged, own = gather_one_statement(
        purpose=purpose, controller=controller, today=today, lookup=lookups[0][1]
    )
    live = sorted(sid for sid, f in facts.items() if f.erased_at is None)
    if not live:
        return selectors.unknown_facts(purpose, controller, own, today)
    if merged.get(live[0]) is not None:
        return None
    return facts[live[0]]


@dataclass(frozen=True)
class CheckRequest:
    purpose: str
    identifier: str | None = None
    subject_id: int | None = None
    controller: str | None = None


def purpose_check_many(requests: Sequence[CheckRequest]) -> list[dict[str, Any]]:
    """Answer many checks at once: facts are gathered per (purpose, controller) for all people together.

    Each answer is ``{"index", "allowed", "reasons", "legal_basis", "codes"}`` or, for an invalid entry,
    ``{"index", "error"}``; one bad entry does not spoil the others."""
    if len(requests) > MAX_BATCH:
        raise InvalidInput(
            f"at most {MAX_BATCH} checks per call; scrub longer lists",
            errors=[FieldError(f"{len(requests)} given", field="checks")],
        )
    policy = active_policy()
    today = clock.today()
    answers: list[dict[str, Any]] = [{} for _ in requests]
    groups: dict[tuple[str, str | None], list[tuple[int, int | None, list[str]]]] = defaultdict(list)
    parsed: list[tuple[int, CheckRequest, list[tuple[str, str]]]] = []
    for index, req in enumerate(requests):
        try:
            if (req.identifier is None) == (req.subject_id is None):
                raise InvalidInput("give either an identifier or a subject id")
            if not req.purpose:
                raise InvalidInput("a purpose is required")
            lookups = selectors.identifier_lookups(req.identifier) if req.identifier is not None else []
        except InvalidInput as exc:
            answers[index] = {"index": index, "error": exc.message}
            continue
        parsed.append((index, req, lookups))
    # e-mail addresses and phone numbers are resolved together, in one query; other identifiers one by one
    owners = selectors.lookups_present([lks[0][1] for _, _, lks in parsed if lks])
    for index, req, lookups in parsed:
        if req.subject_id is not None:
            sid: int | None = req.subject_id
        elif lookups:
            found = owners.get(lookups[0][1])
            sid = min(found) if found else None
        else:
            sid, _ = selectors.resolve(req.identifier or "")
        groups[(req.purpose, req.controller or None)].append((index, sid, [lk for _, lk in lookups]))
    for (purpose, controller), entries in groups.items():
        facts = selectors.gather_facts(
            [sid for _, sid, _ in entries if sid is not None], purpose, controller, today=today
        )
        loose = [lk for _, sid, lks in entries if sid is None for lk in lks]
        hits = selectors.suppressed_lookups(loose, purpose, controller)
        for index, sid, lks in entries:
            if sid is not None:
                fact = facts[sid]
            else:
                dates = [hits[lk] for lk in lks if lk in hits]
                fact = selectors.unknown_facts(purpose, controller, max(dates) if dates else None, today)
            answers[index] = {"index": index, **decide_purpose(fact, policy).as_dict()}
    return answers
