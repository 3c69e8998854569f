"""The transfer check: may personal data go to a country on a given date without extra safeguards?

Pure rules (no database): the answer depends only on the country, the date, the recipient's scheme and the
transfer rules passed in. ``tutela transfer check``, the API and the transfer guard all call it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import pycountry

from tutela.core.errors import FieldError, InvalidInput
from tutela.recipients.rules import TransferRules

#: codes people type that are not ISO 3166-1 alpha-2, with the code they mean
COMMON_MISTAKES = {"UK": "GB", "EL": "GR"}


@dataclass(frozen=True)
class TransferAnswer:
    country: str
    country_name: str
    on: dt.date
    scheme: str | None
    eea: bool
    adequate: bool
    decision: str | None
    scope: str | None
    valid_until: dt.date | None
    allowed_without_safeguards: bool
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["on"] = self.on.isoformat()
        data["valid_until"] = self.valid_until.isoformat() if self.valid_until else None
        return data


def normalise_country(raw: str, *, field_name: str = "country") -> str:
    """An ISO 3166-1 alpha-2 code in upper case, or ``InvalidInput`` saying what is wrong."""
    code = (raw or "").strip().upper()
    if code in COMMON_MISTAKES:
        raise InvalidInput(
            f"unknown country code {raw!r}: use {COMMON_MISTAKES[code]}",
            errors=[FieldError(f"use the ISO 3166-1 code {COMMON_MISTAKES[code]}", field=field_name)],
        )
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise InvalidInput(
            f"unknown country code {raw!r}",
            errors=[FieldError("expected an ISO 3166-1 alpha-2 code such as BE, CH, US", field=field_name)],
        )
    return code


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return str(getattr(country, "common_name", None) or country.name) if country else code


def transfer_check(
    country: str, on: dt.date, scheme: str | None = None, *, rules: TransferRules
) -> TransferAnswer:
    """Answer for ``country`` on date ``on``; ``scheme`` is the recipient's certification (dpf, pipeda)."""
    code = normalise_country(country)
    scheme = (scheme or "").strip().lower() or None
    if scheme is not None and rules.schemes and scheme not in rules.schemes:
        known = ", ".join(sorted(rules.schemes))
        raise InvalidInput(
            f"unknown scheme {scheme!r}", errors=[FieldError(f"expected one of: {known}", field="scheme")]
        )
    name = country_name(code)
    base: dict[str, Any] = {"country": code, "country_name": name, "on": on, "scheme": scheme}
    if code in rules.eea.states:
        group = "EU member state" if code in rules.eea.eu else "EFTA state of the EEA"
        return TransferAnswer(
            **base,
            eea=True,
            adequate=False,
            decision=None,
            scope=None,
            valid_until=None,
            allowed_without_safeguards=True,
            reasons=[f"{name} is an {group}: inside the EEA, not a transfer to a third country"],
        )
    decision = rules.decision_for(code)
    if decision is None:
        return TransferAnswer(
            **base,
            eea=False,
            adequate=False,
            decision=None,
            scope=None,
            valid_until=None,
            allowed_without_safeguards=False,
            reasons=[
                f"{name} is outside the EEA and has no adequacy decision: "
                "appropriate safeguards (SCC, BCR) or an Art. 49 derogation are needed"
            ],
        )
    not_adequate = {
        **base,
        "eea": False,
        "adequate": False,
        "decision": None,
        "scope": decision.scope,
        "valid_until": None,
        "allowed_without_safeguards": False,
    }
    window = decision.window_on(on)
    if on < decision.adopted or (window is None and on < decision.windows[0].start):
        return TransferAnswer(
            **not_adequate,
            reasons=[
                f"the adequacy decision {decision.decision} for {name} applies from "
                f"{decision.windows[0].start.isoformat()}; on {on.isoformat()} it did not apply yet"
            ],
        )
    if window is None:
        ended = max((w.until for w in decision.windows if w.until and w.until < on), default=None)
        when = f" ended on {ended.isoformat()}" if ended else " does not apply on that date"
        return TransferAnswer(
            **not_adequate,
            reasons=[f"the adequacy decision {decision.decision} for {name}{when}"],
        )
    if decision.scheme is not None and scheme != decision.scheme:
        label = rules.schemes.get(decision.scheme, decision.scheme)
        got = f"the recipient's scheme is {scheme!r}" if scheme else "no scheme was given"
        return TransferAnswer(
            **not_adequate,
            reasons=[
                f"the adequacy decision {decision.decision} for {name} covers only recipients under "
                f"{decision.scheme} ({label}); {got}"
            ],
        )
    reasons = [f"adequacy decision {decision.decision} for {name} applies on {on.isoformat()}"]
    if window.until:
        reasons.append(
            f"valid until {window.until.isoformat()}" + (f" ({window.note})" if window.note else "")
        )
    if not decision.full_scope:
        reasons.append(f"scope limited: {decision.scope}")
    return TransferAnswer(
        **base,
        eea=False,
        adequate=True,
        decision=decision.decision,
        scope=decision.scope,
        valid_until=window.until,
        allowed_without_safeguards=True,
        reasons=reasons,
    )
