"""One-click withdrawal links for any consent purpose (the newsletter has its own RFC 8058 link).

A link names the person by their public id, the purpose and the controller, and carries a keyed MAC: it needs
no storage, keeps working for as long as the consent runs, and points at nobody after erasure. Put it in
every mail sent on the basis of consent, so withdrawing is as easy as giving.
"""

from __future__ import annotations

import contextlib
import hmac
from typing import Any

from django.conf import settings

from tutela.accounts.principal import Principal
from tutela.consent import services
from tutela.core.crypto import blind_index
from tutela.core.errors import NotFound, Refused
from tutela.subjects.models import Subject


def link_mac(kind: str, *parts: str) -> str:
    """The keyed signature of an e-mailed link's parts (unsubscribe, withdrawal): nothing to store."""
    return blind_index(kind, "|".join(parts))[:32]


def link_mac_ok(mac: str, kind: str, *parts: str) -> bool:
    return hmac.compare_digest(mac, link_mac(kind, *parts))


def _mac(public_hex: str, controller: str, purpose: str) -> str:
    return link_mac("consent-withdraw", public_hex, controller, purpose)


def withdrawal_token(subject_id: int, purpose: str, controller: str = "") -> str:
    subject = Subject.objects.filter(pk=subject_id, erased_at__isnull=True).first()
    if subject is None:
        raise NotFound(f"no person with id {subject_id}")
    public_hex = subject.public_id.hex
    return f"{public_hex}.{controller or 'all'}.{purpose}.{_mac(public_hex, controller, purpose)}"


def withdrawal_url(subject_id: int, purpose: str, controller: str = "") -> str:
    """The address an anonymous POST to withdraws the consent at once."""
    return f"{settings.TUTELA_BASE_URL}/api/v1/consent/withdraw/{withdrawal_token(subject_id, purpose, controller)}"


def consent_withdraw_by_token(
    *, token: str, ip: str | None = None, user_agent: str | None = None, principal: Principal
) -> dict[str, Any]:
    """Withdraw from a link (idempotent: a second click answers the same). The signed link is the proof:
    whoever presents it (usually the public) may withdraw the consent it names, and nothing else."""
    parts = (token or "").split(".")
    if len(parts) != 4:
        raise NotFound("this link is not valid")
    public_hex, ctrl, purpose, mac = parts
    controller = "" if ctrl == "all" else ctrl
    if len(public_hex) != 32 or not link_mac_ok(mac, "consent-withdraw", public_hex, controller, purpose):
        raise NotFound("this link is not valid")
    subject_id = (
        Subject.objects.filter(public_id=public_hex, erased_at__isnull=True)
        .values_list("id", flat=True)
        .first()
    )
    if subject_id is not None:
        with contextlib.suppress(Refused):  # already withdrawn: a second click answers the same
            services._withdraw(
                subject_id=subject_id,
                purpose=purpose,
                controller=controller,
                channel="email",
                evidence="one-click withdrawal link",
                page="",
                ip=ip,
                user_agent=user_agent,
                actor=principal.actor,
            )
    return {"withdrawn": True}
