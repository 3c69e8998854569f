"""Checks of recipient and safeguard input against the active policy and transfer rules (pure functions)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from email_validator import EmailNotValidError, validate_email

from tutela.core.errors import FieldError, InvalidInput
from tutela.policy.schema import Policy
from tutela.recipients.models import Role
from tutela.recipients.rules import TransferRules
from tutela.recipients.transfers import normalise_country
from tutela.subjects.rules import category_info

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,78}[a-z0-9]$|^[a-z0-9]$")


def check_text(value: object, *, field: str, max_length: int = 200) -> list[FieldError]:
    """Free text: no control characters (a NUL byte cannot be stored), not too long."""
    if not isinstance(value, str) or not value:
        return []
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        return [FieldError("contains control characters", field=field)]
    if len(value) > max_length:
        return [FieldError(f"longer than {max_length} characters", field=field)]
    return []


def check_key(key: str, *, field: str = "key") -> list[FieldError]:
    if not KEY_RE.match(key or ""):
        return [FieldError("use lower-case letters, digits and dashes (e.g. mailing-house)", field=field)]
    return []


def check_email(value: str, *, field: str) -> tuple[str, list[FieldError]]:
    if not value:
        return "", []
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized, []
    except EmailNotValidError as exc:
        return value, [FieldError(str(exc), field=field)]


def check_webhook(value: str, *, field: str = "webhook_url") -> list[FieldError]:
    if not value:
        return []
    parsed = urlparse(value)
    if parsed.scheme != "https" or not parsed.netloc:
        return [FieldError("the webhook must be an https:// URL", field=field)]
    return []


def check_country(value: str, *, field: str = "country") -> tuple[str, list[FieldError]]:
    try:
        return normalise_country(value, field_name=field), []
    except InvalidInput as exc:
        return value, exc.errors or [FieldError(exc.message, field=field)]


def check_recipient_fields(data: dict[str, Any], *, policy: Policy, rules: TransferRules) -> list[FieldError]:
    """Validate (and normalise in place) the fields of a recipient; returns every problem found."""
    errors: list[FieldError] = []
    for name, limit in (("name", 200), ("contract_ref", 200), ("notes", 5000), ("webhook_url", 200)):
        errors += check_text(data.get(name), field=name, max_length=limit)
    if "recipient_type" in data and data["recipient_type"] not in policy.recipients:
        known = ", ".join(sorted(policy.recipients)) or "none"
        errors.append(
            FieldError(
                f"recipient type {data['recipient_type']!r} is not in the policy (known: {known})",
                field="recipient_type",
            )
        )
    if "role" in data and data["role"] not in Role.values:
        errors.append(FieldError(f"role must be one of {', '.join(Role.values)}", field="role"))
    if "name" in data and not str(data["name"]).strip():
        errors.append(FieldError("a name is required", field="name"))
    if "country" in data:
        data["country"], errs = check_country(data["country"])
        errors += errs
    if data.get("scheme") and data["scheme"] not in rules.schemes:
        errors.append(FieldError(f"scheme must be one of {', '.join(sorted(rules.schemes))}", field="scheme"))
    if data.get("group_controller") and data["group_controller"] not in policy.controllers:
        errors.append(
            FieldError(
                f"{data['group_controller']!r} is not a controller of the policy", field="group_controller"
            )
        )
    if "contact_email" in data:
        data["contact_email"], errs = check_email(data["contact_email"], field="contact_email")
        errors += errs
    if "webhook_url" in data:
        errors += check_webhook(data["webhook_url"])
    for i, key in enumerate(data.get("categories") or []):
        if category_info(policy, key) is None:
            errors.append(FieldError(f"category {key!r} is not in the policy", field=f"categories[{i}]"))
    for i, key in enumerate(data.get("purposes") or []):
        if key not in policy.purposes:
            errors.append(FieldError(f"purpose {key!r} is not in the policy", field=f"purposes[{i}]"))
    return errors
