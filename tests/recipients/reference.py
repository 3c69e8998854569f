"""Expected transfer answers derived from the reference file, read with plain PyYAML (not Tutela's code)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

#: the shared reference tree lies beside the repository (``../shared``), in CI as on a workstation
REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "transfers.yaml"


def reference_data() -> dict[str, Any]:
    """The reference facts. Never Tutela's own shipped copy: expected values taken from the code under test
    would prove nothing, so a missing reference file fails the test loudly."""
    if not REFERENCE.is_file():
        raise FileNotFoundError(
            f"the reference file {REFERENCE} is missing: check out the shared tree beside the repository"
        )
    return yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))


def _code(value: Any) -> str:
    # plain YAML 1.1 reads the bare country code NO as false
    return "NO" if value is False else str(value)


def eea_states(ref: dict[str, Any]) -> set[str]:
    return {_code(c) for c in ref["eea"]["eu"]} | {_code(c) for c in ref["eea"]["efta"]}


def entry(ref: dict[str, Any], country: str) -> dict[str, Any] | None:
    return next((e for e in ref["adequacy"] if e.get("country") == country), None)


def _until_on(e: dict[str, Any], on: dt.date) -> dt.date | None:
    """The end of the window covering ``on``, read from the entry's valid_until and its history notes."""
    ends = sorted(
        dt.date.fromisoformat(m)
        for h in e.get("history", [])
        for m in re.findall(r"(?:until|expired) (\d{4}-\d\d-\d\d)", h)
    )
    final = e.get("valid_until")
    candidates = [*ends, final] if final else ends
    later = [d for d in candidates if d >= on]
    return min(later) if later else (final if final and on <= final else None)


def expected(country: str, on: dt.date, scheme: str | None = None) -> dict[str, Any]:
    ref = reference_data()
    if country in eea_states(ref):
        return {"eea": True, "adequate": False, "decision": None, "allowed_without_safeguards": True}
    e = entry(ref, country)
    if e is None:
        return {"eea": False, "adequate": False, "decision": None, "allowed_without_safeguards": False}
    final = e.get("valid_until")
    in_time = e["adopted"] <= on and (final is None or on <= final)
    scheme_ok = e.get("scheme") is None or e.get("scheme") == scheme
    ok = in_time and scheme_ok
    return {
        "eea": False,
        "adequate": ok,
        "decision": e["decision"] if ok else None,
        "allowed_without_safeguards": ok,
        "valid_until": _until_on(e, on) if ok and final else None,
    }
