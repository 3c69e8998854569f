"""List scrubbing: keep only the rows of a campaign list (e-mails or phones) that may be used for a purpose.

The file is streamed in chunks (10,000 rows by default). Each chunk is normalised and hashed in Python, then
joined set-based against the register's look-up index, the consent ledger, objections and the suppression
list: a handful of queries per chunk, never one per row. Only usable rows are written out (with the header,
if the file had one); every removed row is counted under the first (most decisive) reason that refuses it.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import DEFAULT_DB_ALIAS, connection, connections

from tutela.consent import selectors
from tutela.consent.contacts import _PHONE_LIKE, fast_blind_index, normalise_contact
from tutela.consent.rules import REASON_ORDER, PurposeDecision, decide_purpose
from tutela.consent.scrub_pg import ChunkFacts, ChunkRows, Runner, build_chunk, chunk_facts, fetch_chunk
from tutela.core import clock
from tutela.core.errors import FieldError, InvalidInput
from tutela.policy.schema import Policy
from tutela.policy.selectors import active_policy

CHUNK_ROWS = 10_000
EMAIL_HEADERS = ("email", "e-mail", "mail", "email_address", "e-mail address", "email address", "courriel")
PHONE_HEADERS = ("phone", "telephone", "téléphone", "tel", "mobile", "gsm", "phone_number", "telefoon")


@dataclass
class ScrubResult:
    kept: int = 0
    removed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    column: str = ""
    header: bool = False
    delimiter: str = ","

    def as_dict(self) -> dict[str, Any]:
        return {"kept": self.kept, "removed": self.removed, "reasons": dict(sorted(self.reasons.items()))}


def _looks_like_contact(cell: str) -> bool:
    cell = cell.strip()
    return "@" in cell or bool(_PHONE_LIKE.match(cell) and sum(c.isdigit() for c in cell) >= 6)


def _detect(first: list[str], column: str | None, filename: str) -> tuple[int, bool]:
    """(column index, whether the first row is a header)."""
    lowered = [c.strip().lower() for c in first]
    if column:
        if column.strip().lower() in lowered:
            return lowered.index(column.strip().lower()), True
        if column.isascii() and column.isdigit() and 1 <= int(column) <= max(len(first), 1):
            index = int(column) - 1
            return index, not _looks_like_contact(first[index]) if index < len(first) else False
        raise InvalidInput(
            f"no column {column!r} in {filename}",
            errors=[FieldError(f"the header has: {', '.join(first)}", file=filename, line=1, field="column")],
        )
    for names in (EMAIL_HEADERS, PHONE_HEADERS):
        for index, cell in enumerate(lowered):
            if cell in names:
                return index, True
    for index, cell in enumerate(first):
        if "@" in cell:
            return index, False
    for index, cell in enumerate(first):
        if _looks_like_contact(cell):
            return index, False
    raise InvalidInput(
        f"cannot tell which column of {filename} holds e-mail addresses or phone numbers",
        errors=[FieldError("name the column with --column (header name or number)", file=filename, line=1)],
    )


def _dialect(sample: str) -> str:
    line = sample.splitlines()[0] if sample else ""
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _chunks(rows: Iterator[list[str]], size: int) -> Iterator[list[list[str]]]:
    chunk: list[list[str]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


#: refusals that speak for the person behind an address whoever else shares it (an objection, a withdrawal,
#: a restriction …); other refusals (not a prospect of this controller …) only concern that one record
BLOCKING = {"erased", "objection", "objection-pending", "withdrawn", "expired", "suppressed", "restricted"}


def _rank(decision: PurposeDecision) -> int:
    """How decisive a refusal is (its first reason's place in ``REASON_ORDER``)."""
    code = decision.codes[0] if decision.codes else ""
    return REASON_ORDER.index(code) if code in REASON_ORDER else len(REASON_ORDER)


def _psycopg_connection() -> Any:
    """The session's psycopg connection on PostgreSQL, else None."""
    if connection.vendor != "postgresql":
        return None
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    return raw if isinstance(raw, psycopg.Connection) else None


def _worker_runner(raw: Any) -> Runner:
    """Run statements on ``raw`` from a worker thread: bound on the client like Django's own cursors, and
    recorded in the session's query log when Django keeps one (debug, tests counting queries)."""
    import psycopg

    wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's (``connection`` is per thread)

    def run(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        started = time.monotonic()
        with psycopg.ClientCursor(raw) as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        if wrapper.queries_logged:
            wrapper.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
        return rows

    return run


class _Decider:
    """Decisions for one chunk of hashed identifiers, gathered set-based."""

    def __init__(self, policy: Policy, purpose: str, controller: str | None) -> None:
        self.policy, self.purpose, self.controller = policy, purpose, controller
        self.today = clock.today()

    def decide(self, lookups: list[str]) -> dict[str, PurposeDecision]:
        unique = list(dict.fromkeys(lookups))
        if connection.vendor == "postgresql":
            gathered = chunk_facts(unique, self.purpose, self.controller, self.policy, self.today)
        else:
            gathered = self.gather(unique)
        return self.combine(unique, gathered)

    @contextmanager
    def gatherer(self) -> Iterator[Callable[[list[str]], Callable[[], ChunkFacts]]]:
        """``gather(unique)`` starts gathering a chunk's facts and returns how to get them.

        On PostgreSQL (psycopg) the statements run in a worker thread on the same database session, while
        this thread decides and writes the previous chunk: the database and Python work at the same time
        (a 100,000-row list spends about as long in each). Nothing else uses the connection meanwhile: the
        decisions are pure, and the worker is waited for before the session is used again."""
        raw = _psycopg_connection()
        if raw is None:
            if connection.vendor == "postgresql":

                def now_pg(unique: list[str]) -> Callable[[], ChunkFacts]:
                    facts = chunk_facts(unique, self.purpose, self.controller, self.policy, self.today)
                    return lambda: facts

                yield now_pg
                return

            def now(unique: list[str]) -> Callable[[], ChunkFacts]:
                facts = self.gather(unique)
                return lambda: facts

            yield now
            return
        run = _worker_runner(raw)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tutela-scrub") as pool:
            started: list[Future[ChunkRows]] = []

            def later(unique: list[str]) -> Callable[[], ChunkFacts]:
                future = pool.submit(fetch_chunk, run, unique, self.purpose, self.controller, self.policy)
                started.append(future)

                def facts() -> ChunkFacts:
                    # the worker's driver errors become Django's, and mark the connection as Django's do
                    with connection.wrap_database_errors:
                        rows = future.result()
                    return build_chunk(rows, self.purpose, self.controller, self.today)

                return facts

            try:
                yield later
            finally:
                for future in started:
                    future.cancel()  # the pool's exit waits for one already running

    def gather(self, unique: list[str]) -> ChunkFacts:
        """The portable path (any database): the selectors' set-based queries."""
        owners = {lk: sorted(sids) for lk, sids in selectors.lookups_present(unique).items()}
        facts = selectors.gather_facts(
            sorted({sid for sids in owners.values() for sid in sids}),
            self.purpose,
            self.controller,
            today=self.today,
        )
        hits = selectors.suppressed_lookups(
            [lk for lk in unique if lk not in owners], self.purpose, self.controller
        )
        return ChunkFacts(owners, facts, hits)

    def combine(self, unique: list[str], gathered: ChunkFacts) -> dict[str, PurposeDecision]:
        """One decision per identifier: its carriers' decisions (see ``BLOCKING``), or the suppression
        list's word for an identifier no one carries."""
        owners, hits = gathered.owners, gathered.suppressed
        per_subject = {sid: decide_purpose(f, self.policy) for sid, f in gathered.facts.items()}
        unknown_free = decide_purpose(
            selectors.unknown_facts(self.purpose, self.controller, None, self.today), self.policy
        )
        out: dict[str, PurposeDecision] = {}
        for lk in unique:
            sids = owners.get(lk)
            if sids is not None:
                if len(sids) == 1:  # the usual case; what the rule below gives for a single carrier
                    out[lk] = per_subject[sids[0]]
                    continue
                decisions = [per_subject[sid] for sid in sids]
                refused = [d for d in decisions if not d.allowed]
                allowed = [d for d in decisions if d.allowed]
                blocking = [d for d in refused if BLOCKING & set(d.codes)]
                if allowed and not blocking:
                    out[lk] = allowed[0]
                else:
                    out[lk] = min(blocking or refused, key=_rank)
            elif lk in hits:
                out[lk] = decide_purpose(
                    selectors.unknown_facts(self.purpose, self.controller, hits[lk], self.today), self.policy
                )
            else:
                out[lk] = unknown_free
        return out


def scrub_stream(
    source: IO[str],
    sink: IO[str] | None,
    *,
    purpose: str,
    controller: str | None = None,
    column: str | None = None,
    filename: str = "input",
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[int], None] | None = None,
) -> ScrubResult:
    """Scrub CSV text from ``source`` and write the usable rows to ``sink``."""
    policy = active_policy()
    errors: list[FieldError] = []
    if purpose not in policy.purposes:
        errors.append(
            FieldError(
                f"not in the policy; choose one of {', '.join(sorted(policy.purposes))}", field="purpose"
            )
        )
    elif controller and controller not in policy.purposes[purpose].controllers:
        errors.append(
            FieldError(
                f"{controller!r} does not pursue {purpose!r} (controllers: "
                f"{', '.join(policy.purposes[purpose].controllers)})",
                field="controller",
            )
        )
    if errors:
        raise InvalidInput("cannot scrub the list", errors=errors)
    sample = source.read(4096)
    delimiter = _dialect(sample)
    reader = csv.reader(_rejoin(sample, source), delimiter=delimiter)
    writer = csv.writer(sink, delimiter=delimiter, lineterminator="\n") if sink is not None else None
    result = ScrubResult(delimiter=delimiter)
    try:
        first = next(reader)
    except StopIteration:
        return result
    except csv.Error as exc:
        raise InvalidInput(
            f"{filename} is not valid CSV", errors=[FieldError(str(exc), file=filename, line=1)]
        ) from None
    index, has_header = _detect(first, column, filename)
    result.header = has_header
    result.column = first[index] if has_header else str(index + 1)
    if has_header and writer is not None:
        writer.writerow(first)
    decider = _Decider(policy, purpose, controller)
    rows: Iterable[list[str]] = reader if has_header else _prepend(first, reader)
    line = 1 if has_header else 0  # lines read in whole chunks (where a reading error is reported)

    def tally(chunk: list[list[str]], lookups: list[str], gathered: Callable[[], ChunkFacts]) -> None:
        decisions = decider.combine(list(dict.fromkeys(lk for lk in lookups if lk)), gathered())
        for row, lk in zip(chunk, lookups, strict=True):
            if not lk:
                result.removed += 1
                result.reasons["invalid"] += 1
                continue
            decision = decisions[lk]
            if decision.allowed:
                result.kept += 1
                if writer is not None:
                    writer.writerow(row)
            else:
                result.removed += 1
                result.reasons[decision.codes[0] if decision.codes else "refused"] += 1
        if progress is not None:
            progress(len(chunk))

    # one chunk ahead: the next chunk is read and its facts asked for before this one is decided and written
    pending: tuple[list[list[str]], list[str], Callable[[], ChunkFacts]] | None = None
    try:
        with decider.gatherer() as gather:
            for chunk in _chunks(iter(rows), chunk_rows):
                line += len(chunk)
                values: list[tuple[str, str] | None] = []
                for row in chunk:
                    cell = row[index] if index < len(row) else ""
                    values.append(normalise_contact(cell))
                lookups = [fast_blind_index(v[0], v[1]) if v else "" for v in values]
                gathered = gather(list(dict.fromkeys(lk for lk in lookups if lk)))
                if pending is not None:
                    tally(*pending)
                pending = (chunk, lookups, gathered)
            if pending is not None:
                tally(*pending)
    except csv.Error as exc:
        raise InvalidInput(
            f"{filename} is not valid CSV", errors=[FieldError(str(exc), file=filename, line=line + 1)]
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{filename} is not UTF-8 text", errors=[FieldError(str(exc), file=filename, line=line + 1)]
        ) from None
    return result


def _rejoin(sample: str, rest: IO[str]) -> Iterator[str]:
    yield from io.StringIO(sample + rest.readline())
    yield from rest


def _prepend(first: list[str], rows: Iterator[list[str]]) -> Iterator[list[str]]:
    yield first
    yield from rows


def purpose_scrub(
    *,
    path: Path,
    out: Path | None,
    purpose: str,
    controller: str | None = None,
    column: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[int], None] | None = None,
) -> ScrubResult:
    """Scrub a CSV file; the output appears only complete (written aside, then renamed into place)."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file", errors=[FieldError("not found", file=str(path))])
    tmp_name = None
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as source:
            if out is None:
                return scrub_stream(
                    source,
                    None,
                    purpose=purpose,
                    controller=controller,
                    column=column,
                    filename=path.name,
                    chunk_rows=chunk_rows,
                    progress=progress,
                )
            out.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".scrub-", suffix=".csv", dir=out.parent)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as sink:
                result = scrub_stream(
                    source,
                    sink,
                    purpose=purpose,
                    controller=controller,
                    column=column,
                    filename=path.name,
                    chunk_rows=chunk_rows,
                    progress=progress,
                )
            os.replace(tmp_name, out)
            tmp_name = None
            return result
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{path.name} is not UTF-8 text", errors=[FieldError(str(exc), file=path.name)]
        ) from None
    finally:
        if tmp_name is not None and os.path.exists(tmp_name):
            os.unlink(tmp_name)
