"""The fast e-mail check (``identifiers.plain_email``) beside email_validator, the reference it stands in for.

Each address's verdict below is derived from the rules, not from either implementation: RFC 5322 3.2.3
(dot-atom local part: atext characters, no leading, trailing or doubled dot), RFC 1123 host names (letters,
digits and inner hyphens, labels of at most 63), RFC 5321 4.5.3.1.3 (at most 254 characters), and the
product's rules, which are email_validator's defaults: a domain with a dot, ending in a letter, no
special-use name (RFC 6761/6762/7686), no quoted local part, IP literal or display name, no "ab--" label
unless punycode, internationalised addresses accepted. The test checks the table against email_validator
too, so a disagreement shows which side moved.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given
from hypothesis import strategies as st

from tutela.core import crypto
from tutela.core.errors import InvalidInput
from tutela.subjects import identifiers

LOCAL_64 = "l" * 64
LABEL_63 = "d" * 63

# (address, normalised form the fast path returns)
PLAIN = [
    ("jan.peeters@example.be", "jan.peeters@example.be"),
    ("Jan.Peeters@Example.BE", "jan.peeters@example.be"),
    ("a+tag@sub.domain.co.uk", "a+tag@sub.domain.co.uk"),
    ("o'brien@example.ie", "o'brien@example.ie"),
    ("x_y-z@a-b.example.com", "x_y-z@a-b.example.com"),
    ("!#$%&'*+-/=?^_`{|}~@example.org", "!#$%&'*+-/=?^_`{|}~@example.org"),
    ("1@2.example3.com", "1@2.example3.com"),
    ("ab--cd@example.be", "ab--cd@example.be"),  # dashes are fine before the @
    ("info@example.be", "info@example.be"),
    ("new123@example.com", "new123@example.com"),
    (f"{LOCAL_64}@{LABEL_63}.be", f"{LOCAL_64}@{LABEL_63}.be"),
    ("  padded@example.be  ", "padded@example.be"),  # normalise strips first
    (f"{'l' * 200}@{'d' * 50}.be", f"{'l' * 200}@{'d' * 50}.be"),  # 254 characters, the most
]

# (address, normalised form) valid by the rules but left to email_validator
VALID_OTHERWISE = [
    ("josé@example.be", "josé@example.be"),  # internationalised local part (RFC 6531)
    ("a@Bücher.de", "a@bücher.de"),  # internationalised domain
    ("a@xn--bcher-kva.de", "a@bücher.de"),  # punycode, shown in Unicode
    ("a@m--ysite.be", "a@m--ysite.be"),  # "--" not at the third and fourth characters
]

# addresses refused by the rules
INVALID = [
    "not-an-address",  # no @
    "@example.be",  # nothing before the @
    "a@",  # nothing after it
    "a@b",  # no dot in the domain
    "a@example",
    "a..b@example.be",  # doubled dot
    ".a@example.be",
    "a.@example.be",
    "a@-example.be",  # label starting with a hyphen
    "a@example-.be",  # ... or ending with one
    "a@example..be",
    "a@example.123",  # top-level domain not ending in a letter
    "a@localhost",
    "a@x.local",
    "a@x.test",
    "a@x.invalid",
    "a@x.onion",
    "a@1.in-addr.arpa",
    "a b@example.be",  # space
    '"quoted"@example.be',  # quoted local part
    "a@[192.0.2.1]",  # IP literal
    "Jan <jan@example.be>",  # display name
    "a@my--site.be",  # "--" at the third and fourth characters of a label, not punycode
    f"a@{LABEL_63}d.be",  # a 64-character label
    f"{'l' * 202}@{'d' * 50}.be",  # 256 characters
    "a@exa_mple.be",  # underscore in a host name
    "a@example.be.",  # trailing dot
    "a@@example.be",
]


def reference(address: str) -> str | None:
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@pytest.mark.parametrize(("address", "normalised"), PLAIN)
def test_plain_addresses_take_the_fast_path_and_agree_with_the_reference(
    address: str, normalised: str
) -> None:
    assert identifiers.plain_email(address.strip()) == normalised
    assert reference(address) == normalised
    assert identifiers.normalise_email(address) == normalised


@pytest.mark.parametrize(("address", "normalised"), VALID_OTHERWISE)
def test_other_valid_addresses_are_left_to_email_validator(address: str, normalised: str) -> None:
    assert identifiers.plain_email(address) is None
    assert reference(address) == normalised
    assert identifiers.normalise_email(address) == normalised


@pytest.mark.parametrize("address", INVALID)
def test_invalid_addresses_are_refused_with_the_reference_message(address: str) -> None:
    assert identifiers.plain_email(address.strip()) is None
    with pytest.raises(EmailNotValidError) as expected:
        validate_email(address.strip(), check_deliverability=False)
    with pytest.raises(InvalidInput) as refused:
        identifiers.normalise_email(address)
    assert refused.value.errors[0].message == str(expected.value)
    assert refused.value.errors[0].field == "email"


ALPHABET = "aZ09.-_+'@ \"é[]x-n"


@given(st.text(alphabet=ALPHABET, max_size=30))
def test_the_fast_path_never_accepts_what_the_reference_refuses(text: str) -> None:
    plain = identifiers.plain_email(text)
    if plain is not None:
        assert reference(text) == plain


ATOM = st.text(alphabet="abcXYZ019!#$%&'*+-/=?^_`{|}~", min_size=1, max_size=8)
LABEL = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?", fullmatch=True)
TLD = st.sampled_from(["be", "com", "ORG", "museum", "co", "x1y"])


@given(st.lists(ATOM, min_size=1, max_size=3), st.lists(LABEL, min_size=1, max_size=3), TLD)
def test_well_formed_ascii_addresses_agree_with_the_reference(
    atoms: list[str], labels: list[str], tld: str
) -> None:
    address = ".".join(atoms) + "@" + ".".join([*labels, tld])
    plain = identifiers.plain_email(address)
    expected = reference(address)
    if plain is not None:
        assert plain == expected
    if "--" not in address.split("@")[1]:
        # nothing here is special-use or out of bounds: the fast path must take it
        assert plain is not None and expected == plain


@pytest.mark.parametrize("key", ["short-test-key", "k" * 64, "a-key-longer-than-a-sha256-block-" * 3])
def test_blind_indexer_is_the_keyed_hash_of_blind_index(settings, key: str) -> None:
    settings.TUTELA_INDEX_KEY = key
    crypto._index_key.cache_clear()
    try:
        index = crypto.blind_indexer("email")
        for value in ("a@example.be", "", "josé@example.be"):
            expected = hmac.new(key.encode(), f"email\x1f{value}".encode(), hashlib.sha256).hexdigest()
            assert index(value) == expected == crypto.blind_index("email", value)
        assert crypto.blind_indexer("phone")("+32470123456") != index("+32470123456")
    finally:
        crypto._index_key.cache_clear()
