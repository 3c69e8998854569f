"""Cells that could run as formulas are neutralised; everything else is left alone."""

from __future__ import annotations

import pytest

from tutela.core.csvsafe import csv_safe


@pytest.mark.parametrize("cell", ["=1+1", "+32 475", "-2", "@SUM(A1)", "\t=x", "\r=x", "\n=x"])
def test_formula_starts_are_neutralised(cell: str) -> None:
    assert csv_safe(cell) == "'" + cell


@pytest.mark.parametrize(
    ("value", "expected"), [("Ann", "Ann"), ("a=b", "a=b"), (None, ""), (True, "yes"), (3, "3")]
)
def test_ordinary_values_are_unchanged(value: object, expected: str) -> None:
    assert csv_safe(value) == expected
