"""Which column holds what: a category key, a row fact, or nothing.

Default header names (spec/CLI.md) map to categories of the active policy; ``--mapping FILE`` (YAML) maps
any header to a default name, a category key, a row fact or ``ignore``::

    columns:            # (the top-level "columns:" is optional)
      E-mail: email
      Naam: user.name.last
      Lid sinds: contract_start
      Interne code: ignore
      Rijksregisternummer:          # a column may name the purposes its data are collected for
        target: national_number
        purposes: [subsidies-ip]
    purposes: [member-management]   # optional: the purposes of every other column

Without purposes, each column gets the policy's defaults for the subject type and source
(``rules.default_purposes``), never every purpose that could use it. Errors name the mapping file's line.
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
    #: the purposes the mapping names for this column (None: the policy's defaults)
    purposes: list[str] | None = None
    #: where those purposes are written (mapping file name and line), for errors
    purposes_at: tuple[str | None, int | None] = (None, None)


@dataclass
class MappingFile:
    """What a mapping file says: per header its target and line, per header the purposes it names, and
    the purposes of every column that names none."""

    targets: dict[str, tuple[str, int]]
    purposes: dict[str, tuple[list[str], int]] = field(default_factory=dict)
    file_purposes: tuple[list[str], int] | None = None


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
    return read_mapping(path).targets


def _purpose_list(node: yaml.Node, name: str, errors: list[FieldError]) -> list[str] | None:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode) and str(node.value).strip():
        return [str(node.value).strip()]
    if isinstance(node, yaml.SequenceNode) and node.value:
        keys = [str(v.value).strip() for v in node.value if isinstance(v, yaml.ScalarNode)]
        if len(keys) == len(node.value) and all(keys):
            return list(dict.fromkeys(keys))
    errors.append(
        FieldError(
            "purposes: expected a list of purpose keys, e.g. [member-management]", file=name, line=line
        )
    )
    return None


def read_mapping(path: Path) -> MappingFile:
    """The whole mapping file (targets, and purposes per column or for the file), line-precise errors."""
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
    errors: list[FieldError] = []
    file_purposes: tuple[list[str], int] | None = None
    top = {str(k.value): (k, v) for k, v in pairs if isinstance(k, yaml.ScalarNode)}
    if "columns" in top and set(top) <= {"columns", "purposes"} and len(top) == len(pairs):
        if "purposes" in top:
            key_node, value_node = top["purposes"]
            listed = _purpose_list(value_node, name, errors)
            if listed:
                file_purposes = (listed, key_node.start_mark.line + 1)
        inner = top["columns"][1]
        if not isinstance(inner, yaml.MappingNode):
            raise InvalidInput(
                f"{name}: 'columns' must be a mapping",
                errors=[
                    FieldError("expected 'column: target' lines", file=name, line=inner.start_mark.line + 1)
                ],
            )
        pairs = inner.value
    result: dict[str, tuple[str, int]] = {}
    purposes: dict[str, tuple[list[str], int]] = {}
    for key_node, value_node in pairs:
        line = key_node.start_mark.line + 1
        if isinstance(key_node, yaml.ScalarNode) and isinstance(value_node, yaml.MappingNode):
            # Header: {target: …, purposes: […]}
            fields = {str(k.value): v for k, v in value_node.value if isinstance(k, yaml.ScalarNode)}
            unknown = sorted(set(fields) - {"target", "purposes"})
            target_node = fields.get("target")
            if unknown or not isinstance(target_node, yaml.ScalarNode):
                errors.append(
                    FieldError(
                        "a column given as a mapping needs 'target:' and may name 'purposes:' (nothing else)",
                        file=name,
                        line=line,
                    )
                )
                continue
            if "purposes" in fields:
                listed = _purpose_list(fields["purposes"], name, errors)
                if listed is None:
                    continue
                purposes[str(key_node.value).strip()] = (listed, fields["purposes"].start_mark.line + 1)
            value_node = target_node
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
    return MappingFile(result, purposes, file_purposes)


def build_mapping(
    policy: Policy, headers: list[str], *, mapping_file: Path | None, file_name: str
) -> Mapping:
    """Decide what every column holds; every problem (unknown target, missing column …) is reported."""
    read = read_mapping(mapping_file) if mapping_file else MappingFile({})
    explicit = read.targets
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
        named = next((v for h, v in read.purposes.items() if h.casefold() == header.casefold()), None)
        if named is None and read.file_purposes and column.category:
            named = read.file_purposes
        if named is not None:
            if not column.category:
                errors.append(
                    FieldError(f"column {header!r} holds no personal data: it takes no purposes", **where)  # type: ignore[arg-type]
                )
                continue
            column.purposes, column.purposes_at = list(named[0]), (mname, named[1])
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
