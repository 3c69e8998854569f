"""API routes for international transfers: the check for a country on a date, and the rules in force."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from tutela.api.auth import principal
from tutela.core import clock
from tutela.core.errors import PermissionDenied
from tutela.recipients.inputs import parse_day
from tutela.recipients.selectors import active_rule_set, active_transfer_rules
from tutela.recipients.services import transfer_rules_update
from tutela.recipients.transfers import transfer_check

router = Router(tags=["transfers"])


class TransferAnswerOut(Schema):
    country: str
    country_name: str
    on: str
    scheme: str | None
    eea: bool
    adequate: bool
    decision: str | None
    scope: str | None
    valid_until: str | None
    allowed_without_safeguards: bool
    reasons: list[str]


class RulesIn(Schema):
    content: str
    source_name: str = "api"


@router.get("/check", response=TransferAnswerOut)
def check(request: HttpRequest, country: str, on: str | None = None, scheme: str | None = None) -> Any:
    """May data go to ``country`` on date ``on`` (default today), for a recipient under ``scheme``?"""
    day = parse_day(on, field="on") or clock.today()
    return transfer_check(country, day, scheme, rules=active_transfer_rules()).as_dict()


@router.get("/rules")
def rules_show(request: HttpRequest) -> Any:
    """The transfer rules in force (version 0 = the shipped file)."""
    row = active_rule_set()
    rules = active_transfer_rules()
    return {
        "version": row.number if row else 0,
        "source": row.source_name if row else "shipped",
        "rules": rules.model_dump(mode="json", by_alias=True),
    }


@router.put("/rules")
def rules_update(request: HttpRequest, payload: RulesIn) -> Any:
    """Replace the transfer rules (DPO or privacy officer); the YAML is validated with line numbers."""
    who = principal(request)
    if not who.can_decide:
        raise PermissionDenied("only the DPO or a privacy officer may change the transfer rules")
    version, changed = transfer_rules_update(
        text=payload.content, source_name=payload.source_name, principal=who
    )
    return {"version": version.number, "label": version.label, "changed": changed}
