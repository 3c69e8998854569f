"""Identifier validation tables. Check digits computed by hand with the mod-97 rule of the Belgian
national register (reference/belgium.md): CC = 97 - (first nine digits mod 97); for people born in 2000
or later, put a "2" before the nine digits first."""

from __future__ import annotations

import pytest

from tutela.core.errors import InvalidInput
from tutela.subjects import identifiers

# (number as written, its 11 digits). Hand computations:
#   850730033: 850730033 = 97 * 8770412 + 69  -> 97 - 69 = 28
#   020315045 (born 2002): 2020315045 = 97 * 20828000 + 15 -> 97 - 15 = 82
#   000101123 (born 2000): 2000101123 = 97 * 20619599 + 20 -> 97 - 20 = 77
#   900228123: 900228123 = 97 * 9280702 + 29 -> 97 - 29 = 68
VALID_NN = [
    ("85.07.30-033.28", "85073003328"),
    ("85073003328", "85073003328"),
    ("02.03.15-045.82", "02031504582"),
    ("00010112377", "00010112377"),
    ("900228 123 68", "90022812368"),
]
INVALID_NN = [
    "85073003329",  # check digits off by one
    "02031504581",  # born 2002: 82 expected, 81 given
    "85133003328",  # month 13
    "8507300332",  # ten digits
    "ABCDEFGHIJK",
]


@pytest.mark.parametrize(("raw", "normalised"), VALID_NN)
def test_valid_national_numbers(raw: str, normalised: str) -> None:
    assert identifiers.normalise("national_number", raw) == normalised


@pytest.mark.parametrize("raw", INVALID_NN)
def test_invalid_national_numbers_name_the_field_not_the_value(raw: str) -> None:
    with pytest.raises(InvalidInput) as err:
        identifiers.normalise("national_number", raw)
    assert err.value.errors[0].field == "national_number"
    assert raw not in str(err.value.errors[0]) and raw not in err.value.message


def test_hand_computed_check_digits_match_the_rule() -> None:
    assert 97 - 850730033 % 97 == 28
    assert 97 - 2020315045 % 97 == 82
    assert 97 - 2000101123 % 97 == 77
    assert 97 - 900228123 % 97 == 68
    # 020315045 read as 1902 gives 97 - 20315045 % 97 = 53: also a valid number (for someone born in 1902)
    assert 97 - 20315045 % 97 == 53
    assert identifiers.normalise("national_number", "02031504553") == "02031504553"


def test_bis_number_month_plus_20_is_accepted() -> None:
    # BIS: month + 20 (07 -> 27); 852730033 = 97 * 8791031 + 26 -> 97 - 26 = 71
    assert 97 - 852730033 % 97 == 71
    assert identifiers.normalise("national_number", "85273003371") == "85273003371"


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("iban", "be71 0961 2345 6769", "BE71096123456769"),
        ("iban", "NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("phone", "0470 12 34 56", "+32470123456"),
        ("phone", "+32 2 512 34 56", "+3225123456"),
        ("email", " Jan.Peeters@Example.BE ", "jan.peeters@example.be"),
        ("vat", "BE 0403.170.701", "BE0403170701"),
    ],
)
def test_valid_identifiers_are_normalised(kind: str, raw: str, expected: str) -> None:
    assert identifiers.normalise(kind, raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("iban", "BE71096123456768"),  # check digits wrong
        ("iban", "BE7109612345"),
        ("phone", "12"),
        ("email", "no-at-sign"),
        ("email", "a@b"),
        ("vat", "BE0403170702"),
    ],
)
def test_invalid_identifiers_are_refused(kind: str, raw: str) -> None:
    with pytest.raises(InvalidInput):
        identifiers.normalise(kind, raw)
