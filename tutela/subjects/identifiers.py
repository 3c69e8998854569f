"""Identifiers: validated and normalised with well-kept libraries, never hand-written checksums.

``normalise(kind, raw)`` returns the canonical form or raises ``InvalidInput`` naming the problem;
``lookup_for(kind, raw)`` is the blind index used to find a person by that identifier.
"""

from __future__ import annotations

import re

import email_validator
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum import iban as std_iban
from stdnum.be import bis as be_bis
from stdnum.be import nn as be_nn
from stdnum.be import vat as be_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from tutela.core.crypto import blind_index
from tutela.core.errors import FieldError, InvalidInput

KINDS = ("email", "phone", "national_number", "iban", "vat")
DEFAULT_REGION = "BE"


def _bad(kind: str, message: str) -> InvalidInput:
    return InvalidInput(
        f"invalid {kind.replace('_', ' ')}: {message}", errors=[FieldError(message, field=kind)]
    )


#: A plain ASCII address that email_validator (deliverability off, its default options) certainly accepts:
#: a dot-atom local part (RFC 5322 3.2.3 atext), then at least two host-name labels (RFC 1123) of at most 63
#: characters, the last ending with a letter. Anything else -- quoted local parts, display names, IP
#: literals, non-ASCII (IDNA) domains, labels holding "--" (punycode and the reserved "ab--" form) --
#: is left to email_validator, which gives the verdict and the message.
_ATEXT = r"[a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~]"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_PLAIN_EMAIL = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_LABEL}\.)+{_LABEL}")
_MAX_EMAIL = 254  # RFC 5321 4.5.3.1.3, as email_validator counts it
_MAX_DOMAIN = 253


def plain_email(text: str) -> str | None:
    """The normalised form of an already stripped address when it is a plain ASCII one that
    email_validator would accept unchanged, else None (let email_validator decide).

    Why: email_validator costs ~20 microseconds an address, most of it for internationalised
    forms that imported files rarely hold; a file of 200,000 people spent seconds here."""
    if len(text) > _MAX_EMAIL or not _PLAIN_EMAIL.fullmatch(text):
        return None
    domain = text[text.index("@") + 1 :]
    if len(domain) > _MAX_DOMAIN or "--" in domain or not domain[-1].isalpha():
        return None
    tld = domain[domain.rfind(".") + 1 :].lower()
    if tld in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        return None
    return text.lower()


def normalise_email(raw: str) -> str:
    text = raw.strip()
    plain = plain_email(text)
    if plain is not None:
        return plain
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise _bad("email", str(exc)) from None
    return result.normalized.lower()


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise _bad("phone", str(exc)) from None
    if not phonenumbers.is_valid_number(number):
        raise _bad("phone", "not a valid telephone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_national_number(raw: str) -> str:
    """A Belgian national register number or BIS number, as its 11 digits."""
    compact = be_nn.compact(raw)
    try:
        return be_nn.validate(compact)
    except ValidationError as nn_error:
        try:
            return be_bis.validate(compact)
        except ValidationError:
            raise _bad(
                "national_number", getattr(nn_error, "message", "") or "invalid checksum or date"
            ) from None


def normalise_iban(raw: str) -> str:
    try:
        return std_iban.validate(raw)
    except ValidationError as exc:
        raise _bad("iban", getattr(exc, "message", "") or "invalid check digits") from None


def normalise_vat(raw: str) -> str:
    try:
        if raw.strip().upper().startswith("BE") or raw.strip()[:1].isdigit():
            return "BE" + be_vat.validate(raw)
        return eu_vat.validate(raw)
    except ValidationError as exc:
        raise _bad("vat", getattr(exc, "message", "") or "invalid VAT number") from None


_NORMALISERS = {
    "email": normalise_email,
    "phone": normalise_phone,
    "national_number": normalise_national_number,
    "iban": normalise_iban,
    "vat": normalise_vat,
}


def normalise(kind: str, raw: str) -> str:
    if kind not in _NORMALISERS:
        raise InvalidInput(f"unknown identifier kind {kind!r}")
    if not isinstance(raw, str) or not raw.strip():
        raise _bad(kind, "empty")
    return _NORMALISERS[kind](raw)


def lookup_for(kind: str, raw: str) -> str:
    """The blind index of an identifier (validated and normalised first)."""
    return blind_index(kind, normalise(kind, raw))


def lookup_of_normalised(kind: str, normalised: str) -> str:
    return blind_index(kind, normalised)
