"""How the breach assessment reads fideslang data-category keys: ENISA data types and identification power.

Rules are written for prefixes: the longest prefix that matches a key decides. A parent key (``user.contact``)
covers its children, so when a fact names a parent, every child it may hold is counted (the worst case),
and a concept (``an address``) is present when a key is that concept, one of its children or its parent.
"""

from __future__ import annotations

from enum import IntEnum
from functools import cache
from typing import TypeVar

T = TypeVar("T")


class DataType(IntEnum):
    """ENISA's base data-processing-context scores."""

    SIMPLE = 1
    BEHAVIOURAL = 2
    FINANCIAL = 3
    SENSITIVE = 4


#: ENISA data type by key prefix (longest prefix wins). Credentials are scored apart (by what they open).
DATA_TYPE: dict[str, DataType] = {
    "user": DataType.SIMPLE,
    "user.behavior": DataType.BEHAVIOURAL,
    "user.location": DataType.BEHAVIOURAL,
    "user.device": DataType.BEHAVIOURAL,
    "user.telemetry": DataType.BEHAVIOURAL,
    "user.sensor": DataType.BEHAVIOURAL,
    "user.user_sensor": DataType.BEHAVIOURAL,
    "user.social": DataType.BEHAVIOURAL,
    "user.content.private": DataType.BEHAVIOURAL,
    "user.demographic.profile": DataType.BEHAVIOURAL,
    "user.financial": DataType.FINANCIAL,
    "user.payment": DataType.FINANCIAL,
    "user.health_and_medical": DataType.SENSITIVE,
    "user.biometric": DataType.SENSITIVE,
    "user.authorization.biometric": DataType.SENSITIVE,
    "user.criminal_history": DataType.SENSITIVE,
    "user.childrens": DataType.SENSITIVE,
    "user.demographic.political_opinion": DataType.SENSITIVE,
    "user.demographic.race_ethnicity": DataType.SENSITIVE,
    "user.demographic.religious_belief": DataType.SENSITIVE,
    "user.demographic.sexual_orientation": DataType.SENSITIVE,
    # custom keys policies commonly add for the other Art. 9 categories
    "user.demographic.philosophical_belief": DataType.SENSITIVE,
    "user.workplace.trade_union_membership": DataType.SENSITIVE,
}

#: Keys that are credentials: scored by the data they give access to.
CREDENTIAL_PREFIXES = ("user.authorization.credentials", "user.authorization.password", "user.authorization")

#: Ease of identification of a key on its own (ENISA EI levels), longest prefix wins; missing = none.
DIRECT = "maximum"
INDIRECT = "significant"
WEAK = "limited"
IDENTIFYING: dict[str, str] = {
    "user.name": DIRECT,
    "user.contact.email": DIRECT,
    "user.government_id": DIRECT,
    "user.content.self_image": DIRECT,
    "user.biometric": DIRECT,
    "user.sensor.cctv_image": INDIRECT,
    "user.contact.phone_number": INDIRECT,
    "user.contact.address": INDIRECT,
    "user.contact.address.city": WEAK,
    "user.contact.address.country": WEAK,
    "user.contact.address.postal_code": WEAK,
    "user.contact.address.state": WEAK,
    "user.financial": INDIRECT,
    "user.payment": INDIRECT,
    "user.health_and_medical.record_id": INDIRECT,
    "user.health_and_medical.insurance_beneficiary_id": INDIRECT,
    "user.demographic.date_of_birth": WEAK,
    "user.account.username": WEAK,
    "user.unique_id": WEAK,
    "user.device": WEAK,
    "user.location.precise": WEAK,
}

#: Concepts the duty rules look for (identity-fraud combinations, money).
NAME = "user.name"
ADDRESS = "user.contact.address"
BIRTH_DATE = "user.demographic.date_of_birth"
GOVERNMENT_ID = "user.government_id"
BANK_OR_CARD = ("user.financial", "user.payment")


@cache
def known_keys() -> frozenset[str]:
    """Every data-category key of fideslang's default taxonomy."""
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    return frozenset(c.fides_key for c in DEFAULT_TAXONOMY.data_category)


def _lineage(key: str) -> list[str]:
    parts = key.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _lookup(table: dict[str, T], key: str) -> T | None:
    for probe in _lineage(key):
        if probe in table:
            return table[probe]
    return None


def descendants(key: str) -> list[str]:
    """The key itself and every known key below it."""
    return sorted(k for k in known_keys() | {key} if k == key or k.startswith(key + "."))


def is_credential(key: str) -> bool:
    return any(key == p or key.startswith(p + ".") for p in CREDENTIAL_PREFIXES) and not key.startswith(
        "user.authorization.biometric"
    )


def data_type(key: str) -> DataType:
    """The ENISA data type of a key; a parent key takes the worst of the keys it covers."""
    own = _lookup(DATA_TYPE, key) or DataType.SIMPLE
    worst = own
    for child in descendants(key):
        if child == key or is_credential(child):
            continue
        worst = max(worst, _lookup(DATA_TYPE, child) or DataType.SIMPLE)
    return worst


_EI_ORDER = {None: 0, WEAK: 1, INDIRECT: 2, DIRECT: 3}


def identification(key: str) -> str | None:
    """How well a key identifies a person on its own (the strongest of what it covers)."""
    best = _lookup(IDENTIFYING, key)
    for child in descendants(key):
        level = _lookup(IDENTIFYING, child)
        if _EI_ORDER[level] > _EI_ORDER[best]:
            best = level
    return best


def covers(keys: list[str], concept: str) -> bool:
    """True when one of the keys is the concept, one of its children, or a parent that covers it."""
    return any(k == concept or k.startswith(concept + ".") or concept.startswith(k + ".") for k in keys)
