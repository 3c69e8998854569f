"""Who is acting, and what they may see: one object that every front end builds and every service trusts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tutela.accounts.models import Role, StaffProfile


@dataclass(frozen=True)
class Principal:
    actor: str
    role: str
    controller: str = ""
    archive_access: bool = False
    purposes: tuple[str, ...] = field(default_factory=tuple)
    user_id: int | None = None

    @property
    def is_group_wide(self) -> bool:
        """DPO, privacy officer and auditor see both entities; every other role (staff, integrations,
        archivists, the public) at most its own entity: a role without an entity sees nothing."""
        return self.role in (Role.DPO, Role.PRIVACY_OFFICER, Role.AUDITOR)

    @property
    def can_write(self) -> bool:
        return self.role not in (Role.AUDITOR, "public")

    @property
    def can_decide(self) -> bool:
        """Decisions the policy gives to the DPO (objections, erasure exceptions, breach duties)."""
        return self.role in (Role.DPO, Role.PRIVACY_OFFICER)


#: Tutela itself (the sweep, workers, signal receivers); group-wide
SYSTEM = Principal(actor="system", role=Role.DPO)
#: the operator at the shell: whoever can run ``tutela`` can read the database and the keys anyway
CLI = Principal(actor="cli", role=Role.DPO)


def principal_for_user(user: Any) -> Principal | None:
    """The principal of a logged-in Django user, or None when the account has no Tutela role."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    profile = StaffProfile.objects.filter(user=user).first()
    username = getattr(user, "username", "?")
    if profile is None:
        if getattr(user, "is_superuser", False):
            return Principal(actor=f"user:{username}", role=Role.DPO, user_id=getattr(user, "pk", None))
        return None
    return Principal(
        actor=f"user:{username}",
        role=profile.role,
        controller=profile.controller,
        archive_access=profile.archive_access or profile.role == Role.ARCHIVE,
        purposes=tuple(profile.purposes or ()),
        user_id=getattr(user, "pk", None),
    )


#: anyone on the public portal or a public API route: may act only on a person through a proof (a code or a
#: private link) the service itself checks; never sees or changes anything by its own right
PUBLIC = Principal(actor="anonymous", role="public")


def public_principal(actor: str = "anonymous") -> Principal:
    """A public caller named for the audit trail (``anonymous``, ``portal``, ``subject:<token id>``…)."""
    return Principal(actor=actor, role="public")


def system_principal(task: str) -> Principal:
    """Tutela itself running ``task`` (the sweep, a worker job): group-wide, named in the audit trail."""
    return Principal(actor=f"system:{task}", role=Role.DPO)


def cli_principal() -> Principal:
    """The operator at the shell, named in the audit trail as the command's actor (``cli:<login>``)."""
    from tutela.core.audit import current_actor

    actor = current_actor()
    return Principal(actor=actor if actor.startswith("cli") else CLI.actor, role=CLI.role)
