"""Policy facts in words, in English, French and Dutch: retention periods, legal bases, roles.

``retention_in_words(rule, "en")`` → "ten years after the end of the contract". Other apps (access packages,
letters, the portal) reuse these so that every document says the same thing the same way.
"""

from __future__ import annotations

import re
from typing import Literal

from tutela.policy.schema import RetentionRule

Lang = Literal["en", "fr", "nl"]
LANGS: tuple[Lang, ...] = ("en", "fr", "nl")

_NUMBERS = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty",
    "fr": "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize "
    "dix-sept dix-huit dix-neuf vingt",
    "nl": "nul één twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien vijftien zestien "
    "zeventien achttien negentien twintig",
}
_UNITS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {"Y": ("year", "years"), "M": ("month", "months"), "D": ("day", "days")},
    "fr": {"Y": ("an", "ans"), "M": ("mois", "mois"), "D": ("jour", "jours")},
    "nl": {"Y": ("jaar", "jaar"), "M": ("maand", "maanden"), "D": ("dag", "dagen")},
}
_AND = {"en": "and", "fr": "et", "nl": "en"}

#: "<period> <after …>" for each trigger
_AFTER: dict[str, dict[str, str]] = {
    "en": {
        "contract_end": "after the end of the contract",
        "last_interest": "after you last showed an interest",
        "collected": "after the data were collected",
        "unsubscribed": "after you unsubscribe or withdraw your consent",
        "books_closed": "after the books of the year are closed",
        "books_closed_january": "from 1 January of the year after the books are closed",
        "recorded": "after recording",
        "last_activity": "after our last exchange with you",
    },
    "fr": {
        "contract_end": "après la fin du contrat",
        "last_interest": "après votre dernière marque d'intérêt",
        "collected": "après la collecte des données",
        "unsubscribed": "après votre désinscription ou le retrait de votre consentement",
        "books_closed": "après la clôture des comptes de l'exercice",
        "books_closed_january": "à compter du 1er janvier de l'année qui suit la clôture des comptes",
        "recorded": "après l'enregistrement",
        "last_activity": "après notre dernier échange avec vous",
    },
    "nl": {
        "contract_end": "na het einde van het contract",
        "last_interest": "nadat u voor het laatst interesse toonde",
        "collected": "na het verzamelen van de gegevens",
        "unsubscribed": "nadat u zich uitschrijft of uw toestemming intrekt",
        "books_closed": "na de afsluiting van de boekhouding van het jaar",
        "books_closed_january": "vanaf 1 januari van het jaar na de afsluiting van de boekhouding",
        "recorded": "na de opname",
        "last_activity": "na ons laatste contact met u",
    },
}
#: "until …" when the period is zero
_UNTIL: dict[str, dict[str, str]] = {
    "en": {
        "contract_end": "until the end of the contract",
        "last_interest": "until you stop showing an interest",
        "collected": "only as long as needed to handle them",
        "unsubscribed": "until you unsubscribe or withdraw your consent",
        "books_closed": "until the books are closed",
        "books_closed_january": "until the books are closed",
        "recorded": "only as long as needed to handle them",
        "last_activity": "until our last exchange with you",
    },
    "fr": {
        "contract_end": "jusqu'à la fin du contrat",
        "last_interest": "jusqu'à ce que vous ne manifestiez plus d'intérêt",
        "collected": "uniquement le temps de les traiter",
        "unsubscribed": "jusqu'à votre désinscription ou le retrait de votre consentement",
        "books_closed": "jusqu'à la clôture des comptes",
        "books_closed_january": "jusqu'à la clôture des comptes",
        "recorded": "uniquement le temps de les traiter",
        "last_activity": "jusqu'à notre dernier échange avec vous",
    },
    "nl": {
        "contract_end": "tot het einde van het contract",
        "last_interest": "tot u geen interesse meer toont",
        "collected": "alleen zolang nodig om ze te behandelen",
        "unsubscribed": "tot u zich uitschrijft of uw toestemming intrekt",
        "books_closed": "tot de afsluiting van de boekhouding",
        "books_closed_january": "tot de afsluiting van de boekhouding",
        "recorded": "alleen zolang nodig om ze te behandelen",
        "last_activity": "tot ons laatste contact met u",
    },
}
_ACTION = {
    "en": {"erase": "then erased", "anonymise": "then anonymised", "archive": "then archived"},
    "fr": {"erase": "puis effacées", "anonymise": "puis anonymisées", "archive": "puis archivées"},
    "nl": {"erase": "daarna gewist", "anonymise": "daarna geanonimiseerd", "archive": "daarna gearchiveerd"},
}

LEGAL_BASES: dict[str, dict[str, str]] = {
    "en": {
        "consent": "your consent",
        "contract": "the performance of a contract with you or pre-contractual measures at your request",
        "legal_obligation": "a legal obligation",
        "legitimate_interest": "our legitimate interest",
        "vital_interests": "the protection of vital interests",
        "public_task": "a task in the public interest",
    },
    "fr": {
        "consent": "votre consentement",
        "contract": "l'exécution d'un contrat conclu avec vous ou de mesures précontractuelles prises à votre demande",
        "legal_obligation": "une obligation légale",
        "legitimate_interest": "notre intérêt légitime",
        "vital_interests": "la sauvegarde d'intérêts vitaux",
        "public_task": "une mission d'intérêt public",
    },
    "nl": {
        "consent": "uw toestemming",
        "contract": "de uitvoering van een overeenkomst met u of precontractuele maatregelen op uw verzoek",
        "legal_obligation": "een wettelijke verplichting",
        "legitimate_interest": "ons gerechtvaardigd belang",
        "vital_interests": "de bescherming van vitale belangen",
        "public_task": "een taak van algemeen belang",
    },
}
ROLES: dict[str, dict[str, str]] = {
    "en": {
        "processor": "processor (acts on our instructions)",
        "sub_processor": "sub-processor",
        "joint_controller": "joint controller",
        "independent_controller": "independent controller",
        "authority": "public authority",
    },
    "fr": {
        "processor": "sous-traitant (agit sur nos instructions)",
        "sub_processor": "sous-traitant ultérieur",
        "joint_controller": "responsable conjoint du traitement",
        "independent_controller": "responsable du traitement distinct",
        "authority": "autorité publique",
    },
    "nl": {
        "processor": "verwerker (handelt op onze instructies)",
        "sub_processor": "subverwerker",
        "joint_controller": "gezamenlijke verwerkingsverantwoordelijke",
        "independent_controller": "afzonderlijke verwerkingsverantwoordelijke",
        "authority": "overheidsinstantie",
    },
}
MECHANISMS: dict[str, dict[str, str]] = {
    "en": {
        "adequacy": "an adequacy decision of the European Commission",
        "scc": "the Standard Contractual Clauses adopted by the European Commission",
        "bcr": "binding corporate rules",
        "code_of_conduct": "an approved code of conduct",
        "certification": "an approved certification",
        "derogation": "a derogation for specific situations (Art. 49 GDPR)",
    },
    "fr": {
        "adequacy": "une décision d'adéquation de la Commission européenne",
        "scc": "les clauses contractuelles types (Standard Contractual Clauses) adoptées par la Commission européenne",
        "bcr": "des règles d'entreprise contraignantes",
        "code_of_conduct": "un code de conduite approuvé",
        "certification": "une certification approuvée",
        "derogation": "une dérogation pour des situations particulières (art. 49 RGPD)",
    },
    "nl": {
        "adequacy": "een adequaatheidsbesluit van de Europese Commissie",
        "scc": "de modelcontractbepalingen (Standard Contractual Clauses) van de Europese Commissie",
        "bcr": "bindende bedrijfsvoorschriften",
        "code_of_conduct": "een goedgekeurde gedragscode",
        "certification": "een goedgekeurde certificering",
        "derogation": "een afwijking voor specifieke situaties (art. 49 AVG)",
    },
}


def _lang(lang: str) -> str:
    return lang if lang in _NUMBERS else "en"


def number_in_words(n: int, lang: str = "en") -> str:
    words = _NUMBERS[_lang(lang)].split()
    return words[n] if 0 <= n < len(words) else str(n)


def period_in_words(period: str, lang: str = "en") -> str:
    """``P10Y`` → "ten years"; ``P1Y6M`` → "one year and six months"; ``P0D`` → "" (no period)."""
    lang = _lang(lang)
    parts = []
    for amount, unit in re.findall(r"(\d+)([YMD])", period):
        n = int(amount)
        if n:
            singular, plural = _UNITS[lang][unit]
            parts.append(f"{number_in_words(n, lang)} {singular if n == 1 else plural}")
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + f" {_AND[lang]} {parts[-1]}"
    return parts[0] if parts else ""


def retention_in_words(rule: RetentionRule, lang: str = "en") -> str:
    """How long, in words: "ten years after the end of the contract", "un mois après l'enregistrement"."""
    lang = _lang(lang)
    trigger: str = rule.trigger
    if trigger == "books_closed" and rule.from_next_january:
        trigger = "books_closed_january"
    period = period_in_words(rule.period, lang)
    if not period:
        return _UNTIL[lang][trigger]
    return f"{period} {_AFTER[lang][trigger]}"


#: "then archived for <period> [from …], then erased": the archive phase and how it ends
_ARCHIVED_FOR = {
    "en": "then archived for {period}",
    "fr": "puis archivées pendant {period}",
    "nl": "daarna {period} gearchiveerd",
}


def retention_action_in_words(rule: RetentionRule, lang: str = "en") -> str:
    """What happens at the end: "then erased" / "puis archivées" …; an archive phase says how long it lasts
    and how it ends ("then archived for ten years, then erased")."""
    lang = _lang(lang)
    if rule.action != "archive" or rule.archive is None:
        return _ACTION[lang][rule.action]
    period = period_in_words(rule.archive.period, lang)
    if not period:
        return f"{_ACTION[lang]['archive']}, {_ACTION[lang][rule.archive.then]}"
    if rule.trigger == "books_closed" and rule.from_next_january and not period_in_words(rule.period, lang):
        # the rule's own period is "until the books are closed": the archive counts from the next 1 January
        period = f"{period} {_AFTER[lang]['books_closed_january']}"
    return f"{_ARCHIVED_FOR[lang].format(period=period)}, {_ACTION[lang][rule.archive.then]}"


def legal_basis_in_words(basis: str, lang: str = "en") -> str:
    return LEGAL_BASES[_lang(lang)].get(basis, basis)


def role_in_words(role: str, lang: str = "en") -> str:
    return ROLES[_lang(lang)].get(role, role)


def mechanism_in_words(mechanism: str, lang: str = "en") -> str:
    return MECHANISMS[_lang(lang)].get(mechanism, mechanism)
