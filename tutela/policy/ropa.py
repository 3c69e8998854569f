"""The record of processing activities (Art. 30(1) GDPR), one per controller, built from the policy.

Each purpose a controller pursues is one activity, with everything Art. 30(1) asks: (a) the controller, the
joint controllers and the DPO with their contact details; (b) the purpose; (c) the categories of data subjects
and of personal data; (d) the categories of recipients, including in third countries; (e) transfers and their
safeguards; (f) the time limits for erasure; (g) the security measures.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.template.loader import render_to_string

from tutela.core.errors import InvalidInput
from tutela.policy.loader import suggest
from tutela.policy.notice import address_line
from tutela.policy.schema import Controller, Policy
from tutela.policy.validate import EEA
from tutela.policy.wording import legal_basis_in_words, mechanism_in_words, retention_in_words

FORMATS = ("json", "csv", "html")
CSV_COLUMNS = (
    "controller",
    "activity",
    "name",
    "purpose",
    "legal_basis",
    "legal_requirement",
    "balancing_test",
    "controller_contact",
    "joint_controllers",
    "dpo",
    "subject_categories",
    "data_categories",
    "special_categories",
    "sources",
    "recipients",
    "transfers",
    "retention",
    "security_measures",
    "profiling",
    "direct_marketing",
)


def _controller(key: str, c: Controller) -> dict[str, Any]:
    return {
        "key": key,
        "name": c.name,
        "legal_form": c.legal_form,
        "address": address_line(c.address),
        "email": c.email or "",
        "enterprise_number": c.enterprise_number or "",
    }


def ropa_build(policy: Policy, *, controller: str | None = None) -> dict[str, Any]:
    """The record as plain data: ``{"controllers": [{"key", "name", …, "activities": [...]}]}``."""
    if controller is not None and controller not in policy.controllers:
        raise InvalidInput(
            f"unknown controller {controller!r}{suggest(controller, policy.controllers)}; "
            f"controllers: {', '.join(policy.controllers)}"
        )
    dpo = {"name": policy.dpo.name, "email": policy.dpo.email, "phone": policy.dpo.phone or ""}
    out = []
    for ckey, ctrl in policy.controllers.items():
        if controller is not None and ckey != controller:
            continue
        activities = []
        for pkey, p in policy.purposes.items():
            if ckey not in p.controllers:
                continue
            recipients = [
                (rkey, r) for rkey, r in policy.recipients.items() if not r.purposes or pkey in r.purposes
            ]
            rule = policy.retention.get(p.retention)
            activities.append(
                {
                    "key": pkey,
                    "name": p.name,
                    "purpose": p.description,
                    "legal_basis": p.legal_basis,
                    "legal_basis_words": legal_basis_in_words(p.legal_basis),
                    "legal_requirement": p.legal_requirement or "",
                    "balancing_test": p.balancing_test.model_dump() if p.balancing_test else None,
                    "consent": p.consent.model_dump() if p.consent else None,
                    "controller": _controller(ckey, ctrl),
                    "joint_controllers": [
                        _controller(k, policy.controllers[k])
                        for k in p.controllers
                        if k != ckey and k in policy.controllers
                    ],
                    "dpo": dpo,
                    "subject_categories": [
                        {"key": s, "name": policy.subject_types[s].name if s in policy.subject_types else s}
                        for s in p.subject_types
                    ],
                    "data_categories": [
                        {
                            "key": c,
                            "name": (policy.category(c).name if policy.category(c) else c),  # type: ignore[union-attr]
                            "sensitive": bool(policy.category(c) and policy.category(c).sensitive),  # type: ignore[union-attr]
                            "special": bool(policy.category(c) and policy.category(c).special),  # type: ignore[union-attr]
                        }
                        for c in p.categories
                    ],
                    "sources": [
                        {"key": s, "name": policy.sources[s].name if s in policy.sources else s}
                        for s in p.sources
                    ],
                    "recipients": [
                        {"key": rkey, "name": r.name, "role": r.role, "country": r.country}
                        for rkey, r in recipients
                    ],
                    "transfers": [
                        {
                            "recipient": rkey,
                            "country": r.country,
                            "mechanism": r.transfer_mechanism,
                            "safeguards": mechanism_in_words(r.transfer_mechanism or ""),
                        }
                        for rkey, r in recipients
                        if r.country not in EEA
                    ],
                    "retention": {
                        "key": p.retention,
                        "name": rule.name if rule else "",
                        "trigger": rule.trigger if rule else "",
                        "period": rule.period if rule else "",
                        "action": rule.action if rule else "",
                        "from_next_january": rule.from_next_january if rule else False,
                        "in_words": retention_in_words(rule) if rule else "",
                        "basis": rule.basis if rule else "",
                    },
                    "security_measures": list(policy.security),
                    "profiling": p.profiling,
                    "direct_marketing": p.direct_marketing,
                    "policy_section": p.policy_section,
                }
            )
        out.append({**_controller(ckey, ctrl), "dpo": dpo, "activities": activities})
    return {
        "policy": {"label": policy.label, "effective": policy.effective.isoformat()},
        "controllers": out,
    }


def csv_safe(value: Any) -> str:
    """A cell that spreadsheet programs will not run as a formula (``=``, ``+``, ``-``, ``@`` …)."""
    text = "" if value is None else str(value)
    if text and text[0] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def ropa_csv(record: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for ctrl in record["controllers"]:
        for a in ctrl["activities"]:
            bt = a["balancing_test"]
            row = {
                "controller": ctrl["key"],
                "activity": a["key"],
                "name": a["name"],
                "purpose": a["purpose"],
                "legal_basis": a["legal_basis"],
                "legal_requirement": a["legal_requirement"],
                "balancing_test": " / ".join(f"{k}: {v}" for k, v in bt.items() if v) if bt else "",
                "controller_contact": f"{ctrl['name']}, {ctrl['address']}, {ctrl['email']}",
                "joint_controllers": "; ".join(
                    f"{j['name']}, {j['address']}" for j in a["joint_controllers"]
                ),
                "dpo": f"{a['dpo']['name']} <{a['dpo']['email']}>",
                "subject_categories": "; ".join(s["name"] for s in a["subject_categories"]),
                "data_categories": "; ".join(c["key"] for c in a["data_categories"]),
                "special_categories": "; ".join(c["key"] for c in a["data_categories"] if c["special"]),
                "sources": "; ".join(s["key"] for s in a["sources"]),
                "recipients": "; ".join(
                    f"{r['name']} ({r['role']}, {r['country']})" for r in a["recipients"]
                ),
                "transfers": "; ".join(
                    f"{t['recipient']} → {t['country']}: {t['mechanism']}" for t in a["transfers"]
                ),
                "retention": f"{a['retention']['in_words']} ({a['retention']['action']}); {a['retention']['basis']}",
                "security_measures": "; ".join(a["security_measures"]),
                "profiling": "yes" if a["profiling"] else "no",
                "direct_marketing": "yes" if a["direct_marketing"] else "no",
            }
            writer.writerow([csv_safe(row[c]) for c in CSV_COLUMNS])
    return buf.getvalue()


def ropa_html(record: dict[str, Any]) -> str:
    return render_to_string("policy/ropa.html", record)


def ropa_export(policy: Policy, *, fmt: str, controller: str | None = None) -> str | dict[str, Any]:
    """The record in ``fmt``: a dict for json, text for csv and html."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}: use json, csv or html")
    record = ropa_build(policy, controller=controller)
    if fmt == "json":
        return record
    return ropa_csv(record) if fmt == "csv" else ropa_html(record)
