"""The public privacy notice, generated from the policy (Markdown or HTML; English, French or Dutch).

``notice_render(policy, "html", "fr")`` is what the portal and ``tutela policy render`` call: the notice can
never drift from the policy Tutela enforces, because it is made from the same file.
"""

from __future__ import annotations

import re
from typing import Any

from django.template.loader import render_to_string

from tutela.policy.notice_text import TEXT
from tutela.policy.schema import Address, Policy
from tutela.policy.validate import EEA
from tutela.policy.wording import (
    legal_basis_in_words,
    mechanism_in_words,
    retention_action_in_words,
    retention_in_words,
    role_in_words,
)

FORMATS = ("md", "html")
_GROUNDS: dict[str, dict[str, str]] = {
    "en": {
        "legal_obligation": "the law obliges us to keep the data (for example accounting documents)",
        "legal_claims": "the data are needed for the establishment, exercise or defence of a right in court",
        "freedom_of_expression": "the processing is needed for freedom of expression and information",
        "public_interest_archiving": "archiving in the public interest, scientific or historical research or statistics",
        "public_health": "reasons of public interest in public health",
    },
    "fr": {
        "legal_obligation": "la loi nous oblige à conserver les données (par exemple les documents comptables)",
        "legal_claims": "les données sont nécessaires à la constatation, à l'exercice ou à la défense d'un droit en justice",
        "freedom_of_expression": "le traitement est nécessaire à la liberté d'expression et d'information",
        "public_interest_archiving": "l'archivage dans l'intérêt public, la recherche scientifique ou historique ou la statistique",
        "public_health": "des motifs d'intérêt public dans le domaine de la santé publique",
    },
    "nl": {
        "legal_obligation": "de wet verplicht ons de gegevens te bewaren (bijvoorbeeld boekhoudkundige stukken)",
        "legal_claims": "de gegevens nodig zijn voor de instelling, uitoefening of verdediging van een recht in rechte",
        "freedom_of_expression": "de verwerking nodig is voor de vrijheid van meningsuiting en informatie",
        "public_interest_archiving": "archivering in het algemeen belang, wetenschappelijk of historisch onderzoek of statistiek",
        "public_health": "redenen van algemeen belang op het gebied van de volksgezondheid",
    },
}


def address_line(address: Address) -> str:
    return f"{address.street}, {address.postal_code} {address.city}, {address.country}"


def _join(items: list[str], lang: str, *, either: bool = False) -> str:
    words = {"en": ("and", "or"), "fr": ("et", "ou"), "nl": ("en", "of")}.get(lang, ("and", "or"))
    conj = words[1] if either else words[0]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


def notice_context(policy: Policy, lang: str = "en") -> dict[str, Any]:
    """Everything the notice templates need, with the fixed sentences already in ``lang``."""
    lang = lang if lang in TEXT else "en"
    text = TEXT[lang]
    controllers = list(policy.controllers.values())
    names = [c.name for c in controllers]
    cats = policy.categories

    def cat_name(key: str) -> str:
        c = policy.category(key)
        return c.name if c else key

    outside = [
        {
            "name": r.name,
            "country": r.country,
            "mechanism": mechanism_in_words(r.transfer_mechanism or "", lang),
        }
        for r in policy.recipients.values()
        if r.country not in EEA
    ]
    t = dict(text)
    t["version"] = text["version"].format(label=policy.label, effective=policy.effective.isoformat())
    t["who_intro"] = text["who_intro"].format(organisation=policy.organisation.name)
    t["dpo_line"] = text["dpo_line"].format(email=policy.dpo.email)
    t["recipients_intro"] = text["recipients_intro"].format(controllers=_join(names, lang))
    t["exercise_text"] = text["exercise_text"].format(
        email=policy.dpo.email,
        months=policy.deadlines.answer_months,
        extension=policy.deadlines.extension_months,
    )
    t["breach_text"] = text["breach_text"].format(
        email=policy.breach.report_to,
        marker=policy.breach.urgency_marker,
        includes="; ".join(policy.breach.report_must_include),
        hours=policy.breach.investigation_hours,
        authority_hours=policy.breach.authority_notification_hours,
    )
    t["contact_text"] = text["contact_text"].format(email=policy.dpo.email)

    purposes = []
    for key, p in policy.purposes.items():
        rule = policy.retention.get(p.retention)
        objection = p.objection_rule()
        purposes.append(
            {
                "key": key,
                "name": p.name,
                "description": p.description,
                "basis": legal_basis_in_words(p.legal_basis, lang),
                "law": p.legal_requirement or "",
                "data": ", ".join(cat_name(c) for c in p.categories),
                "who": ", ".join(
                    policy.subject_types[s].name if s in policy.subject_types else s for s in p.subject_types
                ),
                "kept": f"{retention_in_words(rule, lang)}, {retention_action_in_words(rule, lang)}"
                if rule
                else "",
                "interest": p.balancing_test.interest if p.balancing_test else "",
                "consent_wording": p.consent.wording if p.consent else "",
                "withdrawal": p.consent.withdrawal if p.consent else "",
                "objection": text["object_prospecting"]
                if objection == "absolute"
                else (text["object_reasons"] if objection == "reasons" else ""),
                "profiling": text["profiling"] if p.profiling else "",
            }
        )
    used_rules = list(dict.fromkeys(p.retention for p in policy.purposes.values()))
    retention = [
        {
            "name": policy.retention[k].name,
            "words": retention_in_words(policy.retention[k], lang),
            "action": retention_action_in_words(policy.retention[k], lang),
            "basis": policy.retention[k].basis,
            "exceptions": policy.retention[k].exceptions,
        }
        for k in used_rules
        if k in policy.retention
    ]
    rights = []
    for r in policy.rights.values():
        extra = []
        if r.dated_and_signed:
            extra.append(text["dated_signed"])
        if r.not_against:
            extra.append(
                text["no_objection"].format(
                    bases=_join([legal_basis_in_words(b, lang) for b in r.not_against], lang, either=True)
                )
            )
        if r.refusal_grounds:
            extra.append(
                text["refusal"].format(
                    grounds="; ".join(_GROUNDS[lang].get(g, g.replace("_", " ")) for g in r.refusal_grounds)
                )
            )
        rights.append(
            {
                "name": r.name,
                "article": text["article"].format(article=r.article),
                "description": r.description,
                "conditions": [*extra, *[c for c in r.conditions if c not in extra]],
            }
        )
    authority = policy.authority
    return {
        "lang": lang,
        "t": t,
        "policy": policy,
        "organisation": policy.organisation.name,
        "notice": policy.notice,
        "controllers": [
            {"name": c.name, "legal_form": c.legal_form, "address": address_line(c.address)}
            for c in controllers
        ],
        "processor_activities": policy.processor_activities,
        "dpo_email": policy.dpo.email,
        "categories": [c.name for c in cats.values() if not c.special],
        "specials": [cat_name(k) for k in policy.special_categories],
        "principles": policy.principles,
        "sources": [{"name": s.name, "description": s.description} for s in policy.sources.values()],
        "purposes": purposes,
        "recipients": [
            {"name": r.name, "role": role_in_words(r.role, lang), "description": r.description}
            for r in policy.recipients.values()
        ],
        "retention": retention,
        "security": policy.security,
        "mechanisms": [mechanism_in_words(m, lang) for m in policy.transfers.mechanisms],
        "derogations": policy.transfers.derogations,
        "transfers": policy.transfers,
        "outside": outside,
        "rights": rights,
        "authority": {
            "name": authority.name,
            "address": address_line(authority.address),
            "website": authority.website or "",
            "email": authority.email or "",
        },
        "changes": policy.changes,
    }


def notice_render(policy: Policy, fmt: str = "md", lang: str = "en", *, standalone: bool = False) -> str:
    """The privacy notice in ``fmt`` (``md`` or ``html``) and ``lang`` (``en``, ``fr``, ``nl``).

    HTML is an ``<article>`` fragment for embedding, or a whole page with ``standalone=True``.
    """
    if fmt not in FORMATS:
        from tutela.core.errors import InvalidInput

        raise InvalidInput(f"unknown format {fmt!r}: use md or html")
    context = notice_context(policy, lang)
    context["standalone"] = standalone
    out: str = str(render_to_string(f"policy/notice.{fmt}", context))
    if fmt == "md":
        out = re.sub(r"[ \t]+\n", "\n", out)
        out = re.sub(r"\n{3,}", "\n\n", out).strip() + "\n"
    return out
