"""Comparing two policy texts: a unified diff people can read, and what changed in each section."""

from __future__ import annotations

import difflib
from typing import Any

import yaml

#: the sections whose entries are compared one by one (keyed mappings)
SECTIONS = (
    "controllers",
    "subject_types",
    "categories",
    "sources",
    "purposes",
    "recipients",
    "retention",
    "rights",
)
#: single-value sections compared as a whole
WHOLE = ("dpo", "authority", "special_categories", "transfers", "breach", "deadlines", "security", "notice")


def _load(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def section_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """For each keyed section: entries added, removed, and changed (with the fields that changed)."""
    out: dict[str, dict[str, Any]] = {}
    for name in SECTIONS:
        a = old.get(name) if isinstance(old.get(name), dict) else {}
        b = new.get(name) if isinstance(new.get(name), dict) else {}
        assert isinstance(a, dict) and isinstance(b, dict)
        added = sorted(str(k) for k in b.keys() - a.keys())
        removed = sorted(str(k) for k in a.keys() - b.keys())
        changed: dict[str, list[str]] = {}
        for key in sorted(a.keys() & b.keys(), key=str):
            if a[key] != b[key]:
                va, vb = a[key], b[key]
                if isinstance(va, dict) and isinstance(vb, dict):
                    changed[str(key)] = sorted(
                        str(f) for f in va.keys() | vb.keys() if va.get(f) != vb.get(f)
                    )
                else:
                    changed[str(key)] = []
        if added or removed or changed:
            out[name] = {"added": added, "removed": removed, "changed": changed}
    for name in WHOLE:
        if old.get(name) != new.get(name):
            out[name] = {"added": [], "removed": [], "changed": {name: []}}
    return out


def summary_lines(changes: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for section, c in changes.items():
        for key in c["added"]:
            lines.append(f"{section}: added {key}")
        for key in c["removed"]:
            lines.append(f"{section}: removed {key}")
        for key, fields in c["changed"].items():
            if section == key:
                lines.append(f"{section}: changed")
            else:
                lines.append(f"{section}: changed {key}" + (f" ({', '.join(fields)})" if fields else ""))
    return lines


def policy_diff(old_text: str, new_text: str, *, old_name: str, new_name: str) -> dict[str, Any]:
    unified = "".join(
        difflib.unified_diff(
            old_text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=old_name,
            tofile=new_name,
        )
    )
    changes = section_changes(_load(old_text), _load(new_text))
    return {"diff": unified, "changes": changes, "summary": summary_lines(changes)}
