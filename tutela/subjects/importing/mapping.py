"""Which column holds what: a category key, a row fact, or nothing.

Default header names (spec/CLI.md) map to categories of the active policy; ``--mapping FILE`` (YAML) maps
any header to a default name, a category key, a row fact or ``ignore``::

    columns:            # (the top-level "columns:" is optional)
      E-mail: email
      Naam: user.name.last
      Lid sinds: contract_start
      Interne code: ignore

Errors name the mapping file's line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tutela.core.errors import FieldError, InvalidInput
from tutela.policy.schema import Policy
from tutela.subjects import rules

#: row facts (not personal-data items): when the data were obtained, contract dates, last interest, language
FACTS = ("collected_at", "contract_start", "contract_end", "last_interest_at", "language")
IGNORE = "ignore"

#: default header name -> the fideslang category key it stands for (identifier headers are resolved to the
#: policy's category for that identifier kind when the policy declares one)
DEFAULT_HEADERS: dict[str, str] = {
    "email": "user.contact.email",
    "phone": "user.contact.phone_number",
    "first_name": "user.name.first",
    "last_name": "user.name.last",
    "title": "user.name.title",
    "street": "user.contact.address.street",
    "postal_code": "user.contact.address.postal_code",
    "city": "user.contact.address.city",
    "country": "user.contact.address.country",
    "date_of_birth": "user.demographic.date_of_birth",
    "place_of_birth": "user.demographic.place_of_birth",
    "national_number": "user.government_id.national_identification_number",
    "iban": "user.financial.bank_account",
    "profession": "user.job_title",
    "organisation": "user.contact.organization",
    "marital_status": "user.demographic.marital_status",
    "children": "user.demographic.children",
}
IDENTIFIER_HEADERS = {
    "email": "email",
    "phone": "phone",
    "national_number": "national_number",
    "iban": "iban",
}
#: identifier kinds used to recognise a person already in the register
MATCH_KINDS = ("email", "phone", "national_number")


@dataclass
class Column:
    index: int
    header: str
    category: str | None = None  # a category key, or None for a fact / ignored column
    fact: str | None = None


@dataclass
class Mapping:
    columns: list[Column]
    ignored: list[str] = field(default_factory=list)
    width: int = 0  # columns of the header row

    @property
    def item_columns(self) -> list[Column]:
        return [c for c in self.columns if c.category]

    def fact(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.fact == name), None)


def default_category(policy: Policy, header: str) -> str | None:
    if header in IDENTIFIER_HEADERS:
        declared = rules.identifier_category(policy, IDENTIFIER_HEADERS[header])
        if declared:
            return declared
    return DEFAULT_HEADERS.get(header)


def _norm(header: str) -> str:
    return header.strip().lower().replace(" ", "_").replace("-", "_")


def read_mapping_file(path: Path) -> dict[str, tuple[str, int]]:
    """{header: (target, line)} from a mapping YAML file, with line-precise errors."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(
            f"{name}: no such mapping file", errors=[FieldError("no such file", file=name)]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"{name}: cannot read the mapping file", errors=[FieldError(str(exc), file=name)]
        ) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise InvalidInput(
            f"{name}: not valid YAML",
            errors=[FieldError(str(getattr(exc, "problem", exc)), file=name, line=line)],
        ) from None
    if node is None:
        raise InvalidInput(
            f"{name}: the mapping file is empty", errors=[FieldError("empty", file=name, line=1)]
        )
    if not isinstance(node, yaml.MappingNode):
        raise InvalidInput(
            f"{name}: expected a mapping of column: target",
            errors=[FieldError("expected 'column: target' lines", file=name, line=node.start_mark.line + 1)],
        )
    pairs = node.value
    if len(pairs) == 1 and pairs[0][0].value == "columns":
        inner = pairs[0][1]
        if not isinstance(inner, yaml.MappingNode):
            raise InvalidInput(
                f"{name}: 'columns' must be a mapping",
                errors=[
                    FieldError("expected 'column: target' lines", file=name, line=inner.start_mark.line + 1)
                ],
            )
        pairs = inner.value
    result: dict[str, tuple[str, int]] = {}
    errors: list[FieldError] = []
    for key_node, value_node in pairs:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode) or not isinstance(value_node, yaml.ScalarNode):
            errors.append(FieldError("each entry must be 'column name: target'", file=name, line=line))
            continue
        header, target = str(key_node.value).strip(), str(value_node.value).strip()
        if header.casefold() in {h.casefold() for h in result}:
            errors.append(FieldError(f"column {header!r} is mapped twice", file=name, line=line))
            continue
        if not target:
            errors.append(FieldError(f"column {header!r} has no target", file=name, line=line))
            continue
        result[header] = (target, line)
    if errors:
        raise InvalidInput(f"{name}: the mapping file has errors", errors=errors)
    return result


def build_mapping(
    policy: Policy, headers: list[str], *, mapping_file: Path | None, file_name: str
) -> Mapping:
    """Decide what every column holds; every problem (unknown target, missing column …) is reported."""
    explicit: dict[str, tuple[str, int]] = read_mapping_file(mapping_file) if mapping_file else {}
    mname = mapping_file.name if mapping_file else None
    errors: list[FieldError] = []
    by_fold = {h.casefold(): i for i, h in enumerate(headers)}
    columns: list[Column] = []
    ignored: list[str] = []
    for header, (_target, line) in explicit.items():
        if header.casefold() not in by_fold:
            errors.append(
                FieldError(
                    f"column {header!r} named in the mapping is missing from {file_name}",
                    file=mname,
                    line=line,
                )
            )
    taken: dict[str, str] = {}
    for index, header in enumerate(headers):
        entry: tuple[str, int] | None = next(
            ((t, ln) for h, (t, ln) in explicit.items() if h.casefold() == header.casefold()), None
        )
        target, line = entry if entry else (_norm(header), 0)
        where = {"file": mname, "line": line} if entry else {"field": header}
        if target == IGNORE:
            ignored.append(header)
            continue
        if target in FACTS:
            column = Column(index, header, fact=target)
        elif target in DEFAULT_HEADERS:
            column = Column(index, header, category=default_category(policy, target))
        elif "." in target and entry:
            column = Column(index, header, category=target)
        elif entry:
            errors.append(
                FieldError(
                    f"column {header!r}: {target!r} is neither a default header name, a row fact "
                    f"({', '.join(FACTS)}), a category key nor 'ignore'",
                    **where,  # type: ignore[arg-type]
                )
            )
            continue
        else:
            ignored.append(header)
            continue
        key = column.fact or column.category or ""
        if key in taken:
            errors.append(
                FieldError(f"columns {taken[key]!r} and {header!r} both hold {key!r}", **where)  # type: ignore[arg-type]
            )
            continue
        taken[key] = header
        if column.category and rules.category_info(policy, column.category) is None:
            errors.append(
                FieldError(
                    f"column {header!r}: category {column.category!r} is not in the active policy",
                    **where,  # type: ignore[arg-type]
                )
            )
            continue
        columns.append(column)
    mapping = Mapping(columns, ignored, width=len(headers))
    if not errors and not any(_match_kind(policy, c.category) for c in mapping.item_columns):
        errors.append(
            FieldError(
                "missing columns: the file needs at least one of the columns email, phone or national_number "
                "(or columns mapped to those categories) to recognise people",
                file=file_name,
                row=1,
            )
        )
    if errors:
        raise InvalidInput(f"{file_name}: the columns cannot be imported", errors=errors)
    return mapping


def _match_kind(policy: Policy, category: str | None) -> str | None:
    info = rules.category_info(policy, category) if category else None
    if info and info.identifier in MATCH_KINDS:
        return info.identifier
    return None


def match_kind(policy: Policy, category: str | None) -> str | None:
    """The identifier kind used to recognise a person for this category, if any."""
    return _match_kind(policy, category)
