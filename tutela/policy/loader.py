"""Reading a policy file into a :class:`Policy` (minimal; line-precise errors come with the validator)."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from tutela.core.errors import FieldError, InvalidInput
from tutela.policy.schema import Policy


@dataclass
class Parsed:
    policy: Policy
    errors: list[FieldError] = field(default_factory=list)


def parse_policy_text(text: str, *, filename: str = "<policy>") -> Parsed:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(
            f"{filename}: not valid YAML", errors=[FieldError(str(exc), file=filename)]
        ) from None
    try:
        return Parsed(Policy.model_validate(data))
    except Exception as exc:
        raise InvalidInput(
            f"{filename}: not a valid policy", errors=[FieldError(str(exc), file=filename)]
        ) from None
