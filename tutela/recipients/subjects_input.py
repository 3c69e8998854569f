"""Turning what a caller knows of people (ids, public ids, e-mail addresses …) into subject ids."""

from __future__ import annotations

from pathlib import Path

from tutela.accounts.principal import Principal
from tutela.core.errors import FieldError, InvalidInput
from tutela.subjects.scoping import visible_subjects
from tutela.subjects.selectors import resolve_identifier

HEADER_WORDS = {"subject", "subjects", "identifier", "id", "public_id", "email"}


def resolve_all(
    values: list[tuple[str, int | None]], *, principal: Principal, file: str | None = None
) -> list[int]:
    """Subject ids for ``(text, line)`` pairs; every text that finds nobody is reported with its line.

    Someone outside ``principal``'s scope finds nobody either (one query for the lot), so an identifier
    never tells an entity's staff that the other entity holds someone."""
    found: list[tuple[str, int | None, int | None]] = []
    for text, line in values:
        subject = resolve_identifier(text)
        found.append((text, line, subject.pk if subject is not None else None))
    if not principal.is_group_wide:
        wanted = {pk for _, _, pk in found if pk is not None}
        mine = set(visible_subjects(principal).filter(pk__in=wanted).values_list("pk", flat=True))
        found = [(text, line, pk if pk in mine else None) for text, line, pk in found]
    ids: list[int] = []
    errors: list[FieldError] = []
    for text, line, pk in found:
        if pk is None:
            errors.append(
                FieldError("finds nobody (unknown id or identifier)", field="subjects", file=file, line=line)
                if file
                else FieldError(f"{text!r} finds nobody", field="identifier")
            )
        elif pk not in ids:
            ids.append(pk)
    if errors:
        raise InvalidInput(f"{len(errors)} person(s) not found", errors=errors)
    return ids


def read_subjects_file(path: str) -> list[tuple[str, int | None]]:
    """One person per line (first comma/semicolon field); blank lines, ``#`` comments and a header skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read it as UTF-8 text ({exc})") from None
    out: list[tuple[str, int | None]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        value = raw.replace(";", ",").split(",")[0].strip().strip('"')
        if not value or value.startswith("#"):
            continue
        if not out and value.lower() in HEADER_WORDS:
            continue
        out.append((value, number))
    if not out:
        raise InvalidInput(f"{path}: lists nobody", errors=[FieldError("no person in the file", file=path)])
    return out
