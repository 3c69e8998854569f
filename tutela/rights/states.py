"""The state machine of a request (pure): which status may follow which."""

from __future__ import annotations

from tutela.core.errors import Conflict, FieldError

RECEIVED = "received"
IDENTITY_PENDING = "identity_pending"
ON_HOLD = "on_hold"
IN_PROGRESS = "in_progress"
ANSWERED = "answered"
REFUSED = "refused"
WITHDRAWN = "withdrawn"

CLOSED = frozenset({ANSWERED, REFUSED, WITHDRAWN})

TRANSITIONS: dict[str, frozenset[str]] = {
    # answered at once: a public request about nobody held (nothing to prove, nothing to disclose)
    RECEIVED: frozenset({IDENTITY_PENDING, IN_PROGRESS, ANSWERED, REFUSED, WITHDRAWN}),
    IDENTITY_PENDING: frozenset({IN_PROGRESS, ON_HOLD, REFUSED, WITHDRAWN}),
    ON_HOLD: frozenset({IDENTITY_PENDING, IN_PROGRESS, REFUSED, WITHDRAWN}),
    IN_PROGRESS: frozenset({ON_HOLD, ANSWERED, REFUSED, WITHDRAWN}),
    ANSWERED: frozenset(),
    REFUSED: frozenset(),
    WITHDRAWN: frozenset(),
}


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check_move(current: str, target: str, *, request_id: int | None = None) -> None:
    if not can_move(current, target):
        what = f"request {request_id}" if request_id is not None else "the request"
        raise Conflict(
            f"{what} is {current}: it cannot become {target}",
            errors=[FieldError(f"allowed from {current}: {sorted(TRANSITIONS.get(current, ())) or 'none'}")],
        )
