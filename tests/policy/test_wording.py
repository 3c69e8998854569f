"""Retention periods in words, in three languages (expected sentences written by hand)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutela.policy.schema import RetentionRule
from tutela.policy.wording import period_in_words, retention_in_words


def rule(trigger: str, period: str, **kw: object) -> RetentionRule:
    return RetentionRule(
        name="r", description="d", trigger=trigger, period=period, action="erase", basis="b", **kw
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("trigger", "period", "extra", "lang", "words"),
    [
        ("contract_end", "P10Y", {}, "en", "ten years after the end of the contract"),
        ("contract_end", "P10Y", {}, "fr", "dix ans après la fin du contrat"),
        ("contract_end", "P10Y", {}, "nl", "tien jaar na het einde van het contract"),
        ("last_interest", "P1Y", {}, "en", "one year after you last showed an interest"),
        ("recorded", "P1M", {}, "en", "one month after recording"),
        ("recorded", "P1M", {}, "fr", "un mois après l'enregistrement"),
        ("recorded", "P1M", {}, "nl", "één maand na de opname"),
        ("collected", "P6M", {}, "en", "six months after the data were collected"),
        (
            "books_closed",
            "P10Y",
            {"from_next_january": True},
            "en",
            "ten years from 1 January of the year after the books are closed",
        ),
        ("unsubscribed", "P0D", {}, "en", "until you unsubscribe or withdraw your consent"),
        ("collected", "P1Y6M", {}, "en", "one year and six months after the data were collected"),
        ("collected", "P30D", {}, "en", "30 days after the data were collected"),
    ],
)
def test_retention_in_words(
    trigger: str, period: str, extra: dict[str, object], lang: str, words: str
) -> None:
    assert retention_in_words(rule(trigger, period, **extra), lang) == words


def test_unknown_language_falls_back_to_english() -> None:
    assert retention_in_words(rule("contract_end", "P10Y"), "de") == "ten years after the end of the contract"


@given(
    years=st.integers(min_value=0, max_value=40),
    months=st.integers(min_value=0, max_value=11),
    days=st.integers(min_value=0, max_value=60),
    lang=st.sampled_from(["en", "fr", "nl"]),
)
def test_every_nonzero_period_has_words(years: int, months: int, days: int, lang: str) -> None:
    period = (
        "P" + (f"{years}Y" if years else "") + (f"{months}M" if months else "") + (f"{days}D" if days else "")
    )
    words = period_in_words(period if period != "P" else "P0D", lang)
    assert bool(words) == bool(years or months or days)
    for n in (years, months, days):
        if n > 20:
            assert str(n) in words
