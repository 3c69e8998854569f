"""Risk assessment of a personal-data breach: the ENISA severity and the GDPR duties, with every reason.

Pure: no database, no clock. ``assess(facts)`` takes facts shaped by ``schemas/breach-facts.schema.json``
(already validated with :func:`validate_facts`) and answers per ``schemas/breach-assessment.schema.json``.

Two steps, both explained in ``reasons``:
1. The ENISA score SE = DPC x EI + CB (``reference: ENISA 2013``), computed from the facts.
2. The weighing the EDPB does in Guidelines 01/2021, which the score alone does not settle: who got the
   data (a trusted recipient who confirmed deletion), whether they were unintelligible (state-of-the-art
   encryption or salted hashing, key safe), what the data allow together (identity fraud), vulnerable
   people, scale, how fast availability came back and with what effect, misuse already seen. It decides
   the risk level — none likely, a risk, a likely high risk — and so the duties. Where the weighing puts
   the breach in another band than the raw score, the score is moved to that band and the reasons say so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tutela.breaches import taxonomy as tx
from tutela.breaches.facts import assessment_schema, facts_schema, validate_facts
from tutela.breaches.taxonomy import DataType
from tutela.breaches.weighing import (
    EI_ORDER,
    LARGE_SCALE,
    QUICK_RESTORE_HOURS,
    SERIOUS_MISUSE,
    Risk,
    Work,
    availability_risk,
    confidentiality_risk,
    fmt,
    integrity_risk,
)

__all__ = [
    "RULES_VERSION",
    "Assessment",
    "assess",
    "assessment_schema",
    "band",
    "facts_schema",
    "validate_facts",
]

#: Version of these rules, stored with every assessment so a later reading knows which rules decided.
RULES_VERSION = "2026.11-1"

EI_VALUES = {"negligible": 0.25, "limited": 0.5, "significant": 0.75, "maximum": 1.0}
RAISING = {
    "detailed_profile": "the data allow a detailed profile or assumptions about finances, health, beliefs or "
    "social situation",
    "large_volume_per_person": "there is much data about each person",
    "sensitive_context": "the controller's nature reveals more than the data themselves",
}
LOWERING = {
    "publicly_available": "the data were public before the breach",
    "inaccurate": "the data are known to be inaccurate",
    "limited_insight": "the data reveal less than their category suggests",
}


def band(score: float) -> str:
    """ENISA severity band; boundaries belong to the upper band (2 is medium, 3 high, 4 very high)."""
    if score < 2:
        return "low"
    if score < 3:
        return "medium"
    if score < 4:
        return "high"
    return "very_high"


@dataclass
class Assessment:
    severity: str
    score: float
    dpc: float
    ei: float
    cb: float
    notify_authority: bool
    notify_subjects: bool
    reasons: list[str]
    document_internally: bool = True
    risk: str = "none"  # none | risk | high (not part of the JSON contract)
    public_communication: bool = False

    def as_json(self) -> dict[str, Any]:
        """The contract of ``breach-assessment.schema.json`` (no other keys)."""
        data = asdict(self)
        data.pop("risk")
        data.pop("public_communication")
        return data


def assess(facts: dict[str, Any], *, special: frozenset[str] = frozenset()) -> Assessment:
    """Assess validated facts. See the module docstring for the method.

    ``special`` names further category keys to score as sensitive: the policy's special categories that
    fideslang has no key for (philosophical belief, trade-union membership …).
    """
    w = Work(facts)
    cats: list[str] = list(dict.fromkeys(facts["data_categories"]))
    people: int = facts["subjects_affected"]
    malicious: bool = facts["malicious"]
    vulnerable: bool = bool(facts.get("vulnerable_subjects", False))
    context: list[str] = list(dict.fromkeys(facts.get("context", [])))
    misuse: list[str] = list(dict.fromkeys(facts.get("known_misuse", [])))
    conf = facts.get("confidentiality") or {}
    integ = facts.get("integrity") or {}
    avail = facts.get("availability") or {}
    prot = facts.get("protection") or {}

    w.say(
        f"Every breach is documented internally, whatever its risk (Art. 33(5) GDPR); this one concerns "
        f"{people} {'person' if people == 1 else 'people'} and the data categories {', '.join(cats)}."
    )

    # -- protection
    key_safe = prot.get("key_compromised") is False
    sota = prot.get("state_of_the_art") is True
    encrypted_safe = bool(prot.get("encrypted")) and sota and key_safe
    hashed_safe = bool(prot.get("hashed_salted")) and sota and key_safe
    if prot.get("encrypted") or prot.get("hashed_salted"):
        if encrypted_safe:
            w.say("The data were encrypted with a state-of-the-art method and the key was not compromised.")
        elif hashed_safe:
            w.say(
                "The credentials were stored only as state-of-the-art salted hashes and the salt or key was "
                "not compromised, so they cannot be used."
            )
        else:
            missing = []
            if not sota:
                missing.append("not known to be state of the art")
            if not key_safe:
                missing.append(
                    "the key was compromised"
                    if prot.get("key_compromised")
                    else "not known that the key is safe"
                )
            w.say(f"The protection of the data is not counted ({'; '.join(missing)}).")
    credentials = [k for k in cats if tx.is_credential(k)]
    others = [k for k in cats if not tx.is_credential(k)]
    clear_credentials = [] if (encrypted_safe or hashed_safe) else credentials

    # -- confidentiality facts
    conf_lost = bool(conf.get("lost")) or bool(conf.get("exfiltrated"))
    recipient: str = conf.get("recipient") or ""
    if conf_lost and not recipient:
        w.say("Who got the data is not known: an unknown number of recipients is assumed.")
        recipient = "unknown"
    # -- DPC
    dpc_base, dpc_notes = _dpc_base(others, credentials, hashed_safe or encrypted_safe, special)
    for note in dpc_notes:
        w.say(note)
    fraud = _identity_fraud(cats)
    dpc = float(dpc_base)
    moves: list[str] = []
    for key in context:
        if key in RAISING:
            dpc += 1
            moves.append(f"up by 1 because {RAISING[key]}")
        elif key in LOWERING:
            dpc -= 1
            moves.append(f"down by 1 because {LOWERING[key]}")
    if vulnerable:
        dpc += 1
        moves.append("up by 1 because the people concerned include vulnerable people")
    if fraud:
        dpc += 1
        moves.append(f"up by 1 because {fraud}, which allows identity fraud")
    clamped = min(4.0, max(1.0, dpc))
    if moves:
        w.say(
            f"Context moves the data-processing context (DPC) {'; '.join(moves)}: "
            f"DPC {fmt(clamped)}{' (kept within 1 to 4)' if clamped != dpc else ''}."
        )
    dpc = clamped

    # -- EI
    ei_level = _ease_of_identification(w, facts, others, conf_lost, encrypted_safe)
    ei = EI_VALUES[ei_level]

    # -- CB
    cb = 0.0
    cb_parts: list[str] = []
    if conf_lost:
        c = {"none": 0.0, "trusted": 0.25, "known": 0.25, "unknown": 0.5, "public": 0.5}[recipient]
        cb += c
        cb_parts.append(
            f"loss of confidentiality to {'no identified recipient' if recipient == 'none' else recipient + ' recipients'} +{fmt(c)}"
        )
    integ_lost = bool(integ.get("lost"))
    if integ_lost:
        recoverable = integ.get("recoverable")
        if recoverable is True:
            c = 0.25 if (malicious or misuse) else 0.0
            cb_parts.append(f"loss of integrity, recoverable{' and possibly misused' if c else ''} +{fmt(c)}")
        else:
            c = 0.5
            cb_parts.append(
                f"loss of integrity {'not recoverable' if recoverable is False else 'not known to be recoverable'} +0.5"
            )
        cb += c
    avail_lost = bool(avail.get("lost"))
    restored = avail.get("restored_within_hours")
    backup = avail.get("backup")
    quick = avail_lost and backup is True and restored is not None and restored <= QUICK_RESTORE_HOURS
    if avail_lost:
        if quick:
            c = 0.0
            what = "recovered without difficulty from a backup"
        elif restored is None and backup is not True:
            c = 0.5
            what = "fully unavailable, no backup"
        else:
            c = 0.25
            what = "temporarily unavailable"
        cb += c
        cb_parts.append(f"loss of availability, {what} +{fmt(c)}")
    if malicious:
        cb += 0.5
        cb_parts.append("caused on purpose +0.5")
    if cb_parts:
        w.say(f"Circumstances of the breach (CB): {'; '.join(cb_parts)}: CB {fmt(cb)}.")
    else:
        w.say("Circumstances of the breach (CB): nothing was lost or altered on purpose: CB 0.")

    raw = round(dpc * ei + cb, 2)
    w.say(
        f"ENISA score SE = DPC x EI + CB = {fmt(dpc)} x {fmt(ei)} + {fmt(cb)} = {fmt(raw)} "
        f"({band(raw).replace('_', ' ')} severity)."
    )

    # -- weighing (EDPB)
    levels: list[Risk] = []
    if conf_lost:
        levels.append(
            confidentiality_risk(
                w,
                facts=facts,
                recipient=recipient,
                others=others,
                clear_credentials=clear_credentials,
                encrypted_safe=encrypted_safe,
                dpc=dpc,
                ei_level=ei_level,
                raw=raw,
                fraud=fraud,
                vulnerable=vulnerable,
                misuse=misuse,
                people=people,
            )
        )
    else:
        w.say("No one unauthorised saw or took the data: confidentiality was not lost.")
    if avail_lost:
        levels.append(availability_risk(w, avail, quick, dpc_base, vulnerable))
    if integ_lost:
        levels.append(integrity_risk(w, integ, malicious, misuse, dpc_base))
    if misuse and not conf_lost:
        serious = sorted(set(misuse) & SERIOUS_MISUSE)
        levels.append(Risk.HIGH if serious else Risk.RISK)
        w.say(f"Misuse has happened or is threatened ({', '.join(misuse)}).")
    if not (conf_lost or avail_lost or integ_lost or misuse):
        w.say("The facts describe no loss of confidentiality, integrity or availability.")
    risk = max(levels, default=Risk.NONE)

    # -- scale as a factor the EDPB weighs, stated even when it changes nothing
    if people >= LARGE_SCALE:
        w.say(f"Scale: {people} people are concerned, which widens the harm of any risk found.")

    # -- align the score with the weighed risk
    score = raw
    if risk == Risk.HIGH and raw < 3:
        score = 3.0
        w.say("Weighed as a likely high risk, so the severity is raised to the high band (score 3).")
    elif risk == Risk.RISK and raw >= 3:
        score = 2.5
        w.say(
            "Weighed as a risk but not a likely high risk for the people, so the severity is brought down "
            "to the medium band (score 2.5)."
        )
    elif risk == Risk.NONE and raw >= 2:
        score = 1.5
        w.say(
            "Weighed as unlikely to result in a risk, so the severity is brought down to the low band "
            "(score 1.5)."
        )

    notify_authority = risk >= Risk.RISK
    notify_subjects = risk == Risk.HIGH
    if notify_authority:
        w.say(
            "A risk to the people's rights and freedoms cannot be ruled out: notify the supervisory authority "
            "without undue delay and within 72 hours of becoming aware of the breach (Art. 33(1))."
        )
    else:
        w.say(
            "The breach is unlikely to result in a risk to the people's rights and freedoms: the authority "
            "need not be notified (Art. 33(1)); record it, with this reasoning, in the breach register."
        )
    public = False
    if notify_subjects:
        w.say(
            "The breach is likely to result in a high risk and no Art. 34(3) exception applies (the data "
            "were intelligible and nothing done since removes the high risk): tell the people concerned "
            "without undue delay, in clear and plain language (Art. 34(1) and (2))."
        )
        if facts.get("mitigations"):
            w.say(
                f"Measures taken ({'; '.join(facts['mitigations'])}) limit the harm but do not remove the "
                "high risk; the people should still be told so that they can protect themselves."
            )
        if people >= LARGE_SCALE * 10:
            public = True
            w.say(
                "With so many people, contacting each one may be a disproportionate effort: a public "
                "communication that informs them as effectively is then allowed instead (Art. 34(3)(c))."
            )
    elif notify_authority:
        w.say("No likely high risk for the people: they need not be told individually (Art. 34(1)).")
    return Assessment(
        severity=band(score),
        score=score,
        dpc=dpc,
        ei=ei,
        cb=cb,
        notify_authority=notify_authority,
        notify_subjects=notify_subjects,
        reasons=w.reasons,
        risk=("none", "risk", "high")[risk],
        public_communication=public,
    )


def _dpc_base(
    others: list[str], credentials: list[str], unusable: bool, special: frozenset[str]
) -> tuple[int, list[str]]:
    notes: list[str] = []
    types = {
        k: DataType.SENSITIVE if any(k == s or k.startswith(s + ".") for s in special) else tx.data_type(k)
        for k in others
    }
    base = max(types.values(), default=DataType.SIMPLE)
    described = ", ".join(f"{k} {t.name.lower()}" for k, t in types.items())
    if types:
        notes.append(
            f"Data types (ENISA): {described}; the highest, {base.name.lower()}, gives DPC {int(base)}."
        )
    if credentials:
        if unusable:
            notes.append(
                f"The credentials ({', '.join(credentials)}) are unusable as stored, so they open nothing and "
                "add nothing to the score."
            )
        else:
            reach = base if types else DataType.SIMPLE
            notes.append(
                f"Credentials ({', '.join(credentials)}) are scored by what they give access to: "
                f"{'the other data of the breach' if types else 'assumed to be an account with simple data'}, "
                f"{reach.name.lower()} (DPC {int(reach)})."
            )
            base = max(base, reach)
    if not types and not credentials:
        notes.append("No data type known: simple data assumed (DPC 1).")
    return int(base), notes


def _identity_fraud(cats: list[str]) -> str:
    """Which combination of the data allows someone to pose as the person; empty when none."""
    if tx.covers(cats, tx.GOVERNMENT_ID):
        return "a government identifier is involved"
    if tx.covers(cats, tx.NAME) and tx.covers(cats, tx.ADDRESS) and tx.covers(cats, tx.BIRTH_DATE):
        return "name, address and date of birth are combined"
    if any(tx.covers(cats, key) for key in tx.BANK_OR_CARD) and (
        tx.covers(cats, tx.NAME) or any(tx.is_credential(k) for k in cats)
    ):
        return "bank or card data are combined with a name or credentials"
    return ""


def _ease_of_identification(
    w: Work, facts: dict[str, Any], others: list[str], conf_lost: bool, encrypted_safe: bool
) -> str:
    given = facts.get("identifiability")
    if given:
        w.say(f"Ease of identification (EI) given as {given} ({fmt(EI_VALUES[given])}).")
        return str(given)
    best = None
    which: list[str] = []
    for key in others:
        level = tx.identification(key)
        if level is None:
            continue
        if best is None or EI_ORDER.index(level) > EI_ORDER.index(best):
            best, which = level, [key]
        elif level == best:
            which.append(key)
    plain = best or "limited"
    verb = "identifies" if len(which) == 1 else "identify"
    if best is None:
        w.say("No identifier among the data: ease of identification assumed limited (0.5).")
    elif best == "maximum":
        w.say(f"{', '.join(which)} {verb} the people directly: ease of identification (EI) maximum (1).")
    elif best == "significant":
        w.say(f"{', '.join(which)} {verb} the people with some extra research: EI significant (0.75).")
    else:
        w.say(
            f"Only {', '.join(which)} {'points' if len(which) == 1 else 'point'} to the people (pseudonymous or "
            "partial): EI limited (0.5)."
        )
    if conf_lost and encrypted_safe:
        w.say(
            "Whoever got the data cannot read them (encrypted, key safe): EI negligible (0.25) for the loss "
            "of confidentiality."
        )
        return "negligible"
    if encrypted_safe and not conf_lost:
        w.say("Encryption does not lessen a loss of availability or integrity: EI stays as the data give it.")
    return plain
