"""Helpers for the policy tests: broken copies of the shipped policy and independent line look-ups."""

from __future__ import annotations

from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[2] / "policies" / "crm-group.yaml"


def shipped_text() -> str:
    return SHIPPED.read_text(encoding="utf-8")


def mutate(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, f"not found: {old!r}"
    return text.replace(old, new, 1)


def line_containing(text: str, needle: str, *, after: str | None = None) -> int:
    """1-based number of the first line containing ``needle`` (after the line containing ``after``)."""
    lines = text.splitlines()
    start = 0
    if after is not None:
        start = next(i for i, ln in enumerate(lines) if after in ln)
    for i in range(start, len(lines)):
        if needle in lines[i]:
            return i + 1
    raise AssertionError(f"{needle!r} not in the text")


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
