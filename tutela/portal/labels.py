"""Names of the GDPR rights in the visitor's language. The policy file words them in English; the portal
shows these translations for the standard rights and the policy's own words for any other key."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

RIGHT_NAMES = {
    "access": gettext_lazy("Right of access"),
    "rectification": gettext_lazy("Right to rectification"),
    "erasure": gettext_lazy("Right to erasure"),
    "objection": gettext_lazy("Right to object"),
    "restriction": gettext_lazy("Right to restriction of processing"),
    "withdrawal": gettext_lazy("Right to withdraw consent"),
    "portability": gettext_lazy("Right to data portability"),
}
RIGHT_DESCRIPTIONS = {
    "access": gettext_lazy("A description and a copy of your personal data, and why we process them."),
    "rectification": gettext_lazy("Correction of inaccurate or incomplete data."),
    "erasure": gettext_lazy(
        "Deletion of your data, in particular when they are no longer needed for the purposes they were "
        "collected for."
    ),
    "objection": gettext_lazy(
        "Objection to processing based on our legitimate interest, and to prospecting at any time."
    ),
    "restriction": gettext_lazy(
        "Limitation of the processing of your data while a question about them is settled."
    ),
    "withdrawal": gettext_lazy("Withdrawal, at any time, of a consent you gave."),
    "portability": gettext_lazy(
        "The data you provided to us, in a structured machine-readable form, for you or sent directly to "
        "another controller where technically possible."
    ),
}


def right_view(key: str, rule: Any) -> dict[str, Any]:
    """What the portal shows of one right: translated name and description, and the policy's flags."""
    return {
        "key": key,
        "name": RIGHT_NAMES.get(key, rule.name),
        "description": RIGHT_DESCRIPTIONS.get(key, rule.description),
        "article": rule.article,
        "dated_and_signed": rule.dated_and_signed,
        "needs_reasons": rule.needs_reasons,
    }
