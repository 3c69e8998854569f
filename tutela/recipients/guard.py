"""The transfer guard: every disclosure to a recipient outside the EEA needs a valid mechanism that day.

In order: inside the EEA (no transfer); an adequacy decision in force that day for the recipient's country
and scheme; a safeguard on file (SCC, BCR …) signed on or before that day and not expired or revoked; an
Art. 49 derogation recorded for this one transfer, with its reason. Otherwise the transfer is refused and the
answer says why. :func:`guard_decision` is the pure rule; :func:`transfer_guard` reads the recipient's
safeguards and raises ``Refused``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tutela.core.errors import FieldError, InvalidInput, Refused
from tutela.recipients.rules import TransferRules
from tutela.recipients.transfers import TransferAnswer, transfer_check


@dataclass(frozen=True)
class SafeguardFacts:
    id: int | None
    kind: str
    signed_on: dt.date
    scc_module: str = ""
    reference: str = ""
    expires_on: dt.date | None = None
    revoked_on: dt.date | None = None

    def valid_on(self, on: dt.date) -> bool:
        return (
            self.signed_on <= on
            and (self.expires_on is None or on <= self.expires_on)
            and (self.revoked_on is None or on < self.revoked_on)
        )

    @property
    def label(self) -> str:
        if self.kind == "scc":
            return f"scc:{self.scc_module}" + (f" ({self.reference})" if self.reference else "")
        return self.kind + (f" ({self.reference})" if self.reference else "")


@dataclass(frozen=True)
class GuardDecision:
    allowed: bool
    mechanism: str  # none (EEA), adequacy, safeguard, derogation, or "" when refused
    basis: str  # eea, adequacy:<decision>, scc:<module> (<ref>), bcr (<ref>), derogation:<kind>
    answer: TransferAnswer
    safeguard_id: int | None = None
    derogation: str = ""
    reasons: list[str] = field(default_factory=list)


def check_derogation(derogation: str | None, reason: str, *, rules: TransferRules) -> None:
    if not derogation:
        if reason:
            raise InvalidInput(
                "a reason was given without a derogation",
                errors=[FieldError("give --derogation", field="derogation")],
            )
        return
    errors = []
    if derogation not in rules.derogations:
        errors.append(FieldError(f"must be one of {', '.join(rules.derogations)}", field="derogation"))
    if not reason.strip():
        errors.append(FieldError("an Art. 49 derogation needs the reason for this transfer", field="reason"))
    elif "\x00" in reason or len(reason) > 2000:
        errors.append(FieldError("no NUL characters, at most 2000 characters", field="reason"))
    if errors:
        raise InvalidInput(f"invalid derogation {derogation!r}", errors=errors)


def guard_decision(
    *,
    country: str,
    on: dt.date,
    scheme: str | None,
    safeguards: list[SafeguardFacts],
    derogation: str | None = None,
    reason: str = "",
    rules: TransferRules,
) -> GuardDecision:
    """Decide whether a transfer to ``country`` on ``on`` may happen, and on which basis (pure)."""
    check_derogation(derogation, reason, rules=rules)
    answer = transfer_check(country, on, scheme or None, rules=rules)
    if answer.eea:
        return GuardDecision(True, "none", "eea", answer, reasons=answer.reasons)
    if answer.adequate:
        return GuardDecision(True, "adequacy", f"adequacy:{answer.decision}", answer, reasons=answer.reasons)
    valid = sorted((s for s in safeguards if s.valid_on(on)), key=lambda s: s.signed_on)
    if valid:
        chosen = valid[-1]
        return GuardDecision(
            True,
            "safeguard",
            chosen.label,
            answer,
            safeguard_id=chosen.id,
            reasons=[*answer.reasons, f"{chosen.label} signed on {chosen.signed_on.isoformat()} is on file"],
        )
    reasons = list(answer.reasons)
    later = [s for s in safeguards if s.signed_on > on]
    lapsed = [s for s in safeguards if s.signed_on <= on and not s.valid_on(on)]
    if later:
        reasons.append(
            f"{later[0].label} is signed only on {later[0].signed_on.isoformat()}, after the transfer date"
        )
    if lapsed:
        reasons.append(f"{lapsed[0].label} is expired or revoked on {on.isoformat()}")
    if not safeguards:
        reasons.append(
            "no Standard Contractual Clauses, BCR or other safeguard is on file for this recipient"
        )
    if derogation:
        return GuardDecision(
            True,
            "derogation",
            f"derogation:{derogation}",
            answer,
            derogation=derogation,
            reasons=[*reasons, f"Art. 49 derogation {derogation} recorded for this transfer: {reason}"],
        )
    reasons.append("no Art. 49 derogation was recorded for this transfer")
    return GuardDecision(False, "", "", answer, reasons=reasons)


def transfer_guard(
    recipient: object,
    on: dt.date,
    *,
    derogation: str | None = None,
    reason: str = "",
    rules: TransferRules | None = None,
) -> GuardDecision:
    """The guard for one recipient on one date; raises ``Refused`` (exit 1 / HTTP 409) with every reason."""
    from tutela.recipients.models import Recipient, Safeguard
    from tutela.recipients.selectors import active_transfer_rules

    assert isinstance(recipient, Recipient)
    facts = [
        SafeguardFacts(s.pk, s.kind, s.signed_on, s.scc_module, s.reference, s.expires_on, s.revoked_on)
        for s in Safeguard.objects.filter(recipient=recipient)
    ]
    decision = guard_decision(
        country=recipient.country,
        on=on,
        scheme=recipient.scheme or None,
        safeguards=facts,
        derogation=derogation,
        reason=reason,
        rules=rules or active_transfer_rules(),
    )
    if not decision.allowed:
        raise Refused(
            f"transfer to {recipient.key} ({recipient.country}) on {on.isoformat()} refused: "
            "no adequacy decision, safeguard or derogation applies",
            errors=[FieldError(r, field="transfer") for r in decision.reasons],
        )
    return decision
