"""A register policy for these tests: the shipped CRM Group policy plus what the register rules need to be
exercised whatever the policy file holds today (identifier categories used by a member purpose, a special
category, a joint purpose, a source restricted to one subject type)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

NN = "user.government_id.national_identification_number"
IBAN = "user.financial.bank_account"
EMAIL = "user.contact.email"
PHONE = "user.contact.phone_number"
DOB = "user.demographic.date_of_birth"
HEALTH = "user.health_and_medical"


def register_policy_data(base: dict[str, Any], *, health_law: bool = False) -> dict[str, Any]:
    data = copy.deepcopy(base)
    data["label"] = "register-tests"
    cats = data["categories"]
    cats.setdefault("user.name", {"name": "Name"})
    cats.setdefault("user.contact.address", {"name": "Postal address"})
    cats.setdefault(DOB, {"name": "Date of birth"})
    cats[EMAIL] = {**cats.get(EMAIL, {"name": "E-mail"}), "identifier": "email"}
    cats[PHONE] = {**cats.get(PHONE, {"name": "Phone"}), "identifier": "phone"}
    cats[NN] = {
        **cats.get(NN, {"name": "National number"}),
        "sensitive": True,
        "identifier": "national_number",
    }
    cats[IBAN] = {**cats.get(IBAN, {"name": "IBAN"}), "sensitive": True, "identifier": "iban"}
    cats.setdefault(HEALTH, {"name": "Health"})
    if HEALTH not in data["special_categories"]:
        data["special_categories"].append(HEALTH)
    for key in list(data["sources"]):
        data["sources"][key] = {k: v for k, v in data["sources"][key].items() if k != "subject_types"}
    data["sources"]["cctv"]["subject_types"] = ["visitor"]
    retention = next(iter(data["retention"]))
    for p in data["purposes"].values():
        p["joint"] = False
    data["purposes"]["register-admin"] = {
        "name": "Register administration",
        "description": "Identifying members and paying them back.",
        "legal_basis": "contract",
        "controllers": list(data["controllers"]),
        "subject_types": ["member", "customer", "prospect"],
        "categories": ["user.name", EMAIL, PHONE, "user.contact.address", DOB, NN, IBAN],
        "retention": retention,
    }
    data["purposes"]["joint-events"] = {
        "name": "Joint events",
        "description": "Events both entities run together.",
        "legal_basis": "contract",
        "controllers": list(data["controllers"]),
        "subject_types": ["event-participant"],
        "categories": ["user.name", EMAIL],
        "retention": retention,
        "joint": True,
    }
    if health_law:
        data["purposes"]["occupational-health"] = {
            "name": "Occupational health",
            "description": "What the law requires us to keep.",
            "legal_basis": "legal_obligation",
            "legal_requirement": "Code of well-being at work",
            "controllers": list(data["controllers"]),
            "subject_types": ["member"],
            "categories": [HEALTH],
            "retention": retention,
        }
    # items get every non-consent purpose of their type that may use them: each type names them all as its
    # defaults (Tutela attaches only the policy's defaults, never every compatible purpose)
    for key, st in data["subject_types"].items():
        st["collected_for"] = [
            k
            for k, p in data["purposes"].items()
            if key in p["subject_types"] and p["legal_basis"] != "consent"
        ]
    return data


def load_policy_data(data: dict[str, Any]) -> Any:
    from tutela.policy.selectors import active_policy, forget_cached_policy
    from tutela.policy.services import policy_load

    forget_cached_policy()
    policy_load(text=yaml.safe_dump(data, sort_keys=False), source_name="register-tests.yaml")
    forget_cached_policy()
    return active_policy()


@pytest.fixture
def register_policy(db: Any, policy_data: dict[str, Any]) -> Any:
    from tutela.policy.selectors import forget_cached_policy

    yield load_policy_data(register_policy_data(policy_data))
    forget_cached_policy()


@pytest.fixture
def register_policy_file(tmp_path: Path, policy_data: dict[str, Any]) -> Path:
    path = tmp_path / "register-policy.yaml"
    path.write_text(yaml.safe_dump(register_policy_data(policy_data), sort_keys=False), encoding="utf-8")
    return path
