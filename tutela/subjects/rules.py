"""Pure rules of the register (no database): what the policy allows an item to be.

Each function takes the parsed :class:`~tutela.policy.schema.Policy` and answers with a list of
:class:`~tutela.core.errors.FieldError` (empty = allowed) or a value. The services and the importer both
use them, so a row of a file and an API call are judged by exactly the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from tutela.core.errors import FieldError
from tutela.policy.schema import Category, Policy


def covers(parent: str, key: str) -> bool:
    """True when the category ``parent`` is ``key`` or one of its ancestors (fideslang keys nest with dots)."""
    return key == parent or key.startswith(parent + ".")


@dataclass(frozen=True)
class CategoryInfo:
    """What the policy says about one category key (resolved through its nearest declared parent)."""

    key: str
    declared: Category
    sensitive: bool
    special: bool
    identifier: str | None


def category_info(policy: Policy, key: str) -> CategoryInfo | None:
    declared = policy.category(key)
    special_listed = any(covers(s, key) for s in policy.special_categories)
    if declared is None:
        if special_listed:
            # a special category the policy lists but does not describe: still known, still special
            return CategoryInfo(key, Category(name=key, special=True), False, True, None)
        return None
    return CategoryInfo(
        key=key,
        declared=declared,
        sensitive=declared.sensitive,
        special=declared.special or special_listed,
        identifier=declared.identifier,
    )


def identifier_category(policy: Policy, kind: str) -> str | None:
    """The policy's category key for an identifier kind (email, phone, national_number, iban, vat)."""
    for key, cat in policy.categories.items():
        if cat.identifier == kind:
            return key
    return None


def check_category(policy: Policy, key: str, *, field: str = "category") -> list[FieldError]:
    if not key or category_info(policy, key) is None:
        return [FieldError(f"category {key!r} is not in the active policy", field=field)]
    return []


def check_source(
    policy: Policy, source: str, subject_type: str | None, *, field: str = "source"
) -> list[FieldError]:
    src = policy.sources.get(source)
    if src is None:
        known = ", ".join(sorted(policy.sources))
        return [FieldError(f"source {source!r} is not in the active policy (known: {known})", field=field)]
    if subject_type and src.subject_types and subject_type not in src.subject_types:
        return [
            FieldError(
                f"source {source!r} is not allowed for subject type {subject_type!r} "
                f"(policy sources.{source}.subject_types: {', '.join(src.subject_types)})",
                field=field,
            )
        ]
    return []


def check_controller(policy: Policy, controller: str, *, field: str = "controller") -> list[FieldError]:
    if controller not in policy.controllers:
        known = ", ".join(sorted(policy.controllers))
        return [
            FieldError(f"controller {controller!r} is not in the active policy (known: {known})", field=field)
        ]
    return []


def check_subject_type(policy: Policy, subject_type: str, *, field: str = "subject_type") -> list[FieldError]:
    if subject_type not in policy.subject_types:
        known = ", ".join(sorted(policy.subject_types))
        return [
            FieldError(
                f"subject type {subject_type!r} is not in the active policy (known: {known})", field=field
            )
        ]
    return []


def purpose_allows(
    policy: Policy, purpose: str, *, category: str, controller: str, subject_type: str | None
) -> str | None:
    """None when ``purpose`` may use ``category`` of this controller and subject type; else the reason."""
    p = policy.purposes.get(purpose)
    if p is None:
        return f"purpose {purpose!r} is not in the active policy"
    if controller not in p.controllers:
        return f"purpose {purpose!r} is not pursued by controller {controller!r}"
    if subject_type and subject_type not in p.subject_types:
        return f"purpose {purpose!r} does not concern subject type {subject_type!r}"
    if not any(covers(c, category) for c in p.categories):
        return f"purpose {purpose!r} does not use category {category!r}"
    return None


def source_allows(policy: Policy, purpose: str, source: str | None) -> bool:
    """Does the purpose take data from this source (a purpose listing no sources takes any)?"""
    p = policy.purposes.get(purpose)
    return p is not None and (not source or not p.sources or source in p.sources)


def default_purposes(
    policy: Policy,
    *,
    category: str,
    controller: str,
    subject_type: str | None,
    source: str | None = None,
) -> list[str]:
    """The purposes an item is collected for when none are given: the policy's defaults, nothing more.

    The defaults are the source's ``collected_for`` when it declares one, else the subject type's; of
    those, the purposes that may use this category of this controller and subject type and take data
    from this source. Nothing else is attached by default (issue 16): a member's national number does not
    get the subsidies purpose, twenty years and an archive, because that purpose could use it — the
    purposes must then be named (a mapping's ``purposes:``, the API's ``purposes``)."""
    src = policy.sources.get(source) if source else None
    if src is not None and src.collected_for:
        declared = list(src.collected_for)
    else:
        declared = (
            list(policy.subject_types[subject_type].collected_for)
            if subject_type in policy.subject_types
            else []
        )
    return [
        key
        for key in declared
        if purpose_allows(policy, key, category=category, controller=controller, subject_type=subject_type)
        is None
        and source_allows(policy, key, source)
    ]


def check_special(policy: Policy, info: CategoryInfo, purposes: list[str], *, field: str) -> list[FieldError]:
    """Art. 9 categories are refused (policy §3) unless one of the item's purposes has a legal requirement
    that covers the category."""
    if not info.special:
        return []
    for key in purposes:
        p = policy.purposes.get(key)
        if p and p.legal_requirement and any(covers(c, info.key) for c in p.categories):
            return []
    return [
        FieldError(
            f"category {info.key!r} is a special category (Art. 9 GDPR) that the policy refuses "
            "(§3, special_categories) unless a purpose with a legal_requirement covers it; "
            "no purpose of this item does",
            field=field,
        )
    ]


def check_item(
    policy: Policy,
    *,
    category: str,
    controller: str,
    subject_type: str | None,
    source: str,
    purposes: list[str] | None,
    field: str = "category",
) -> tuple[list[str], list[FieldError]]:
    """All the policy checks for one item. Returns (the purposes to record, the errors)."""
    errors = check_controller(policy, controller) + check_source(policy, source, subject_type)
    info = category_info(policy, category)
    if info is None:
        return [], [*errors, *check_category(policy, category, field=field)]
    if purposes:
        chosen = list(dict.fromkeys(purposes))
        for key in chosen:
            reason = purpose_allows(
                policy, key, category=category, controller=controller, subject_type=subject_type
            )
            if reason:
                errors.append(FieldError(reason, field=field))
    else:
        chosen = default_purposes(
            policy, category=category, controller=controller, subject_type=subject_type, source=source
        )
        if not chosen and not info.special:
            who = f" for subject type {subject_type!r}" if subject_type else ""
            could = [
                key
                for key in policy.purposes
                if purpose_allows(
                    policy, key, category=category, controller=controller, subject_type=subject_type
                )
                is None
            ]
            hint = (
                f"; name the purposes it is collected for (the policy allows: {', '.join(could)})"
                if could
                else ""
            )
            errors.append(
                FieldError(
                    f"no default purpose of controller {controller!r}{who} from source {source!r} uses "
                    f"category {category!r} (policy §4: data are collected only for a stated purpose){hint}",
                    field=field,
                )
            )
    errors.extend(check_special(policy, info, chosen, field=field))
    return chosen, errors
