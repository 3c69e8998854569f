"""The fast normalisation used by checks and scrubbing gives exactly the register's normal form and hash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutela.consent.contacts import fast_blind_index, normalise_contact
from tutela.core.crypto import blind_index
from tutela.core.errors import InvalidInput
from tutela.subjects import identifiers


def _register(raw: str) -> str | None:
    try:
        return identifiers.normalise_email(raw)
    except InvalidInput:
        return None


@pytest.mark.parametrize(
    "raw",
    [
        "Ann@Example.com",
        " ann@example.com ",
        "a..b@example.com",
        "a@b",
        "x@localhost",
        "x@site.test",
        "first.last+tag@sub.example.be",
        "-x@example.com",
        "x-@example.com",
        "ünï@example.com",
        "x@exämple.com",
        "x@123.com",
        "x@example.c",
        "a@-example.com",
        "a" * 65 + "@example.com",
        "x@example.invalid",
        "x_y@example.org",
    ],
)
def test_emails_match_the_register(raw: str) -> None:
    expected = _register(raw)
    found = normalise_contact(raw)
    assert (found[1] if found else None) == expected


@settings(max_examples=300, deadline=None)
@given(st.emails())
def test_generated_emails_match_the_register(raw: str) -> None:
    expected = _register(raw)
    found = normalise_contact(raw)
    assert (found[1] if found else None) == expected


@pytest.mark.parametrize(
    "raw", ["+32 470 12 34 56", "0470/12.34.56", "02 555 12 12", "12345", "+1 202 555 0123"]
)
def test_phones_match_the_register(raw: str) -> None:
    try:
        expected: str | None = identifiers.normalise_phone(raw)
    except InvalidInput:
        expected = None
    found = normalise_contact(raw)
    assert (found[1] if found else None) == expected


@given(st.sampled_from(["email", "phone"]), st.text(max_size=40))
def test_fast_blind_index_is_blind_index(kind: str, value: str) -> None:
    assert fast_blind_index(kind, value) == blind_index(kind, value)
