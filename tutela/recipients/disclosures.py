"""Minimised disclosures: export people to a recipient with only what it may receive, and log it per item.

The categories sent are the intersection of the recipient's categories and the purpose's categories (nested
fideslang keys count under their parent). Only active items of the disclosing controller, collected for that
purpose and not held for a client controller, are sent. Each person and item sent is logged (Disclosure +
DisclosedItem, bulk inserts) in the same transaction as the audit entries and the export file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from tutela.accounts.permissions import require_controller
from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.audit import AuditRecord, audit_many
from tutela.core.csvsafe import csv_safe
from tutela.core.errors import FieldError, InvalidInput, NotFound, Refused
from tutela.policy.selectors import active_policy
from tutela.recipients.guard import transfer_guard
from tutela.recipients.models import DisclosedItem, Disclosure, Recipient
from tutela.subjects.models import DataItem, Subject
from tutela.subjects.rules import covers
from tutela.subjects.scoping import visible_subjects
from tutela.subjects.values import item_value

FORMATS = ("csv", "json")


@dataclass
class DisclosureExport:
    disclosure: Disclosure
    columns: list[str]
    rows: list[dict[str, str]]
    skipped: int = 0
    #: people not sent because the purpose check refused them: reason code -> number of people
    refused: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        d = self.disclosure
        return {
            "disclosure": str(d.public_id),
            "recipient": d.recipient.key,
            "purpose": d.purpose,
            "controller": d.controller,
            "at": d.at.isoformat(),
            "on": d.on.isoformat(),
            "basis": d.basis,
            "mechanism": d.mechanism,
            "derogation": d.derogation or None,
            "categories": list(d.categories),
            "columns": self.columns,
            "subjects": d.subjects_count,
            "skipped": self.skipped,
            "refused": self.refused,
            "items": d.items_count,
            "format": d.format,
        }


def allowed_categories(recipient_categories: list[str], purpose_categories: list[str]) -> list[str]:
    """Categories the recipient may receive for a purpose, in the purpose's order (pure)."""
    out: list[str] = []
    for pc in purpose_categories:
        for rc in recipient_categories:
            # the narrower of the two keys is what may be sent
            key = pc if covers(rc, pc) else rc if covers(pc, rc) else None
            if key and key not in out:
                out.append(key)
    return out


def render(export: DisclosureExport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            {**export.summary(), "rows": export.rows}, ensure_ascii=False, indent=2, default=str
        )
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=export.columns, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writeheader()
    for row in export.rows:
        writer.writerow({k: csv_safe(v) for k, v in row.items()})
    return buf.getvalue()


def _purpose_allowed(
    ids: list[int], purpose: str, controller: str, day: dt.date
) -> tuple[list[int], dict[str, int]]:
    """People whose data may be used for the purpose now (consent not withdrawn, no objection, not
    suppressed or restricted...), set-based; and, for the others, how many people each reason refused."""
    from tutela.consent.rules import decide_purpose
    from tutela.consent.selectors import gather_facts

    policy = active_policy()
    facts = gather_facts(ids, purpose, controller, today=day)
    permitted: list[int] = []
    refused: dict[str, int] = {}
    for sid in ids:
        verdict = decide_purpose(facts[sid], policy)
        if verdict.allowed:
            permitted.append(sid)
            continue
        for code in verdict.codes or ["refused"]:
            refused[code] = refused.get(code, 0) + 1
    return permitted, dict(sorted(refused.items()))


def disclosure_create(
    *,
    principal: Principal,
    recipient_key: str,
    purpose: str,
    controller: str,
    subject_ids: list[int],
    fmt: str = "csv",
    on: dt.date | None = None,
    derogation: str | None = None,
    reason: str = "",
    sink: Callable[[DisclosureExport], None] | None = None,
) -> DisclosureExport:
    """Disclose people to a recipient; ``sink`` (e.g. writing the file) runs inside the transaction, so a
    failure there leaves no log behind. Raises Refused when the purpose or the transfer is not allowed."""
    policy = active_policy()
    errors: list[FieldError] = []
    if fmt not in FORMATS:
        errors.append(FieldError(f"format must be one of {', '.join(FORMATS)}", field="format"))
    if controller not in policy.controllers:
        errors.append(FieldError(f"{controller!r} is not a controller of the policy", field="controller"))
    pol_purpose = policy.purposes.get(purpose)
    if pol_purpose is None:
        errors.append(FieldError(f"purpose {purpose!r} is not in the policy", field="purpose"))
    if not subject_ids:
        errors.append(FieldError("no person to disclose", field="subjects"))
    if errors:
        raise InvalidInput("cannot disclose", errors=errors)
    assert pol_purpose is not None
    require_controller(principal, controller)
    recipient = Recipient.objects.filter(key=recipient_key).first()
    if recipient is None:
        raise NotFound(
            f"no recipient {recipient_key!r}", errors=[FieldError("unknown recipient", field="recipient")]
        )
    if not recipient.active:
        raise Refused(f"recipient {recipient_key!r} is inactive")
    if purpose not in recipient.purposes:
        raise Refused(
            f"{recipient.key} may not receive data for {purpose!r}",
            errors=[
                FieldError(
                    f"it may receive data for: {', '.join(recipient.purposes) or 'nothing'}", field="purpose"
                )
            ],
        )
    if controller not in pol_purpose.controllers:
        raise Refused(f"{controller} does not pursue the purpose {purpose!r}")
    if recipient.group_controller == controller:
        raise Refused(f"{recipient.key} is {controller} itself: that is no disclosure")
    categories = allowed_categories(list(recipient.categories), list(pol_purpose.categories))
    if not categories:
        raise Refused(f"{recipient.key} may receive none of the categories of {purpose!r}")
    ids = list(dict.fromkeys(subject_ids))
    # people outside the discloser's scope answer like unknown ids (no hint that the other entity holds them)
    people = (
        Subject.objects.filter(erased_at__isnull=True)
        if principal.is_group_wide
        else visible_subjects(principal)
    )
    found = set(people.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(
            f"{len(missing)} person(s) not found or erased",
            errors=[FieldError(f"no person {i}", field="subjects") for i in missing[:20]],
        )
    day = on or clock.today()
    decision = transfer_guard(recipient, day, derogation=derogation, reason=reason)
    permitted, refused = _purpose_allowed(ids, purpose, controller, day)
    items = [
        item
        for item in DataItem.objects.filter(
            subject_id__in=permitted, controller=controller, status=DataItem.Status.ACTIVE, on_behalf_of=""
        ).order_by("subject_id", "category", "pk")
        if purpose in (item.purposes or []) and any(covers(c, item.category) for c in categories)
    ]
    public_ids = dict(Subject.objects.filter(pk__in=ids).values_list("pk", "public_id"))
    rows_by_subject: dict[int, dict[str, list[str]]] = {i: {} for i in ids}
    for item in items:
        # the most specific column that covers the item's category
        column = max((c for c in categories if covers(c, item.category)), key=len)
        rows_by_subject[item.subject_id].setdefault(column, []).append(item_value(item))
    columns = ["subject", *categories]
    # a person with nothing the recipient may receive is not sent at all (not even a bare id)
    sent = [sid for sid, vals in rows_by_subject.items() if vals]
    rows = [
        {
            "subject": str(public_ids[sid]),
            **{c: "; ".join(rows_by_subject[sid].get(c, [])) for c in categories},
        }
        for sid in sent
    ]
    at = clock.now()
    with transaction.atomic():
        disclosure = Disclosure.objects.create(
            public_id=uuid.uuid4(),
            recipient=recipient,
            controller=controller,
            purpose=purpose,
            at=at,
            on=day,
            basis=decision.basis,
            mechanism=decision.mechanism,
            safeguard_id=decision.safeguard_id,
            derogation=decision.derogation,
            derogation_reason=reason if decision.derogation else "",
            categories=categories,
            format=fmt,
            subjects_count=len(sent),
            items_count=len(items),
            actor=principal.actor,
        )
        DisclosedItem.objects.bulk_create(
            [
                DisclosedItem(
                    disclosure=disclosure,
                    recipient=recipient,
                    subject_id=item.subject_id,
                    item_id=item.pk,
                    item_ref=item.pk,
                    category=item.category,
                    at=at,
                )
                for item in items
            ],
            batch_size=1000,
        )
        per_subject: dict[int, list[str]] = {}
        for item in items:
            per_subject.setdefault(item.subject_id, []).append(item.category)
        audit_many(
            [
                AuditRecord(
                    "disclosure.create",
                    object_type="disclosure",
                    object_id=str(disclosure.public_id),
                    payload={
                        "recipient": recipient.key,
                        "purpose": purpose,
                        "controller": controller,
                        "basis": decision.basis,
                        "subjects": len(sent),
                        "skipped": len(ids) - len(sent),
                        "refused": refused,
                        "items": len(items),
                        "categories": categories,
                    },
                    actor=principal.actor,
                ),
                *(
                    AuditRecord(
                        "disclosure.subject",
                        object_type="disclosure",
                        object_id=str(disclosure.public_id),
                        subject_id=sid,
                        payload={
                            "recipient": recipient.key,
                            "purpose": purpose,
                            "basis": decision.basis,
                            "categories": sorted(set(per_subject.get(sid, []))),
                        },
                        actor=principal.actor,
                    )
                    for sid in sent
                ),
            ]
        )
        export = DisclosureExport(disclosure, columns, rows, skipped=len(ids) - len(sent), refused=refused)
        if sink is not None:
            sink(export)
    return export
