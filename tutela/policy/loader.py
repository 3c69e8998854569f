"""Reading a policy file into a :class:`Policy`, with every problem located by file, line and path.

Three layers, each reporting :class:`Issue` objects rather than stopping at the first problem:

1. :func:`decode_policy_bytes` — the bytes are UTF-8 YAML text (not binary, not UTF-16, not latin-1, not empty);
2. :func:`compose_document` — the text is YAML without duplicate keys; every node's line is remembered by its
   path inside the document (``("purposes", "newsletter", "categories", 2)``);
3. :func:`check_policy_text` — the document fits the schema (pydantic errors mapped back to lines) and the
   cross-references make sense (:mod:`tutela.policy.validate`).

:func:`parse_policy_text` is the strict entry point used by the rest of Tutela: it returns the policy or raises
``InvalidInput`` carrying every issue.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.constructor import SafeConstructor

from tutela.core.errors import FieldError, InvalidInput
from tutela.policy.schema import Policy

PathT = tuple[str | int, ...]


@dataclass(frozen=True)
class Issue:
    """One thing wrong with a policy file."""

    file: str
    line: int | None
    path: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "path": self.path, "message": self.message}

    def as_field_error(self) -> FieldError:
        return FieldError(self.message, field=self.path or None, file=self.file, line=self.line)

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: {self.path + ': ' if self.path else ''}{self.message}"


@dataclass
class Parsed:
    policy: Policy
    errors: list[FieldError] = field(default_factory=list)


@dataclass
class Checked:
    """The outcome of checking a policy text: the policy when it is valid, and every issue found."""

    policy: Policy | None
    issues: list[Issue]
    lines: dict[PathT, int] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.policy is not None and not self.issues


def format_path(path: Iterable[str | int]) -> str:
    """``("purposes", "newsletter", "categories", 2)`` → ``purposes.newsletter.categories[2]``.

    Keys that contain dots (fideslang category keys) are quoted: ``categories["user.contact.email"]``.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_\-]+", part):
            out += ("." if out else "") + part
        else:
            out += f'["{part}"]'
    return out


def suggest(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean `x`?)`` for the closest candidate, or an empty string."""
    pool = [c for c in candidates if isinstance(c, str)]
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not close and "." in word:
        # fideslang keys: compare the last segments too ("user.contact.emial" vs "…email")
        tail = {c.rsplit(".", 1)[-1]: c for c in pool}
        hit = difflib.get_close_matches(word.rsplit(".", 1)[-1], list(tail), n=1, cutoff=0.75)
        close = [tail[hit[0]]] if hit else []
    return f" (did you mean `{close[0]}`?)" if close else ""


# ---------------------------------------------------------------------------------------------- layer 1: bytes
def decode_policy_bytes(raw: bytes, *, filename: str) -> tuple[str | None, list[Issue]]:
    """The text of a policy file, or the reason it is not UTF-8 YAML text."""

    def bad(message: str, line: int | None = None) -> tuple[None, list[Issue]]:
        return None, [Issue(filename, line, "", message)]

    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        len(raw) > 3 and max(raw[0::2].count(0), raw[1::2].count(0)) > len(raw) // 4
    ):
        return bad("the file is UTF-16 text; save it as UTF-8")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\x00" in raw:
        return bad("the file is binary, not YAML text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return bad(
            f"the file is not UTF-8 text (byte {exc.start}, perhaps latin-1/Windows-1252); save it as UTF-8",
            line,
        )
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        return bad("the file is empty: a policy needs at least controllers, purposes and categories")
    return text, []


def read_policy_path(path: Path) -> tuple[str | None, list[Issue]]:
    """Read a policy file from disk; problems (missing, a directory, unreadable, not text) become issues."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, [Issue(name, None, "", "no such file")]
    except IsADirectoryError:
        return None, [Issue(name, None, "", "is a directory, not a policy file")]
    except OSError as exc:
        return None, [Issue(name, None, "", f"cannot read it ({exc.strerror or exc})")]
    return decode_policy_bytes(raw, filename=name)


# ----------------------------------------------------------------------------------------------- layer 2: YAML
def compose_document(text: str, *, filename: str) -> tuple[Any, dict[PathT, int], list[Issue]]:
    """The document as plain Python data, the line of every path in it, and YAML-level issues."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        return None, {}, [Issue(filename, line, "", f"not valid YAML: {what}")]
    except yaml.YAMLError as exc:
        return None, {}, [Issue(filename, None, "", f"not valid YAML: {exc}")]
    if node is None:
        return None, {}, [Issue(filename, 1, "", "the document is empty")]
    lines: dict[PathT, int] = {}
    issues: list[Issue] = []
    constructor = SafeConstructor()
    try:
        data = _build(node, (), lines, issues, constructor, filename)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, lines, [Issue(filename, mark.line + 1 if mark else None, "", f"not valid YAML: {exc}")]
    return data, lines, issues


def _build(
    node: yaml.Node,
    path: PathT,
    lines: dict[PathT, int],
    issues: list[Issue],
    constructor: SafeConstructor,
    filename: str,
) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                issues.append(
                    Issue(
                        filename,
                        key_node.start_mark.line + 1,
                        format_path(path),
                        "merge keys (<<) are not supported",
                    )
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                issues.append(
                    Issue(
                        filename, key_node.start_mark.line + 1, format_path(path), "a key must be plain text"
                    )
                )
                continue
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = key_node.value  # `2026: …` or `yes: …` keys are kept as written
            line = key_node.start_mark.line + 1
            if key in first_line:
                issues.append(
                    Issue(
                        filename,
                        line,
                        format_path((*path, key)),
                        f"duplicate key `{key}` (first defined on line {first_line[key]}); YAML would silently "
                        "keep only the last one",
                    )
                )
                continue
            first_line[key] = line
            lines[(*path, key)] = line
            out[key] = _build(value_node, (*path, key), lines, issues, constructor, filename)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*path, i), lines, issues, constructor, filename)
            for i, item in enumerate(node.value)
        ]
    return constructor.construct_object(node, deep=True)


# --------------------------------------------------------------------------------------------- layer 3: schema
def line_of(lines: dict[PathT, int], path: PathT) -> int | None:
    """The line of ``path``, or of its nearest ancestor present in the document."""
    probe = tuple(path)
    while True:
        if probe in lines:
            return lines[probe]
        if not probe:
            return None
        probe = probe[:-1]


def _model_at(loc: PathT) -> type[BaseModel] | None:
    """The pydantic model describing the mapping at ``loc`` (for suggesting field names)."""
    model: Any = Policy
    for part in loc:
        if model is None:
            return None
        if isinstance(model, type) and issubclass(model, BaseModel):
            info = model.model_fields.get(str(part))
            if info is None:
                return None
            model = info.annotation
        else:  # dict[str, X] / list[X]: skip the key or index
            model = _unwrap(model, container=True)
        model = _unwrap(model, container=False)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(tp: Any, *, container: bool) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return _unwrap(options[0], container=container) if len(options) == 1 else tp
    if container and origin in (dict, list):
        return typing.get_args(tp)[-1]
    return tp


def _pydantic_issue(err: Any, lines: dict[PathT, int], filename: str) -> Issue:
    loc: PathT = tuple(
        p for p in err.get("loc", ()) if not (isinstance(p, str) and p.startswith("function-"))
    )
    kind = err.get("type", "")
    where = format_path(loc)
    name = str(loc[-1]) if loc else "the document"
    value = err.get("input")
    if kind == "missing":
        message = f"`{name}` is required here"
        return Issue(filename, line_of(lines, loc[:-1]), where, message)
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        hint = suggest(name, model.model_fields) if model else ""
        message = f"unknown field `{name}`{hint}"
    elif kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
        hint = suggest(str(value), allowed)
        message = f"`{value}` is not allowed{hint}; use one of: {', '.join(allowed)}"
    elif kind == "string_pattern_mismatch" and loc and loc[-1] == "period":
        message = f"`{value}` is not an ISO 8601 period such as P10Y, P1M or P30D"
    elif kind == "string_pattern_mismatch" and loc and loc[-1] == "country":
        message = f"`{value}` is not a two-letter country code (ISO 3166-1, e.g. BE, US)"
    elif kind in ("dict_type", "model_type"):
        message = f"`{name}` must be a mapping of keys to values, not {type(value).__name__}"
    elif kind == "list_type":
        message = f"`{name}` must be a list, not {type(value).__name__}"
    else:
        message = str(err.get("msg", "invalid value"))
    return Issue(filename, line_of(lines, loc), where, message)


def check_policy_text(text: str, *, filename: str = "<policy>") -> Checked:
    """Every issue in a policy text (YAML, schema, cross-references), and the policy when there are none."""
    from tutela.policy.validate import validate_policy

    data, lines, issues = compose_document(text, filename=filename)
    if data is None and not lines:
        return Checked(None, issues, lines)
    if not isinstance(data, dict):
        issues.append(
            Issue(
                filename,
                1,
                "",
                "a policy is a mapping of sections (controllers:, purposes: …), not a list or text",
            )
        )
        return Checked(None, issues, lines)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        issues.extend(_pydantic_issue(e, lines, filename) for e in exc.errors())
        issues.extend(validate_policy(None, data=data, lines=lines, filename=filename))
        return Checked(None, _dedupe(issues), lines)
    issues.extend(validate_policy(policy, data=data, lines=lines, filename=filename))
    return Checked(policy if not issues else None, _dedupe(issues), lines)


def _dedupe(issues: list[Issue]) -> list[Issue]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for i in issues:
        key = (i.line, i.path, i.message)
        if key not in seen:
            seen.add(key)
            out.append(i)
    return sorted(out, key=lambda i: (i.line or 0, i.path))


def issues_error(issues: list[Issue], filename: str) -> InvalidInput:
    count = len(issues)
    return InvalidInput(
        f"{filename}: not a valid policy ({count} problem{'s' if count != 1 else ''})",
        errors=[i.as_field_error() for i in issues],
    )


def parse_policy_text(text: str, *, filename: str = "<policy>", strict: bool = True) -> Parsed:
    """The policy in ``text``; raises ``InvalidInput`` with every issue (file, line, path) when it is not valid.

    ``strict=False`` checks the YAML and the schema only, not the cross-reference rules: for re-reading a stored
    version that was fully validated when it was loaded (a stricter validator must not break the running system).
    """
    if not strict:
        data, lines, issues = compose_document(text, filename=filename)
        if isinstance(data, dict) and not issues:
            try:
                return Parsed(Policy.model_validate(data))
            except ValidationError as exc:
                issues = [_pydantic_issue(e, lines, filename) for e in exc.errors()]
        raise issues_error(issues or [Issue(filename, 1, "", "not a policy document")], filename)
    checked = check_policy_text(text, filename=filename)
    if checked.policy is None or checked.issues:
        raise issues_error(checked.issues, filename)
    return Parsed(checked.policy)
