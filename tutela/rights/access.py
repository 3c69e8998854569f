"""The access package (Art. 15): data.json, CSV files and a readable index.html in the person's language.

``data.json`` has exactly the keys of the CLI contract, one per Art. 15 element: subject, personal_data,
purposes, categories, recipients, retention, sources, rights, complaint, automated_decisions, transfers.
Other people's e-mail addresses and phone numbers found in free text are redacted (Art. 15(4)).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.template import Context

from tutela.accounts.models import Role
from tutela.accounts.permissions import controllers_in_scope
from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.csvsafe import csv_safe
from tutela.core.errors import PermissionDenied
from tutela.rights import register

log = logging.getLogger("tutela.rights")

KEYS = (
    "subject",
    "personal_data",
    "purposes",
    "categories",
    "recipients",
    "retention",
    "sources",
    "rights",
    "complaint",
    "automated_decisions",
    "transfers",
)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?<!\w)\+?\d[\d ./-]{7,}\d")
REDACTED = "[redacted: concerns another person]"


def redact_others(text: str, own: set[str]) -> str:
    """Hide e-mail addresses and phone numbers of other people in a free text (the person's own stay)."""

    def email(m: re.Match[str]) -> str:
        return m.group(0) if m.group(0).lower() in own else REDACTED

    def phone(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return (
            m.group(0)
            if any(digits.endswith(o[-9:]) for o in own if o.isdigit() and len(o) >= 9)
            else REDACTED
        )

    return PHONE_RE.sub(phone, EMAIL_RE.sub(email, text))


def _retention_words(rule: Any, language: str) -> str:
    from tutela.policy.wording import retention_in_words

    try:
        return str(retention_in_words(rule, language))
    except Exception:  # wording is a nicety; the rule's own description is the fallback
        log.warning("retention wording failed for %s", getattr(rule, "name", rule), exc_info=True)
    return str(rule.description)


def _basis_words(basis: str, language: str) -> str:
    from tutela.policy.wording import legal_basis_in_words

    try:
        return str(legal_basis_in_words(basis, language))
    except Exception:  # wording is a nicety; the key is the fallback
        log.warning("legal basis wording failed for %s", basis, exc_info=True)
    return basis.replace("_", " ")


def package_controllers(principal: Principal, controllers: Sequence[str] | None = None) -> list[str]:
    """The entities whose data go into a package: those asked for (every entity of the policy when none)
    that ``principal`` acts for. PermissionDenied when it acts for none of them."""
    from tutela.policy.selectors import active_policy

    asked = list(controllers) if controllers else sorted(active_policy().controllers)
    mine = controllers_in_scope(principal, asked)
    if not mine:
        raise PermissionDenied(f"role {principal.role!r} may not build a package for {', '.join(asked)}")
    return mine


def _acting_for(principal: Principal, scope: list[str]) -> Principal:
    """``principal`` narrowed to the one entity of a request addressed to it (the disclosure log then shows
    that entity's disclosures only); unchanged for a request to every entity."""
    from tutela.policy.selectors import active_policy

    if len(scope) != 1 or (principal.controller == scope[0] and not principal.is_group_wide):
        return principal
    if set(scope) == set(active_policy().controllers):
        return principal
    return Principal(actor=principal.actor, role=Role.STAFF, controller=scope[0], user_id=principal.user_id)


def build_data(
    subject_id: int,
    *,
    principal: Principal,
    controllers: Sequence[str] | None = None,
    language: str = "en",
) -> dict[str, Any]:
    """The Art. 15 answer for one person, as the dict written to data.json: what ``controllers`` (the
    request's entities; every entity when None) hold about them, for those ``principal`` acts for."""
    from tutela.policy.selectors import active_policy
    from tutela.subjects.models import Subject

    scope = package_controllers(principal, controllers)
    policy = active_policy()
    subject = Subject.objects.get(pk=subject_id)
    items = [i for i in register.items_of(subject_id) if i.controller in scope]
    values = {i.pk: register.item_value(i) for i in items}
    own = {v.lower() for i, v in ((i, values[i.pk]) for i in items) if i.lookup}
    own |= {
        re.sub(r"\D", "", v)
        for i, v in ((i, values[i.pk]) for i in items)
        if i.lookup and re.sub(r"\D", "", v)
    }
    free_text = {"user.content.private", "user.content.survey_response", "user.social"}

    personal_data = []
    for i in items:
        value = values[i.pk]
        if i.category in free_text:
            value = redact_others(value, own)
        cat = policy.category(i.category)
        src = policy.sources.get(i.source)
        personal_data.append(
            {
                "category": i.category,
                "category_name": cat.name if cat else i.category,
                "value": value,
                "source": i.source,
                "source_name": src.name if src else i.source,
                "source_detail": redact_others(i.source_detail, own) if i.source_detail else "",
                "collected_at": clock.as_aware(i.collected_at).isoformat() if i.collected_at else None,
                "purposes": list(i.purposes or ()),
                "controller": i.controller,
                "status": i.status,
                "provided_by_you": bool(i.provided_by_subject),
            }
        )

    used_purposes = sorted({p for i in items for p in (i.purposes or ()) if p in policy.purposes})
    purposes = []
    for key in used_purposes:
        p = policy.purposes[key]
        entry: dict[str, Any] = {
            "key": key,
            "name": p.name,
            "description": p.description,
            "legal_basis": p.legal_basis,
            "legal_basis_text": _basis_words(p.legal_basis, language),
            "controllers": list(p.controllers),
        }
        if p.legal_basis == "legitimate_interest" and p.balancing_test is not None:
            entry["legitimate_interest"] = p.balancing_test.interest
        if p.legal_requirement:
            entry["legal_requirement"] = p.legal_requirement
        purposes.append(entry)

    used_categories = sorted({i.category for i in items})
    categories = []
    for key in used_categories:
        cat = policy.category(key)
        categories.append(
            {
                "key": key,
                "name": cat.name if cat else key,
                "count": sum(1 for i in items if i.category == key),
            }
        )

    from tutela.recipients.selectors import active_transfer_rules

    eea = active_transfer_rules().eea.states
    actual = register.recipients_of(subject_id, principal=_acting_for(principal, scope))
    kinds = []
    for key, r in policy.recipients.items():
        if set(r.purposes) & set(used_purposes) or not r.purposes:
            kinds.append(
                {
                    "key": key,
                    "name": r.name,
                    "role": r.role,
                    "country": r.country,
                    "outside_eea": (r.country or "").upper() not in eea,
                    "description": r.description,
                }
            )
    recipients = {"disclosed_to": actual, "categories_of_recipients": kinds}

    retention = []
    for key in used_purposes:
        p = policy.purposes[key]
        rule = policy.retention.get(p.retention)
        if rule is None:
            continue
        retention.append(
            {
                "purpose": key,
                "rule": p.retention,
                "period": rule.period,
                "counted_from": rule.trigger,
                "description": _retention_words(rule, language),
                "basis": rule.basis,
            }
        )

    used_sources = sorted({i.source for i in items})
    sources = []
    for key in used_sources:
        s = policy.sources.get(key)
        sources.append(
            {
                "key": key,
                "name": s.name if s else key,
                "description": s.description if s else "",
                "from_you": bool(s.from_subject) if s else False,
                "categories": sorted({i.category for i in items if i.source == key}),
            }
        )

    rights = [
        {"key": key, "name": r.name, "description": r.description, "article": r.article}
        for key, r in policy.rights.items()
    ]
    auth = policy.authority
    complaint = {
        "authority": auth.name,
        "address": f"{auth.address.street}, {auth.address.postal_code} {auth.address.city}",
        "country": auth.address.country,
        "website": auth.website,
        "email": auth.email,
        "dpo": {"name": policy.dpo.name, "email": policy.dpo.email},
    }
    profiling = [policy.purposes[k] for k in used_purposes if policy.purposes[k].profiling]
    automated = {
        "exists": False,
        "profiling": [{"purpose": p.name, "description": p.description} for p in profiling],
        "explanation": "We take no decision about you based solely on automated processing that produces legal "
        "effects or similarly significantly affects you (Art. 22 GDPR)."
        + (" Profiling is used only to tailor the information we send you." if profiling else ""),
    }
    outside = [k for k in kinds if k["outside_eea"]]
    transfers = {
        "outside_eea": [
            {
                "recipient": k["name"],
                "country": k["country"],
                "safeguard": policy.recipients[str(k["key"])].transfer_mechanism or "",
            }
            for k in outside
        ],
        "copy_of_safeguards": policy.transfers.copy_on_request,
    }
    relationships = [
        {
            "controller": r.controller,
            "kind": r.kind,
            "started_on": r.started_on.isoformat() if r.started_on else None,
            "ended_on": r.ended_on.isoformat() if r.ended_on else None,
        }
        for r in register.relationships_of(subject_id)
        if r.controller in scope
    ]
    controllers = sorted({i.controller for i in items} | {r["controller"] for r in relationships})
    data = {
        "subject": {
            "reference": str(subject.public_id),
            "language": subject.language,
            "generated_at": clock.now().isoformat(),
            "processed": bool(items),
            "relationships": relationships,
            "controllers": [
                {"key": c, "name": policy.controllers[c].name} for c in controllers if c in policy.controllers
            ],
        },
        "personal_data": personal_data,
        "purposes": purposes,
        "categories": categories,
        "recipients": recipients,
        "retention": retention,
        "sources": sources,
        "rights": rights,
        "complaint": complaint,
        "automated_decisions": automated,
        "transfers": transfers,
    }
    if tuple(data) != KEYS:  # the CLI contract: checked in every run, also under ``python -O``
        raise RuntimeError(f"access package keys {tuple(data)} differ from the contract {KEYS}")
    return data


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: csv_safe(";".join(map(str, v)) if isinstance(v, list) else v) for k, v in row.items()}
        )
    return buf.getvalue()


def render_index(data: dict[str, Any], language: str) -> str:
    from tutela.rights.access_labels import LABELS
    from tutela.rights.letters import _engine

    lang = language if language in LABELS else "en"
    template = _engine().get_template("rights/access/index.html")
    from django.utils.html import escape

    # the engine does not autoescape (letters are plain text): escape every string here
    def esc(value: Any) -> Any:
        if isinstance(value, str):
            return escape(value)
        if isinstance(value, list):
            return [esc(v) for v in value]
        if isinstance(value, dict):
            return {k: esc(v) for k, v in value.items()}
        return value

    return template.render(Context({**esc(data), "t": LABELS[lang], "lang": lang}))


def package_bytes(data: dict[str, Any], language: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
        zf.writestr(
            "personal_data.csv",
            _csv(
                data["personal_data"],
                [
                    "category",
                    "category_name",
                    "value",
                    "source",
                    "collected_at",
                    "purposes",
                    "controller",
                    "status",
                ],
            ),
        )
        zf.writestr(
            "purposes.csv",
            _csv(data["purposes"], ["key", "name", "legal_basis", "controllers", "description"]),
        )
        zf.writestr("categories.csv", _csv(data["categories"], ["key", "name", "count"]))
        zf.writestr(
            "recipients.csv",
            _csv(
                data["recipients"]["categories_of_recipients"],
                ["key", "name", "role", "country", "description"],
            ),
        )
        zf.writestr(
            "disclosures.csv",
            _csv(
                data["recipients"]["disclosed_to"],
                sorted({k for r in data["recipients"]["disclosed_to"] for k in r}),
            ),
        )
        zf.writestr(
            "retention.csv",
            _csv(data["retention"], ["purpose", "period", "counted_from", "description", "basis"]),
        )
        zf.writestr(
            "sources.csv", _csv(data["sources"], ["key", "name", "from_you", "categories", "description"])
        )
        zf.writestr("index.html", render_index(data, language))
    return buf.getvalue()


def write_package(
    subject_id: int,
    out: Path,
    *,
    principal: Principal,
    controllers: Sequence[str] | None = None,
    language: str | None = None,
    staged: bool = False,
) -> tuple[Path, int]:
    """Write the ZIP for one person; returns (path, number of items). With ``staged``, the file appears only
    when the current transaction commits (see :mod:`tutela.rights.packages`); otherwise it is written at once
    (to a temporary file, then renamed)."""
    from tutela.rights import packages
    from tutela.subjects.models import Subject

    subject = Subject.objects.get(pk=subject_id)
    lang = language or subject.language or "en"
    data = build_data(subject_id, principal=principal, controllers=controllers, language=lang)
    blob = package_bytes(data, lang)
    out = out.expanduser().resolve()
    if staged:
        packages.stage(out, blob)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + packages.PART)
        tmp.write_bytes(blob)
        tmp.replace(out)
    return out, len(data["personal_data"])
