"""Breach facts: the JSON schemas (package data) and the validation that names each wrong field."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from tutela.breaches import taxonomy as tx


@cache
def facts_schema() -> dict[str, Any]:
    text = resources.files("tutela.breaches").joinpath("schemas/breach-facts.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


@cache
def assessment_schema() -> dict[str, Any]:
    text = resources.files("tutela.breaches").joinpath("schemas/breach-assessment.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate_facts(facts: Any, *, extra_keys: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """Every problem with the facts as (field, message); empty when they can be assessed.

    ``extra_keys`` are category keys the active policy adds under a fideslang parent.
    """
    from jsonschema import Draft202012Validator

    problems: list[tuple[str, str]] = []
    validator = Draft202012Validator(facts_schema())
    for err in sorted(validator.iter_errors(facts), key=lambda e: list(map(str, e.absolute_path))):
        where = _path(err.absolute_path)
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else ""
            where = missing or where
            message = "is required"
        elif err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            for extra in sorted(set(err.instance) - allowed):
                problems.append((f"{where}.{extra}" if where else extra, "unknown field"))
            continue
        else:
            message = err.message
        problems.append((where or "(facts)", message))
    if isinstance(facts, dict) and isinstance(facts.get("data_categories"), list):
        known = tx.known_keys() | extra_keys
        for i, key in enumerate(facts["data_categories"]):
            if isinstance(key, str) and key not in known:
                problems.append(
                    (f"data_categories[{i}]", f"unknown data category {key!r} (not a fideslang key)")
                )
    return problems


def policy_keys() -> tuple[frozenset[str], frozenset[str]]:
    """The active policy's category keys, and those of them it marks special (Art. 9); empty without one."""
    try:
        from tutela.policy.selectors import active_policy

        categories = active_policy().categories
    except Exception:  # no policy loaded yet: fideslang keys only
        return frozenset(), frozenset()
    return frozenset(categories), frozenset(k for k, c in categories.items() if c.special)
