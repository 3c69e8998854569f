"""Use cases of the recipients app that change state."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import transaction

from tutela.accounts.permissions import may_decide, require_write
from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.audit import audit_log
from tutela.core.errors import FieldError, InvalidInput, NotFound, PermissionDenied
from tutela.policy.selectors import active_policy
from tutela.recipients.models import ClientController, Recipient, Safeguard, TransferRuleSet
from tutela.recipients.rules import parse_rules
from tutela.recipients.selectors import active_transfer_rules
from tutela.recipients.validation import check_email, check_key, check_recipient_fields, check_text


def _may_change(principal: Principal) -> None:
    """The register of recipients, safeguards, client controllers and transfer rules is the DPO's."""
    require_write(principal)
    if not may_decide(principal):
        raise PermissionDenied("only the DPO or a privacy officer may change the register of recipients")


def transfer_rules_update(
    *, text: str, source_name: str, principal: Principal
) -> tuple[TransferRuleSet, bool]:
    """Validate ``text`` and make it the rules in force. Returns (version, changed)."""
    _may_change(principal)
    rules = parse_rules(text, filename=source_name)
    digest = hashlib.sha256(text.encode()).hexdigest()
    with transaction.atomic():
        current = TransferRuleSet.objects.select_for_update().filter(active=True).first()
        if current is not None and current.content_hash == digest:
            return current, False
        last = TransferRuleSet.objects.order_by("-number").values_list("number", flat=True).first() or 0
        TransferRuleSet.objects.filter(active=True).update(active=False)
        version = TransferRuleSet.objects.create(
            number=last + 1,
            label=rules.label,
            content=text,
            content_hash=digest,
            source_name=source_name,
            loaded_at=clock.now(),
            loaded_by=principal.actor,
            active=True,
        )
        audit_log(
            "transfer_rules.update",
            object_type="transfer_rules",
            object_id=version.number,
            payload={
                "label": rules.label,
                "hash": digest,
                "source": source_name,
                "previous": current.number if current else None,
                "decisions": len(rules.adequacy),
            },
            actor=principal.actor,
        )
    return version, True


# ---------------------------------------------------------------- the register of recipients

_RECIPIENT_FIELDS = (
    "name",
    "recipient_type",
    "role",
    "country",
    "scheme",
    "group_controller",
    "contact_email",
    "webhook_url",
    "contract_ref",
    "contract_expires_on",
    "categories",
    "purposes",
    "notes",
    "active",
)


def _recipient_payload(r: Recipient) -> dict[str, Any]:
    return {
        "key": r.key,
        "type": r.recipient_type,
        "role": r.role,
        "country": r.country,
        "scheme": r.scheme,
        "group_controller": r.group_controller,
        "contract_ref": r.contract_ref,
        "contract_expires_on": r.contract_expires_on.isoformat() if r.contract_expires_on else None,
        "categories": r.categories,
        "purposes": r.purposes,
    }


def recipient_create(
    *,
    key: str,
    name: str,
    recipient_type: str,
    country: str = "",
    role: str | None = None,
    scheme: str = "",
    group_controller: str = "",
    contact_email: str = "",
    webhook_url: str = "",
    contract_ref: str = "",
    contract_expires_on: dt.date | None = None,
    categories: list[str] | None = None,
    purposes: list[str] | None = None,
    notes: str = "",
    principal: Principal,
) -> Recipient:
    """Add a recipient to the register. Role, country, categories and purposes default to its policy type's."""
    _may_change(principal)
    policy = active_policy()
    rtype = policy.recipients.get(recipient_type)
    data: dict[str, Any] = {
        "name": name,
        "recipient_type": recipient_type,
        "role": role or (rtype.role if rtype else ""),
        "country": country or (rtype.country if rtype else ""),
        "scheme": scheme or "",
        "group_controller": group_controller or "",
        "contact_email": contact_email or "",
        "webhook_url": webhook_url or "",
        "contract_ref": contract_ref or "",
        "contract_expires_on": contract_expires_on,
        "categories": list(categories) if categories else list(rtype.categories if rtype else []),
        "purposes": list(purposes) if purposes else list(rtype.purposes if rtype else []),
        "notes": notes,
    }
    errors = check_key(key) + check_recipient_fields(data, policy=policy, rules=active_transfer_rules())
    if Recipient.objects.filter(key=key).exists():
        errors.append(FieldError(f"a recipient {key!r} exists already", field="key"))
    if errors:
        raise InvalidInput(f"cannot add recipient {key!r}", errors=errors)
    now = clock.now()
    with transaction.atomic():
        recipient = Recipient.objects.create(key=key, created_at=now, updated_at=now, **data)
        audit_log(
            "recipient.create",
            object_type="recipient",
            object_id=key,
            payload=_recipient_payload(recipient),
            actor=principal.actor,
        )
    return recipient


def recipient_update(*, key: str, principal: Principal, **changes: Any) -> Recipient:
    """Change fields of a recipient (only those given); validated like :func:`recipient_create`."""
    _may_change(principal)
    unknown = sorted(set(changes) - set(_RECIPIENT_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}")
    changes = {k: v for k, v in changes.items() if v is not None}
    errors = check_recipient_fields(changes, policy=active_policy(), rules=active_transfer_rules())
    if errors:
        raise InvalidInput(f"cannot change recipient {key!r}", errors=errors)
    with transaction.atomic():
        recipient = Recipient.objects.select_for_update().filter(key=key).first()
        if recipient is None:
            raise NotFound(f"no recipient {key!r}")
        before = _recipient_payload(recipient)
        for field_name, value in changes.items():
            setattr(recipient, field_name, value)
        recipient.updated_at = clock.now()
        recipient.save()
        after = _recipient_payload(recipient)
        audit_log(
            "recipient.update",
            object_type="recipient",
            object_id=key,
            payload={"changed": sorted(k for k in after if after[k] != before[k]), **after},
            actor=principal.actor,
        )
    return recipient


def safeguard_add(
    *,
    recipient_key: str,
    kind: str,
    signed_on: dt.date,
    scc_module: str = "",
    reference: str = "",
    expires_on: dt.date | None = None,
    principal: Principal,
) -> Safeguard:
    """Put an Art. 46/47 safeguard on file for a recipient (SCC with its module, BCR …)."""
    _may_change(principal)
    rules = active_transfer_rules()
    errors: list[FieldError] = []
    if kind not in rules.safeguards:
        errors.append(FieldError(f"kind must be one of {', '.join(rules.safeguards)}", field="kind"))
    if kind == "scc" and scc_module not in rules.scc_modules:
        errors.append(
            FieldError(f"an SCC needs its module: one of {', '.join(rules.scc_modules)}", field="scc_module")
        )
    if kind != "scc" and scc_module:
        errors.append(FieldError("a module applies to SCCs only", field="scc_module"))
    errors += check_text(reference, field="reference")
    if kind == "bcr" and not reference:
        errors.append(FieldError("give the BCR approval reference", field="reference"))
    if expires_on is not None and expires_on < signed_on:
        errors.append(FieldError("expires before it was signed", field="expires_on"))
    if errors:
        raise InvalidInput("invalid safeguard", errors=errors)
    with transaction.atomic():
        recipient = Recipient.objects.filter(key=recipient_key).first()
        if recipient is None:
            raise NotFound(f"no recipient {recipient_key!r}")
        safeguard = Safeguard.objects.create(
            recipient=recipient,
            kind=kind,
            scc_module=scc_module,
            reference=reference,
            signed_on=signed_on,
            expires_on=expires_on,
            created_at=clock.now(),
        )
        audit_log(
            "recipient.safeguard_add",
            object_type="recipient",
            object_id=recipient.key,
            payload={
                "safeguard": safeguard.pk,
                "kind": kind,
                "scc_module": scc_module,
                "reference": reference,
                "signed_on": signed_on.isoformat(),
                "expires_on": expires_on.isoformat() if expires_on else None,
            },
            actor=principal.actor,
        )
    return safeguard


def client_controller_create(
    *,
    key: str,
    name: str,
    instructions_ref: str,
    contact_email: str = "",
    contact_name: str = "",
    principal: Principal,
) -> ClientController:
    _may_change(principal)
    """Register a controller for whom the group processes data (§2), with its documented instructions."""
    errors = check_key(key)
    for field_name, value in (
        ("name", name),
        ("contact_name", contact_name),
        ("instructions_ref", instructions_ref),
    ):
        errors += check_text(value, field=field_name)
    email, errs = check_email(contact_email, field="contact_email")
    errors += errs
    if not name.strip():
        errors.append(FieldError("a name is required", field="name"))
    if not instructions_ref.strip():
        errors.append(
            FieldError("the reference of the documented instructions is required", field="instructions_ref")
        )
    if ClientController.objects.filter(key=key).exists():
        errors.append(FieldError(f"a client controller {key!r} exists already", field="key"))
    if errors:
        raise InvalidInput(f"cannot add client controller {key!r}", errors=errors)
    now = clock.now()
    with transaction.atomic():
        client = ClientController.objects.create(
            key=key,
            name=name,
            contact_email=email,
            contact_name=contact_name,
            instructions_ref=instructions_ref,
            created_at=now,
            updated_at=now,
        )
        audit_log(
            "client_controller.create",
            object_type="client_controller",
            object_id=key,
            payload={"name": name, "instructions_ref": instructions_ref},
            actor=principal.actor,
        )
    return client
