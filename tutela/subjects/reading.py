"""Reads of personal data that are themselves recorded: who read which person, for which purpose.

``subject_read`` is what the CLI (`tutela subject show`) and the API call to show a person: it checks the
principal's scope (someone outside it gets NotFound, as if the person did not exist), writes the audit
entry and returns the data. ``subjects_read_logged`` records a read of several people at once (lists).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from tutela.accounts.principal import Principal
from tutela.core.audit import AuditRecord, audit_many
from tutela.core.errors import NotFound, PermissionDenied
from tutela.subjects.scoping import can_see_subject
from tutela.subjects.selectors import subject_summary


def _optional(module: str, name: str, subject_id: int) -> list[Any]:
    """Data another app keeps about the person, when that app provides the selector; [] otherwise."""
    try:
        selector = getattr(__import__(module, fromlist=[name]), name)
    except (ImportError, AttributeError):
        return []
    result = selector(subject_id)
    out: list[Any] = []
    for entry in result or []:
        if isinstance(entry, dict):
            out.append(entry)
        elif hasattr(entry, "as_dict"):
            out.append(entry.as_dict())
        else:
            from django.forms.models import model_to_dict

            out.append(model_to_dict(entry) if hasattr(entry, "_meta") else entry)
    return out


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
    if not can_see_subject(principal, subject_id):
        raise NotFound(f"no person with id {subject_id}")
    if reveal and principal.role in ("auditor", "integration"):
        raise PermissionDenied(f"role {principal.role!r} may not reveal sensitive values")
    data = subject_summary(subject_id, principal=principal, reveal=reveal)
    if with_related:
        data["consents"] = _optional("tutela.consent.selectors", "consents_of_subject", subject_id)
        data["requests"] = _optional("tutela.rights.selectors", "requests_of_subject", subject_id)
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
