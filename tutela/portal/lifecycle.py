"""The portal's part of the lifecycle contract: notices of a change of the privacy notice.

Such a notice is only a delivery state (the address is read when the mail goes): it goes with the person.
On a merge it follows the kept record (once per policy version).
"""

from __future__ import annotations

from tutela.accounts.principal import Principal
from tutela.core import lifecycle
from tutela.core.lifecycle import Erase, Register


def merge(*, keep_id: int, duplicate_id: int, principal: Principal) -> dict[str, int]:
    from tutela.portal.models import PolicyChangeNotice

    already = PolicyChangeNotice.objects.filter(subject_id=keep_id).values("version_number")
    twins, _ = PolicyChangeNotice.objects.filter(subject_id=duplicate_id, version_number__in=already).delete()
    moved = PolicyChangeNotice.objects.filter(subject_id=duplicate_id).update(subject_id=keep_id)
    return {"policy_notices": moved, "policy_notices_merged": int(twins)}


def register() -> None:
    from tutela.portal.models import PolicyChangeNotice

    lifecycle.register(
        lifecycle.Owner(
            app="portal",
            registers=(
                Register(
                    PolicyChangeNotice, "subject", Erase.DELETE, "a delivery state only; goes with the person"
                ),
            ),
            merge=merge,
        )
    )
