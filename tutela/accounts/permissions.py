"""The one set of permission predicates every service asks (issue: authorization lives in the domain).

A service that reads or changes personal data takes a required ``principal`` and asks these functions; the
API, the pages and the CLI only build the principal and pass it on. Nothing here reads a request or a
session. Predicates return booleans; ``require_*`` raise the error the front ends turn into an answer:
``PermissionDenied`` for a role that may not act at all, ``NotFound`` for a record outside the caller's
scope (so that staff of one entity cannot learn that the other entity holds someone).
"""

from __future__ import annotations

from collections.abc import Iterable

from tutela.accounts.models import Role
from tutela.accounts.principal import Principal
from tutela.core.errors import NotFound, PermissionDenied

#: roles that may take the decisions the policy gives to the DPO (objections, erasure exceptions, refusals)
DECIDING_ROLES = (Role.DPO, Role.PRIVACY_OFFICER)


def may_write(principal: Principal) -> bool:
    """Any role but the auditor, and no anonymous caller, may record or change data through a service."""
    return principal.can_write and principal.role != PUBLIC_ROLE


def may_decide(principal: Principal) -> bool:
    return principal.role in DECIDING_ROLES


def may_act_for(principal: Principal, controller: str) -> bool:
    """Whether ``principal`` acts for ``controller``: group-wide roles for every entity, staff, integrations
    and archivists for their own only; an empty controller (not tied to an entity) only for group-wide ones."""
    if principal.role == PUBLIC_ROLE:
        return False
    if principal.is_group_wide:
        return True
    return bool(principal.controller) and principal.controller == controller


def controllers_in_scope(principal: Principal, controllers: Iterable[str]) -> list[str]:
    """The entities of ``controllers`` that ``principal`` acts for, in order."""
    return [c for c in controllers if may_act_for(principal, c)]


def may_see_subject(principal: Principal, subject_id: int) -> bool:
    """Whether the person is in ``principal``'s scope (an item it may see, or a relationship with its entity)."""
    if principal.role == PUBLIC_ROLE:
        return False
    from tutela.subjects.scoping import can_see_subject

    return can_see_subject(principal, subject_id)


def require_write(principal: Principal) -> None:
    if not may_write(principal):
        raise PermissionDenied(f"role {principal.role!r} may not change data")


def require_decide(principal: Principal) -> None:
    if not may_decide(principal):
        raise PermissionDenied("only the DPO or a privacy officer may take this decision")


def require_controller(principal: Principal, controller: str) -> None:
    """Raise unless ``principal`` may write data held by ``controller``."""
    require_write(principal)
    if not may_act_for(principal, controller):
        mine = principal.controller or "no entity"
        raise PermissionDenied(f"you act for {mine} and may not act for {controller or 'the whole group'}")


def require_subject(principal: Principal, subject_id: int) -> None:
    """Raise NotFound when the person is outside ``principal``'s scope (the same answer as a wrong id)."""
    if not may_see_subject(principal, subject_id):
        raise NotFound(f"no person with id {subject_id}")


PUBLIC_ROLE = "public"


def controller_scope(principal: Principal) -> str | None:
    """The one entity whose records ``principal`` may see, or None for the whole group (group-wide roles).

    An entity role without an entity gets ``""`` (it sees only records addressed to the whole group, and no
    person). Use it to filter registers with a ``controller`` column in one predicate, never per row."""
    return None if principal.is_group_wide else principal.controller


def may_see_record(principal: Principal, controller: str) -> bool:
    """A record of a register kept per entity (a consent event, an objection, a disclosure): visible to
    group-wide roles, and to an entity's staff when it is that entity's or addressed to the whole group
    (``controller == ""``)."""
    if principal.role == PUBLIC_ROLE:
        return False
    return principal.is_group_wide or controller in ("", principal.controller)


def acting_controller(principal: Principal, controller: str | None) -> str:
    """The entity a change is recorded for: what was asked (``""`` = every entity) for a group-wide role;
    the principal's own entity for anyone else (asking for another entity, or for the whole group, is
    refused). Raises PermissionDenied for roles that may not change data."""
    require_write(principal)
    wanted = controller or ""
    if principal.is_group_wide:
        return wanted
    if not principal.controller:
        raise PermissionDenied(f"role {principal.role!r} without an entity may not change data")
    if wanted and wanted != principal.controller:
        raise PermissionDenied(f"you act for {principal.controller} and may not act for {wanted}")
    return principal.controller


def require_archive(principal: Principal) -> None:
    """Raise unless ``principal`` may open the archive (an archivist or a staff member given that right)."""
    if principal.role == PUBLIC_ROLE or not principal.archive_access:
        raise PermissionDenied("opening the archive needs the archive permission")


def require_group_wide(principal: Principal, what: str) -> None:
    """Raise unless ``principal`` is the DPO, a privacy officer or the auditor (``what`` names the register)."""
    if not principal.is_group_wide:
        raise PermissionDenied(f"{what} covers both entities: DPO, privacy officer or auditor")


def require_in_scope(principal: Principal, subject_id: int) -> None:
    """Like :func:`require_subject`, without a query for group-wide roles: they see every record, those
    merged into another or erased included (the access package and erasure read those too)."""
    if principal.role == PUBLIC_ROLE or not principal.is_group_wide:
        require_subject(principal, subject_id)


def may_read_breaches(principal: Principal) -> bool:
    """The breach register (with the reporters' details) is open to the DPO, privacy officers and auditors."""
    return principal.role in (*DECIDING_ROLES, Role.AUDITOR)


def may_report_breach(principal: Principal) -> bool:
    """Anyone who may write may report a possible breach (the DPO must hear of it at once)."""
    return may_write(principal)


def may_manage_breaches(principal: Principal) -> bool:
    """What follows a report (investigation, assessment, decision, notifications, register, DPO review) is
    for the DPO and privacy officers; auditors only read."""
    return may_decide(principal)


def require_read_breaches(principal: Principal) -> None:
    if not may_read_breaches(principal):
        raise PermissionDenied("only the DPO, privacy officers and auditors see the breach register")


def require_report_breach(principal: Principal) -> None:
    if not may_report_breach(principal):
        raise PermissionDenied("read-only account")


def require_manage_breaches(principal: Principal) -> None:
    if not may_manage_breaches(principal):
        raise PermissionDenied("only the DPO and privacy officers manage breaches")


def may_manage_accounts(principal: Principal) -> bool:
    """Creating staff accounts and API tokens is for the DPO (the operator at the shell acts as the DPO)."""
    return principal.role == Role.DPO


def require_manage_accounts(principal: Principal) -> None:
    if not may_manage_accounts(principal):
        raise PermissionDenied("only the DPO may create staff accounts and API tokens")
