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
