"""Reads of personal data that are themselves recorded: who read which person, for which purpose.

``subject_read`` is what the CLI (`tutela subject show`) and the API call to show a person: it checks the
principal's scope (someone outside it gets NotFound, as if the person did not exist), writes the audit
entry and returns the data. ``subjects_read_logged`` records a read of several people at once (lists).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from tutela.accounts.permissions import require_subject
from tutela.accounts.principal import Principal
from tutela.core import lifecycle
from tutela.core.audit import AuditRecord, audit_many
from tutela.core.errors import PermissionDenied
from tutela.subjects.selectors import subject_summary


def subjects_read_logged(
    principal: Principal, subject_ids: Iterable[int], *, purpose: str = "", channel: str, what: str = "read"
) -> None:
    """One audit entry per person read (bulk insert), each with the reader, purpose and channel."""
    records = [
        AuditRecord(
            f"subject.{what}",
            "subject",
            sid,
            sid,
            {
                "purpose": purpose,
                "channel": channel,
                "role": principal.role,
                "controller": principal.controller,
            },
            principal.actor,
        )
        for sid in subject_ids
    ]
    if records:
        with transaction.atomic():
            audit_many(records)


def subject_read(
    principal: Principal,
    subject_id: int,
    *,
    purpose: str = "",
    channel: str,
    reveal: bool = False,
    with_related: bool = True,
) -> dict[str, Any]:
    """Everything the principal may see of one person, logged. ``reveal`` shows sensitive values in clear
    (only for roles that may decide or the person's own controller's staff) and is logged as such."""
    require_subject(principal, subject_id)
    if reveal and principal.role in ("auditor", "integration"):
        raise PermissionDenied(f"role {principal.role!r} may not reveal sensitive values")
    data = subject_summary(subject_id, principal=principal, reveal=reveal)
    if with_related:
        from tutela.consent.selectors import consents_of_subject

        # consent evidence and objections of the other entity stay with that entity
        data["consents"] = consents_of_subject(subject_id, principal=principal)
        # the person's requests, as the principal may see them (the rights app's lifecycle export)
        data["requests"] = lifecycle.export_subject(subject_id, principal=principal, sections=["requests"])[
            "requests"
        ]
    revealed = sorted({i["category"] for i in data["items"] if i["sensitive"]}) if reveal else []
    with transaction.atomic():
        records = [
            AuditRecord(
                "subject.read",
                "subject",
                subject_id,
                subject_id,
                {
                    "purpose": purpose,
                    "channel": channel,
                    "role": principal.role,
                    "controller": principal.controller,
                },
                principal.actor,
            )
        ]
        if revealed:
            records.append(
                AuditRecord(
                    "subject.reveal",
                    "subject",
                    subject_id,
                    subject_id,
                    {"purpose": purpose, "channel": channel, "categories": revealed},
                    principal.actor,
                )
            )
        audit_many(records)
    return data
