"""The EDPB weighing of one lost aspect (confidentiality, availability, integrity): none, a risk, a high risk.

Each function explains its conclusion in the reasons of the assessment (``w.say``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from tutela.breaches import taxonomy as tx
from tutela.breaches.taxonomy import DataType

EI_ORDER = ["negligible", "limited", "significant", "maximum"]
SERIOUS_MISUSE = {
    "identity_theft",
    "fraud",
    "financial_loss",
    "discrimination",
    "reputational_damage",
    "physical_harm",
}
#: Restored from a backup within this many hours counts as "came back quickly".
QUICK_RESTORE_HOURS = 24
#: Breaches of basic data, by mistake, to identified recipients, about at most this many people.
FEW_PEOPLE = 10
#: From this many people, scale turns a risk to more than basic data into a likely high risk.
LARGE_SCALE = 10_000


class Risk(IntEnum):
    NONE = 0  # unlikely to result in a risk
    RISK = 1
    HIGH = 2


@dataclass
class Work:
    """The facts being assessed and the reasons said so far."""

    facts: dict[str, Any]
    reasons: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.reasons.append(text)


def fmt(x: float) -> str:
    return f"{x:g}"


def confidentiality_risk(
    w: Work,
    *,
    facts: dict[str, Any],
    recipient: str,
    others: list[str],
    clear_credentials: list[str],
    encrypted_safe: bool,
    dpc: float,
    ei_level: str,
    raw: float,
    fraud: str,
    vulnerable: bool,
    misuse: list[str],
    people: int,
) -> Risk:
    malicious = facts["malicious"]
    serious = sorted(set(misuse) & SERIOUS_MISUSE)
    if encrypted_safe:
        w.say(
            "Confidentiality: the data are unintelligible to anyone not authorised to read them, so their "
            "loss is unlikely to result in a risk (the case Art. 34(3)(a) describes)."
        )
        return Risk.NONE
    if recipient == "trusted" and not misuse:
        w.say(
            "Confidentiality: the data went to a trusted recipient, bound to confidentiality, who confirmed "
            "deleting or returning them; nothing suggests misuse, so a risk is unlikely."
        )
        return Risk.NONE
    if not others and not clear_credentials:
        w.say("Confidentiality: only unusable credentials left, so a risk is unlikely.")
        return Risk.NONE
    high: list[str] = []
    sensitive = any(tx.data_type(k) == DataType.SENSITIVE for k in others) or dpc >= 4
    if sensitive:
        high.append("the data are sensitive (special categories or similar) or their context makes them so")
    if fraud and (recipient in ("unknown", "public") or malicious):
        high.append(f"{fraud} and they reached someone who may misuse them")
    if clear_credentials and (recipient in ("unknown", "public") or malicious):
        high.append(
            "usable credentials were taken, which open accounts (and other accounts where they are reused)"
        )
    if serious:
        high.append(f"misuse has happened or is threatened ({', '.join(serious)})")
    if vulnerable and recipient in ("unknown", "public"):
        high.append("vulnerable people are concerned and the data reached unknown persons")
    if raw >= 3:
        high.append(f"the ENISA score {fmt(raw)} is in the high band")
    if people >= LARGE_SCALE and dpc >= 2 and recipient in ("unknown", "public"):
        high.append(f"{people} people are concerned and the data say more than basic contact details")
    if high:
        w.say("Confidentiality: likely high risk because " + "; ".join(high) + ".")
        return Risk.HIGH
    if (
        not clear_credentials
        and dpc <= 1
        and EI_ORDER.index(ei_level) <= EI_ORDER.index("limited")
        and not (misuse or vulnerable)
    ):
        w.say(
            "Confidentiality: the readable data are basic and hardly point to anyone (pseudonymous), so "
            "identification and misuse are unlikely and so is a risk."
        )
        return Risk.NONE
    if (
        not malicious
        and recipient == "known"
        and dpc <= 1
        and people <= FEW_PEOPLE
        and not (misuse or vulnerable or clear_credentials or fraud)
    ):
        w.say(
            f"Confidentiality: basic data of {people} {'person' if people == 1 else 'people'} went by mistake "
            "to identified recipients, with nothing suggesting misuse: a risk is unlikely."
        )
        return Risk.NONE
    why = []
    if malicious:
        why.append("the data were taken on purpose")
    if recipient in ("unknown", "public"):
        why.append(
            "they may be in the hands of unknown persons" if recipient == "unknown" else "they were public"
        )
    if recipient == "known":
        why.append("identified recipients who are not bound to confidentiality got them")
    if recipient == "none":
        why.append("they were exposed, even with no evidence of access")
    if misuse:
        why.append(f"misuse is reported ({', '.join(misuse)})")
    w.say(
        "Confidentiality: "
        + ("; ".join(why) or "the data left the controller's control")
        + ", so a risk (phishing, unwanted contact, loss of control) cannot be ruled out; not a likely high "
        "risk given the nature of the data."
    )
    return Risk.RISK


_EFFECT = {
    "none": "with no effect on the people",
    "minor": "with minor effects on the people (short delays)",
    "significant": "disrupting care, payments or services to the people",
}


def availability_risk(w: Work, avail: dict[str, Any], quick: bool, dpc_base: int, vulnerable: bool) -> Risk:
    restored = avail.get("restored_within_hours")
    impact = avail.get("impact")
    if impact is None:
        impact = "none" if quick else "minor"
        w.say(f"Availability: the effect on the people is not given; {impact} is assumed.")
    came_back = (
        f"the data came back after {fmt(restored)} hours" if restored is not None else "the data are not back"
    )
    if impact == "significant":
        w.say(
            f"Availability: {came_back} and the loss disrupted care, payments or services to the people: a "
            "likely high risk."
        )
        return Risk.HIGH
    if (
        restored is None
        and avail.get("backup") is not True
        and (dpc_base >= DataType.SENSITIVE or vulnerable)
    ):
        w.say(
            "Availability: sensitive data, or data of vulnerable people, are lost for good with no backup: a "
            "likely high risk."
        )
        return Risk.HIGH
    if quick and impact in ("none", "minor"):
        w.say(f"Availability: {came_back} from a backup, {_EFFECT[impact]}: unlikely to result in a risk.")
        return Risk.NONE
    w.say(
        f"Availability: {came_back}{'' if avail.get('backup') else ' without a usable backup'}, "
        f"{_EFFECT[impact]}: a risk, not a likely high risk."
    )
    return Risk.RISK


def integrity_risk(w: Work, integ: dict[str, Any], malicious: bool, misuse: list[str], dpc_base: int) -> Risk:
    if integ.get("recoverable") is True and not malicious and not misuse:
        w.say(
            "Integrity: the data were altered by mistake and the correct data are restored: unlikely to result in a risk."
        )
        return Risk.NONE
    if integ.get("recoverable") is not True and dpc_base >= DataType.SENSITIVE:
        w.say("Integrity: sensitive data were altered and cannot be put right: a likely high risk.")
        return Risk.HIGH
    w.say("Integrity: data were altered and may be misused or are not restored: a risk.")
    return Risk.RISK
