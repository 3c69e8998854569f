"""Errors that services raise and every front end (CLI, API, pages) turns into a clear answer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    """One thing wrong with the input, located as precisely as we can."""

    message: str
    field: str | None = None
    file: str | None = None
    line: int | None = None
    row: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file + (f":{self.line}" if self.line else ""))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(self.field)
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class TutelaError(Exception):
    """Base of the errors Tutela explains to its users."""

    exit_code = 2
    http_status = 400

    def __init__(self, message: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class InvalidInput(TutelaError):
    """The input is malformed or breaks a rule; nothing was changed."""


class NotFound(TutelaError):
    """The thing asked for does not exist (or the caller may not know it exists)."""

    exit_code = 2
    http_status = 404


class Refused(TutelaError):
    """The request is well formed but the policy or the law says no; the message says why."""

    exit_code = 1
    http_status = 409


class PermissionDenied(TutelaError):
    """The caller's role or entity does not allow this."""

    exit_code = 2
    http_status = 403


class Conflict(TutelaError):
    """Someone else changed the same thing first; retry with fresh data."""

    exit_code = 1
    http_status = 409


@dataclass
class Outcome:
    """What a service decided, with every reason, for answers that are not errors (allow/deny)."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
