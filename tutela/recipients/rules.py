"""Transfer rules as data: the schema of a rules file and a parser that names the line of every problem.

A rules file lists the EEA states, the adequacy decisions with their validity windows, scope and scheme, and
the safeguards and derogations Tutela accepts. It is shipped (``data/transfers.yaml``) and can be replaced at
run time (``tutela transfer rules update FILE``) without a code change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pycountry
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tutela.core.errors import FieldError, InvalidInput

SHIPPED_RULES = Path(__file__).resolve().parent / "data" / "transfers.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Window(_Strict):
    """A period during which a decision applies; both ends inclusive; no ``until`` = open-ended."""

    start: dt.date = Field(alias="from")
    until: dt.date | None = None
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.until is not None and self.until < self.start:
            raise ValueError(f"window ends ({self.until}) before it starts ({self.start})")
        return self

    def covers(self, on: dt.date) -> bool:
        return self.start <= on and (self.until is None or on <= self.until)


class Decision(_Strict):
    country: str = Field(pattern=r"^[A-Z]{2}$")
    name: str
    decision: str
    adopted: dt.date
    scope: str = "full"
    scheme: str | None = None
    windows: list[Window] = Field(min_length=1)

    @model_validator(mode="after")
    def _windows(self) -> Decision:
        if self.windows[0].start < self.adopted:
            raise ValueError(f"the first window starts before the adoption date {self.adopted}")
        for before, after in zip(self.windows, self.windows[1:], strict=False):
            if before.until is None or after.start <= before.until:
                raise ValueError("windows must be in order and must not overlap")
        return self

    def window_on(self, on: dt.date) -> Window | None:
        return next((w for w in self.windows if w.covers(on)), None)

    @property
    def full_scope(self) -> bool:
        return self.scope.strip().lower() == "full"


class OrganisationDecision(_Strict):
    organisation: str
    decision: str
    adopted: dt.date
    scope: str = "full"
    windows: list[Window] = Field(min_length=1)


class Eea(_Strict):
    eu: list[str]
    efta: list[str]

    @property
    def states(self) -> frozenset[str]:
        return frozenset(self.eu) | frozenset(self.efta)


class TransferRules(_Strict):
    rules_format: int = Field(default=1, ge=1, le=1)
    label: str
    eea: Eea
    schemes: dict[str, str] = Field(default_factory=dict)
    adequacy: list[Decision]
    international_organisations: list[OrganisationDecision] = Field(default_factory=list)
    safeguards: list[str] = Field(min_length=1)
    scc_modules: list[str] = Field(default_factory=lambda: ["c2c", "c2p", "p2p", "p2c"])
    derogations: list[str] = Field(min_length=1)

    def decision_for(self, country: str) -> Decision | None:
        return next((d for d in self.adequacy if d.country == country), None)


@dataclass(frozen=True)
class _Problem:
    path: tuple[str | int, ...]
    message: str


def _line_of(node: yaml.Node | None, path: tuple[str | int, ...]) -> int | None:
    """The 1-based line of the YAML node at ``path`` (or of its nearest existing parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
            if child is None:
                # an unknown key: point at the key itself
                key = next((k for k, _ in node.value if getattr(k, "value", None) == step), None)
                return key.start_mark.line + 1 if key is not None else line
            node = child
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            break
        line = node.start_mark.line + 1
    return line


def _bad_timestamp_line(node: yaml.Node | None) -> int | None:
    """The line of the first date-looking scalar that is no real date."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop(0)
        if isinstance(current, yaml.ScalarNode):
            if current.tag == "tag:yaml.org,2002:timestamp":
                try:
                    dt.date.fromisoformat(str(current.value)[:10])
                except ValueError:
                    return current.start_mark.line + 1
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend([key, value])
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return None


def _field_name(path: tuple[str | int, ...]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _semantic_problems(rules: TransferRules) -> list[_Problem]:
    problems: list[_Problem] = []

    def check_country(code: str, path: tuple[str | int, ...]) -> None:
        if pycountry.countries.get(alpha_2=code) is None:
            problems.append(_Problem(path, f"{code!r} is not an ISO 3166-1 alpha-2 country code"))

    for group in ("eu", "efta"):
        for i, code in enumerate(getattr(rules.eea, group)):
            check_country(code, ("eea", group, i))
    seen: dict[str, int] = {}
    for i, decision in enumerate(rules.adequacy):
        check_country(decision.country, ("adequacy", i, "country"))
        if decision.country in rules.eea.states:
            problems.append(_Problem(("adequacy", i, "country"), f"{decision.country} is in the EEA"))
        if decision.country in seen:
            problems.append(
                _Problem(
                    ("adequacy", i, "country"),
                    f"{decision.country} already has a decision (entry {seen[decision.country] + 1})",
                )
            )
        seen.setdefault(decision.country, i)
        if decision.scheme is not None and decision.scheme not in rules.schemes:
            problems.append(
                _Problem(
                    ("adequacy", i, "scheme"), f"unknown scheme {decision.scheme!r}: list it under schemes"
                )
            )
    return problems


def parse_rules(text: str, *, filename: str = "<transfer rules>") -> TransferRules:
    """Parse and validate a rules file; raise ``InvalidInput`` with one located error per problem."""
    try:
        node = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except ValueError as exc:  # a value YAML types but cannot build, e.g. the date 2000-02-30
        line = _bad_timestamp_line(node) if "node" in locals() else None
        raise InvalidInput(
            f"{filename}: not valid YAML",
            errors=[FieldError(f"invalid value: {exc}", file=filename, line=line)],
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InvalidInput(
            f"{filename}: not valid YAML", errors=[FieldError(str(exc), file=filename, line=line)]
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(
            f"{filename}: not a transfer rules file",
            errors=[FieldError("expected a mapping at the top level", file=filename, line=1)],
        )
    problems: list[_Problem] = []
    eea = data.get("eea")
    if isinstance(eea, dict):
        for group, codes in eea.items():
            for i, code in enumerate(codes if isinstance(codes, list) else []):
                if isinstance(code, bool):
                    hint = "NO" if code is False else "a country code"
                    problems.append(
                        _Problem(("eea", group, i), f'YAML read this as {code}: write "{hint}" in quotes')
                    )
    if problems:
        raise _located(problems, node, filename)
    rules: TransferRules | None = None
    try:
        rules = TransferRules.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
            problems.append(_Problem(loc, err["msg"]))
    if rules is not None:
        problems.extend(_semantic_problems(rules))
    if problems:
        raise _located(problems, node, filename)
    assert rules is not None
    return rules


def _located(problems: list[_Problem], node: yaml.Node | None, filename: str) -> InvalidInput:
    errors = [
        FieldError(p.message, field=_field_name(p.path) or None, file=filename, line=_line_of(node, p.path))
        for p in problems
    ]
    return InvalidInput(f"{filename}: {len(errors)} problem(s) in the transfer rules", errors=errors)


def shipped_rules_text() -> str:
    return SHIPPED_RULES.read_text(encoding="utf-8")
