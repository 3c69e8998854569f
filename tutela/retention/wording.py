"""Retention periods in words, for the access package and the notice (en, fr, nl).

When the policy app offers its own wording (``tutela.policy.wording.retention_in_words(rule, lang)``), that wins, so the
notice and the access package say the same thing.
"""

from __future__ import annotations

import logging

from tutela.policy.schema import Policy
from tutela.retention.rules import parse_period

log = logging.getLogger(__name__)

_UNITS = {
    "en": {"Y": ("year", "years"), "M": ("month", "months"), "D": ("day", "days")},
    "fr": {"Y": ("an", "ans"), "M": ("mois", "mois"), "D": ("jour", "jours")},
    "nl": {"Y": ("jaar", "jaar"), "M": ("maand", "maanden"), "D": ("dag", "dagen")},
}
_AND = {"en": "and", "fr": "et", "nl": "en"}
_TRIGGER = {
    "en": {
        "contract_end": "{p} after the end of the contract",
        "last_interest": "{p} after you last showed interest",
        "collected": "{p} after collection",
        "unsubscribed": "until you unsubscribe or withdraw your consent",
        "books_closed": "{p} after the closing of the accounts",
        "books_closed_jan": "{p} from the 1 January after the closing of the accounts",
        "recorded": "{p} after recording",
        "last_activity": "{p} after your last contact with us",
    },
    "fr": {
        "contract_end": "{p} après la fin du contrat",
        "last_interest": "{p} après votre dernière marque d'intérêt",
        "collected": "{p} après la collecte",
        "unsubscribed": "jusqu'à votre désinscription ou au retrait de votre consentement",
        "books_closed": "{p} après la clôture des comptes",
        "books_closed_jan": "{p} à partir du 1er janvier qui suit la clôture des comptes",
        "recorded": "{p} après l'enregistrement",
        "last_activity": "{p} après votre dernier contact avec nous",
    },
    "nl": {
        "contract_end": "{p} na het einde van het contract",
        "last_interest": "{p} nadat u voor het laatst interesse toonde",
        "collected": "{p} na de verzameling",
        "unsubscribed": "tot u zich uitschrijft of uw toestemming intrekt",
        "books_closed": "{p} na de afsluiting van de rekeningen",
        "books_closed_jan": "{p} vanaf 1 januari na de afsluiting van de rekeningen",
        "recorded": "{p} na de opname",
        "last_activity": "{p} na uw laatste contact met ons",
    },
}


def duration_in_words(period: str, lang: str = "en") -> str:
    """``P10Y`` → "10 years" (fr "10 ans", nl "10 jaar"); ``P1Y6M`` → "1 year and 6 months"."""
    lang = lang if lang in _UNITS else "en"
    p = parse_period(period)
    parts = []
    for unit, n in (("Y", p.years), ("M", p.months), ("D", p.days)):
        if n:
            one, many = _UNITS[lang][unit]
            parts.append(f"{n} {one if n == 1 else many}")
    if not parts:
        return {"en": "no time", "fr": "aucun délai", "nl": "geen termijn"}[lang]
    return f" {_AND[lang]} ".join(parts)


def period_in_words(policy: Policy, rule_key: str, lang: str = "en") -> str:
    """A rule of the policy in words: "10 years after the end of the contract"."""
    try:  # the policy app's wording, when it has one, so the notice and the package agree
        from tutela.policy import wording  # type: ignore[attr-defined,unused-ignore]

        theirs = getattr(wording, "retention_in_words", None)
        if callable(theirs):
            text = theirs(policy.retention[rule_key], lang)
            if isinstance(text, str) and text:
                return text
    except Exception:  # their module may be absent or have another signature: use ours
        log.debug("policy wording unavailable for %s", rule_key, exc_info=True)
    rule = policy.retention[rule_key]
    lang = lang if lang in _TRIGGER else "en"
    key = "books_closed_jan" if rule.trigger == "books_closed" and rule.from_next_january else rule.trigger
    return _TRIGGER[lang][key].format(p=duration_in_words(rule.period, lang))
