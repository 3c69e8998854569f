"""Reads of the recipients app: transfer rules in force, the register, and the disclosure log."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from django.db.models import QuerySet

from tutela.accounts.permissions import controller_scope, require_in_scope
from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.errors import FieldError, NotFound
from tutela.recipients.models import (
    ClientController,
    DisclosedItem,
    Disclosure,
    Recipient,
    Safeguard,
    TransferRuleSet,
)
from tutela.recipients.rules import TransferRules, parse_rules, shipped_rules_text

_lock = threading.Lock()
_cache: dict[str, Any] = {"key": None, "rules": None}


def active_rule_set() -> TransferRuleSet | None:
    """The stored rules version in force, or None when the shipped file applies."""
    return TransferRuleSet.objects.filter(active=True).first()


def active_transfer_rules() -> TransferRules:
    """The rules in force: the active stored version, else the shipped file."""
    row = TransferRuleSet.objects.filter(active=True).values_list("number", "content_hash").first()
    key = row if row is not None else ("shipped", None)
    with _lock:
        if _cache["key"] == key and isinstance(_cache["rules"], TransferRules):
            return _cache["rules"]
        if row is None:
            rules = parse_rules(shipped_rules_text(), filename="transfers.yaml (shipped)")
        else:
            content = TransferRuleSet.objects.values_list("content", flat=True).get(number=row[0])
            rules = parse_rules(content, filename=f"transfer rules v{row[0]}")
        _cache.update(key=key, rules=rules)
        return rules


# ---------------------------------------------------------------- the register


def recipient_by_key(key: str) -> Recipient:
    recipient = Recipient.objects.filter(key=key).first()
    if recipient is None:
        raise NotFound(f"no recipient {key!r}", errors=[FieldError("unknown recipient", field="recipient")])
    return recipient


def safeguard_dict(s: Safeguard) -> dict[str, Any]:
    return {
        "id": s.pk,
        "kind": s.kind,
        "scc_module": s.scc_module or None,
        "reference": s.reference,
        "signed_on": s.signed_on.isoformat(),
        "expires_on": s.expires_on.isoformat() if s.expires_on else None,
        "revoked_on": s.revoked_on.isoformat() if s.revoked_on else None,
    }


def recipient_dict(r: Recipient, *, safeguards: list[Safeguard] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": r.key,
        "name": r.name,
        "type": r.recipient_type,
        "role": r.role,
        "country": r.country,
        "scheme": r.scheme or None,
        "group_controller": r.group_controller or None,
        "contact_email": r.contact_email or None,
        "webhook_url": r.webhook_url or None,
        "contract_ref": r.contract_ref or None,
        "contract_expires_on": r.contract_expires_on.isoformat() if r.contract_expires_on else None,
        "categories": list(r.categories),
        "purposes": list(r.purposes),
        "active": r.active,
    }
    if safeguards is not None:
        data["safeguards"] = [safeguard_dict(s) for s in safeguards]
    return data


def recipient_list(*, recipient_type: str | None = None, country: str | None = None) -> list[Recipient]:
    rows = Recipient.objects.all().prefetch_related("safeguards")
    if recipient_type:
        rows = rows.filter(recipient_type=recipient_type)
    if country:
        rows = rows.filter(country=country.upper())
    return list(rows.order_by("key"))


def expiring_contracts(within_days: int = 60, *, on: dt.date | None = None) -> list[dict[str, Any]]:
    """Active recipients whose contract / DPA expires within ``within_days`` (or has expired), soonest first."""
    today = on or clock.today()
    limit = today + dt.timedelta(days=within_days)
    rows = Recipient.objects.filter(
        active=True, contract_expires_on__isnull=False, contract_expires_on__lte=limit
    )
    return [
        {
            "key": r.key,
            "name": r.name,
            "role": r.role,
            "contract_ref": r.contract_ref or None,
            "contract_expires_on": r.contract_expires_on.isoformat() if r.contract_expires_on else None,
            "days_left": (r.contract_expires_on - today).days if r.contract_expires_on else None,
            "expired": bool(r.contract_expires_on and r.contract_expires_on < today),
        }
        for r in rows.order_by("contract_expires_on", "key")
    ]


# ---------------------------------------------------------------- the disclosure log (others call these)


def item_ids_disclosed_to_controller(controller: str) -> QuerySet[DisclosedItem, int]:
    """Ids of items one group entity disclosed to ``controller`` (the other entity), as a sub-query.

    The register's scoping lets that entity's staff see these items (``tutela.subjects.scoping``)."""
    return (
        DisclosedItem.objects.filter(recipient__group_controller=controller, item__isnull=False)
        .values_list("item_id", flat=True)
        .distinct()
    )


def _disclosed_rows(subject_id: int, principal: Principal) -> QuerySet[DisclosedItem]:
    """The disclosure log rows of one person that ``principal`` may see: NotFound for a person outside its
    scope; an entity's staff see their own entity's disclosures only."""
    require_in_scope(principal, subject_id)
    rows = DisclosedItem.objects.filter(subject_id=subject_id)
    scope = controller_scope(principal)
    if scope is not None:
        rows = rows.filter(disclosure__controller=scope)
    return rows


def recipients_of_subject(subject_id: int, *, principal: Principal) -> list[dict[str, Any]]:
    """Everyone who received data about a person, for the access package (Art. 15(1)(c)).

    One dict per recipient: ``key``, ``name``, ``role``, ``country``, ``type``, ``categories``,
    ``purposes``, ``first_disclosure``, ``last_disclosure``, ``basis`` (of the last one), ``safeguard``,
    ``disclosures`` (count). Scoped to ``principal`` (see :func:`_disclosed_rows`)."""
    rows = (
        _disclosed_rows(subject_id, principal)
        .values(
            "recipient_id",
            "category",
            "disclosure_id",
            "disclosure__at",
            "disclosure__basis",
            "disclosure__purpose",
            "disclosure__mechanism",
        )
        .order_by("disclosure__at", "pk")
    )
    by_recipient: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = by_recipient.setdefault(
            row["recipient_id"],
            {"categories": [], "purposes": [], "first": row["disclosure__at"], "ids": set()},
        )
        if row["category"] not in entry["categories"]:
            entry["categories"].append(row["category"])
        if row["disclosure__purpose"] not in entry["purposes"]:
            entry["purposes"].append(row["disclosure__purpose"])
        entry["last"] = row["disclosure__at"]
        entry["basis"] = row["disclosure__basis"]
        entry["mechanism"] = row["disclosure__mechanism"]
        entry["ids"].add(row["disclosure_id"])
    recipients = {r.pk: r for r in Recipient.objects.filter(pk__in=by_recipient)}
    out = []
    for rid, entry in by_recipient.items():
        r = recipients[rid]
        out.append(
            {
                "key": r.key,
                "name": r.name,
                "type": r.recipient_type,
                "role": r.role,
                "country": r.country,
                "categories": sorted(entry["categories"]),
                "purposes": entry["purposes"],
                "first_disclosure": entry["first"].isoformat(),
                "last_disclosure": entry["last"].isoformat(),
                "basis": entry["basis"],
                "safeguard": entry["basis"] if entry["mechanism"] in ("safeguard", "derogation") else None,
                "disclosures": len(entry["ids"]),
            }
        )
    return sorted(out, key=lambda d: d["key"])


def disclosures_of_subject(subject_id: int, *, principal: Principal) -> list[dict[str, Any]]:
    """The disclosure log of one person: one dict per disclosure with the items and categories sent
    (scoped to ``principal``: its own entity's disclosures unless group-wide)."""
    rows = (
        _disclosed_rows(subject_id, principal)
        .select_related("disclosure", "recipient")
        .order_by("disclosure__at", "pk")
    )
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        d = row.disclosure
        entry = out.setdefault(
            d.pk,
            {
                "disclosure": str(d.public_id),
                "recipient": row.recipient.key,
                "recipient_name": row.recipient.name,
                "controller": d.controller,
                "purpose": d.purpose,
                "at": d.at.isoformat(),
                "basis": d.basis,
                "mechanism": d.mechanism,
                "derogation": d.derogation or None,
                "items": [],
                "categories": [],
            },
        )
        entry["items"].append(row.item_ref)
        if row.category not in entry["categories"]:
            entry["categories"].append(row.category)
    return list(out.values())


def propagation_targets(subject_id: int, item_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Who must hear of a rectification or erasure of a person's items (Art. 19).

    One dict per recipient that received any of the items (all the person's items when ``item_ids`` is
    None): ``recipient``, ``name``, ``role``, ``contact_email``, ``webhook_url``, ``items`` (ids),
    ``categories``, ``group_controller``."""
    rows = DisclosedItem.objects.filter(subject_id=subject_id)
    if item_ids is not None:
        rows = rows.filter(item_ref__in=list(item_ids))
    by_recipient: dict[int, dict[str, Any]] = {}
    for rid, item_ref, category in rows.values_list("recipient_id", "item_ref", "category").order_by("pk"):
        entry = by_recipient.setdefault(rid, {"items": [], "categories": []})
        if item_ref not in entry["items"]:
            entry["items"].append(item_ref)
        if category not in entry["categories"]:
            entry["categories"].append(category)
    out = []
    for r in Recipient.objects.filter(pk__in=by_recipient).order_by("key"):
        entry = by_recipient[r.pk]
        out.append(
            {
                "recipient": r.key,
                "name": r.name,
                "role": r.role,
                "contact_email": r.contact_email or None,
                "webhook_url": r.webhook_url or None,
                "group_controller": r.group_controller or None,
                "items": entry["items"],
                "categories": sorted(entry["categories"]),
            }
        )
    return out


# ---------------------------------------------------------------- the group as processor (§2)


def is_processor_data(item: Any) -> bool:
    """True for items the group holds as a processor for a client controller (``on_behalf_of`` set).

    They are not the group's own data: they are left out of its own purpose checks, and a data-subject
    request about them is forwarded to the client controller (:func:`forward_target`)."""
    return bool(getattr(item, "on_behalf_of", ""))


def client_controller_dict(c: ClientController) -> dict[str, Any]:
    return {
        "key": c.key,
        "name": c.name,
        "contact_name": c.contact_name or None,
        "contact_email": c.contact_email or None,
        "instructions_ref": c.instructions_ref,
    }


def forward_target(item: Any) -> dict[str, Any] | None:
    """Where to forward a request about a processor item: the client controller and its contact.

    None for the group's own data. When the client is not in the register the answer still names it
    (``registered: False``) so the request is not lost."""
    if not is_processor_data(item):
        return None
    client = ClientController.objects.filter(key=item.on_behalf_of).first()
    if client is None:
        client = ClientController.objects.filter(name=item.on_behalf_of).first()
    base = {
        "on_behalf_of": item.on_behalf_of,
        "instruction_ref": getattr(item, "instruction_ref", "") or None,
    }
    if client is None:
        return {
            **base,
            "registered": False,
            "key": None,
            "name": item.on_behalf_of,
            "contact_email": None,
            "contact_name": None,
            "instructions_ref": None,
        }
    return {**base, "registered": True, **client_controller_dict(client)}


def transfers_of_subject(subject_id: int, *, principal: Principal) -> list[dict[str, Any]]:
    """For the access package's ``transfers``: recipients outside the EEA that received the person's data,
    with the mechanism relied on (``adequacy``, ``safeguard``, ``derogation``) and its ``basis``
    (scoped to ``principal``)."""
    rows = (
        _disclosed_rows(subject_id, principal)
        .exclude(disclosure__mechanism="none")
        .values(
            "recipient__key",
            "recipient__name",
            "recipient__country",
            "disclosure__mechanism",
            "disclosure__basis",
        )
        .distinct()
        .order_by("recipient__key", "disclosure__basis")
    )
    return [
        {
            "recipient": r["recipient__key"],
            "name": r["recipient__name"],
            "country": r["recipient__country"],
            "mechanism": r["disclosure__mechanism"],
            "basis": r["disclosure__basis"],
        }
        for r in rows
    ]


def disclosure_list(
    *, principal: Principal, recipient_key: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The latest disclosures (optionally to one recipient), newest first: an entity's staff see their
    own entity's only."""
    rows = Disclosure.objects.select_related("recipient").order_by("-at", "-pk")
    scope = controller_scope(principal)
    if scope is not None:
        rows = rows.filter(controller=scope)
    if recipient_key:
        rows = rows.filter(recipient__key=recipient_key)
    return [
        {
            "disclosure": str(d.public_id),
            "recipient": d.recipient.key,
            "controller": d.controller,
            "purpose": d.purpose,
            "at": d.at.isoformat(),
            "on": d.on.isoformat(),
            "basis": d.basis,
            "mechanism": d.mechanism,
            "derogation": d.derogation or None,
            "categories": list(d.categories),
            "subjects": d.subjects_count,
            "items": d.items_count,
            "actor": d.actor,
        }
        for d in rows[: max(1, min(limit, 10000))]
    ]
