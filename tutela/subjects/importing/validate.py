"""Validating every row of an import before anything is written (pure: no database)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from tutela.core import clock
from tutela.core.crypto import blind_indexer, encrypt
from tutela.core.errors import FieldError, InvalidInput
from tutela.policy.schema import Policy
from tutela.subjects import identifiers, rules, values
from tutela.subjects.importing.mapping import Mapping, match_kind
from tutela.subjects.importing.reader import Table


@dataclass(slots=True)
class Cell:
    """One value of a row, in the form the DataItem columns take (slots: an import holds a million)."""

    category: str
    normalised: str
    value: str  # clear value; empty when sealed
    value_sealed: str
    lookup: str | None  # blind index of an identifier


@dataclass(slots=True)
class Row:
    number: int
    cells: list[Cell] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)  # blind indexes that recognise the person
    collected_at: dt.datetime | None = None
    contract_start: dt.date | None = None
    contract_end: dt.date | None = None
    last_interest: dt.date | None = None
    language: str | None = None


@dataclass
class ColumnPlan:
    """The policy's verdict on one column, decided once for the whole file."""

    index: int
    header: str
    category: str
    purposes: list[str]
    kind: str | None  # identifier kind that recognises people (email, phone, national_number)
    identifier: str | None = None  # identifier kind to validate and index (also iban, vat)
    sensitive: bool = False
    birth_date: bool = False

    @property
    def indexer(self) -> Callable[[str], str] | None:
        return blind_indexer(self.identifier) if self.identifier else None


def plan_columns(
    policy: Policy, mapping: Mapping, *, controller: str, subject_type: str, source: str, file_name: str
) -> list[ColumnPlan]:
    """Check the command's controller, subject type and source and every mapped category against the
    policy (category known, some purpose uses it, special categories refused). Errors refuse the file."""
    errors = (
        rules.check_controller(policy, controller, field="--controller")
        + rules.check_subject_type(policy, subject_type, field="--subject-type")
        + rules.check_source(policy, source, subject_type, field="--source")
    )
    if errors:
        raise InvalidInput(f"{file_name}: cannot import", errors=errors)
    plans: list[ColumnPlan] = []
    for column in mapping.item_columns:
        assert column.category
        purposes, errs = rules.check_item(
            policy,
            category=column.category,
            controller=controller,
            subject_type=subject_type,
            source=source,
            purposes=column.purposes,
            field=column.header,
        )
        if errs:
            file, line = column.purposes_at
            named = " (purposes named in the mapping)" if column.purposes else ""
            errors.extend(
                FieldError(
                    f"column {column.header!r}: {e.message}{named}", field=column.header, file=file, line=line
                )
                for e in errs
            )
            continue
        info = rules.category_info(policy, column.category)
        plans.append(
            ColumnPlan(
                column.index,
                column.header,
                column.category,
                purposes,
                match_kind(policy, column.category),
                identifier=info.identifier if info else None,
                sensitive=bool(info and info.sensitive),
                birth_date=column.category.endswith("date_of_birth"),
            )
        )
    if errors:
        raise InvalidInput(f"{file_name}: the policy does not allow these columns", errors=errors)
    return plans


@lru_cache(maxsize=65536)
def _normalise(kind: str, raw: str) -> tuple[bool, str]:
    """(True, normalised) or (False, the error message); cached, as files repeat values (IBANs, phones)."""
    try:
        return True, identifiers.normalise(kind, raw)
    except InvalidInput as exc:
        message = exc.errors[0].message if exc.errors else exc.message
        return False, f"invalid {kind.replace('_', ' ')}: {message}"


def forget_normalised() -> None:
    _normalise.cache_clear()


def _moment(text: str, *, field: str) -> dt.datetime:
    try:
        if len(text) > 10:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=clock.BRUSSELS)
    except ValueError:
        pass
    day = values.parse_date(text, field=field)
    return dt.datetime.combine(day, dt.time(), tzinfo=clock.BRUSSELS)


def validate_row(
    policy: Policy,
    mapping: Mapping,
    plans: list[ColumnPlan],
    number: int,
    cells: list[str],
    now: dt.datetime,
    indexers: list[Callable[[str], str] | None] | None = None,
) -> tuple[Row | None, list[FieldError]]:
    """One row checked and put in stored form; ``indexers`` (one per plan, see ``ColumnPlan.indexer``)
    are passed by ``validate_table`` so that keyed hash states are built once per file, not per row."""
    row = Row(number)
    errors: list[FieldError] = []
    width = len(cells)
    if indexers is None:
        indexers = [plan.indexer for plan in plans]

    def cell(index: int) -> str:
        return cells[index].strip() if index < width else ""

    if width > mapping.width and any(c.strip() for c in cells[mapping.width :]):
        errors.append(FieldError("more cells than the header row has columns", row=number))
    for plan, index_of in zip(plans, indexers, strict=True):
        raw = cells[plan.index].strip() if plan.index < width else ""
        if not raw:
            continue
        if plan.birth_date:
            try:
                normalised = values.parse_date(raw, field=plan.header).isoformat()
            except InvalidInput as exc:
                errors.extend(FieldError(e.message, field=plan.header, row=number) for e in exc.errors)
                continue
        elif plan.identifier:
            ok, normalised = _normalise(plan.identifier, raw)
            if not ok:
                errors.append(FieldError(normalised, field=plan.header, row=number))
                continue
        else:
            if len(raw) > 2000:
                errors.append(FieldError("longer than 2000 characters", field=plan.header, row=number))
                continue
            normalised = raw
        lookup = index_of(normalised) if index_of else None
        if plan.sensitive:
            row.cells.append(
                Cell(plan.category, normalised, "", encrypt(normalised, context=plan.category), lookup)
            )
        else:
            row.cells.append(Cell(plan.category, normalised, normalised, "", lookup))
        if plan.kind and lookup:
            row.lookups.append(lookup)
    for column in mapping.columns:
        if not column.fact:
            continue
        raw = cell(column.index)
        if not raw:
            continue
        try:
            if column.fact == "collected_at":
                row.collected_at = _moment(raw, field=column.header)
                if row.collected_at > now:
                    errors.append(
                        FieldError("collected_at is in the future", field=column.header, row=number)
                    )
            elif column.fact == "contract_start":
                row.contract_start = values.parse_date(raw, field=column.header)
            elif column.fact == "contract_end":
                row.contract_end = values.parse_date(raw, field=column.header)
            elif column.fact == "last_interest_at":
                row.last_interest = _moment(raw, field=column.header).date()
            elif column.fact == "language":
                lang = raw.lower()[:2]
                if lang not in (policy.languages or ["en", "fr", "nl"]):
                    raise InvalidInput(
                        "language",
                        errors=[
                            FieldError(
                                f"{raw!r} is not one of {', '.join(policy.languages)}"
                                if len(raw) <= 5
                                else f"not a language code: expected one of {', '.join(policy.languages)}"
                            )
                        ],
                    )
                row.language = lang
        except InvalidInput as exc:
            errors.extend(FieldError(e.message, field=column.header, row=number) for e in exc.errors)
    if row.contract_start and row.contract_end and row.contract_end < row.contract_start:
        header = mapping.fact("contract_end")
        errors.append(
            FieldError(
                "the contract ends before it starts", field=header.header if header else None, row=number
            )
        )
    if not row.lookups and not any(e.row == number for e in errors):
        errors.append(
            FieldError("no e-mail, phone or national number: the person cannot be recognised", row=number)
        )
    return (None, errors) if errors else (row, [])


def validate_table(
    policy: Policy, mapping: Mapping, plans: list[ColumnPlan], table: Table, *, advance: object = None
) -> tuple[list[Row], list[FieldError], int]:
    """Every row checked; returns (good rows, errors, number of rejected rows)."""
    now = clock.now()
    good: list[Row] = []
    errors: list[FieldError] = []
    rejected = 0
    indexers = [plan.indexer for plan in plans]
    for n, (number, cells) in enumerate(table.rows, start=1):
        row, errs = validate_row(policy, mapping, plans, number, cells, now, indexers)
        if row is None:
            rejected += 1
            errors.extend(errs)
        else:
            good.append(row)
        if advance is not None and n % 1000 == 0:
            advance(1000)  # type: ignore[operator]
    return good, errors, rejected


def expired_rows(
    policy: Policy,
    mapping: Mapping,
    plans: list[ColumnPlan],
    rows: list[Row],
    *,
    subject_type: str,
    today: dt.date,
) -> list[FieldError]:
    """Rows whose data are already past retention by the row's own facts (a contract that ended long ago,
    an interest shown years back, an old collection date): importing them would keep what the policy says
    is gone. One error per row, naming the column whose date decides (issue 16)."""
    from tutela.retention import rules as retention

    types = {key: st.relationship for key, st in policy.subject_types.items()}
    trigger_fact = {
        "contract_end": "contract_end",
        "books_closed": "contract_end",
        "last_interest": "last_interest_at",
        "collected": "collected_at",
        "recorded": "collected_at",
        "last_activity": "collected_at",
        "unsubscribed": "contract_end",
    }
    by_category = {plan.category: plan for plan in plans}
    errors: list[FieldError] = []
    for row in rows:
        rel = retention.RelationshipFact(
            subject_type, row.contract_start, row.contract_end, row.last_interest
        )
        collected = row.collected_at.astimezone(clock.BRUSSELS).date() if row.collected_at else None
        worst: tuple[dt.date, str, str] | None = None
        for cell in row.cells:
            plan = by_category.get(cell.category)
            if plan is None or not plan.purposes:
                continue
            parts = []
            for key in plan.purposes:
                purpose = policy.purposes[key]
                rule = policy.retention[purpose.retention]
                facts = retention.facts_for_purpose(
                    collected_on=collected,
                    received_on=None,  # the day of the import is no fact: only the row's dates count
                    relationships=[rel],
                    relationship_types=types,
                    purpose_kinds=purpose.subject_types,
                    today=today,
                )
                parts.append((rule, facts))
            due = retention.item_due_on(parts)
            if due is None or due > today:
                continue
            last = max(parts, key=lambda p: retention.rule_due_on(*p) or dt.date.min)[0]
            if worst is None or due > worst[0]:
                worst = (due, plan.header, last.trigger)
        if worst is None:
            continue
        due, header, trigger = worst
        fact = mapping.fact(trigger_fact.get(trigger, "collected_at")) or mapping.fact("collected_at")
        errors.append(
            FieldError(
                f"already past retention on {due.isoformat()} (column {header!r} and the row's dates): "
                "refused; import it anyway with --accept-expired (the next retention sweep removes it)",
                field=fact.header if fact else header,
                row=row.number,
            )
        )
    return errors
