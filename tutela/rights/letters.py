"""Letters to the person (acknowledgement, verification, extension, answer, refusal) in en, fr or nl.

Templates live in ``templates/rights/letters/<kind>.<language>.txt``: the first line is the subject, the rest
the body. Letters go out by mail once the transaction commits, only to the e-mail address held for the person
by the request's entities (``services.held_contact``) — never to the address the request came from or asked
to be answered at, which prove nothing. A request about nobody held gets its letters at the e-mail address
that was looked up (they say only that nothing is held; no code is ever sent there). With no address, the
letter is only recorded in the audit trail (staff write by post).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template import Context, Engine

from tutela.accounts.principal import Principal
from tutela.core.audit import audit_log
from tutela.core.mail import build_message, send_on_commit
from tutela.rights.models import RightsRequest

KINDS = ("acknowledgement", "verification", "extension", "answer", "refusal")
TEMPLATES = Path(__file__).parent / "templates"

TYPE_LABELS = {
    "en": {
        "access": "access to your data",
        "rectification": "rectification",
        "erasure": "erasure",
        "objection": "objection",
        "restriction": "restriction of processing",
        "withdrawal": "withdrawal of consent",
        "portability": "data portability",
    },
    "fr": {
        "access": "accès à vos données",
        "rectification": "rectification",
        "erasure": "effacement",
        "objection": "opposition",
        "restriction": "limitation du traitement",
        "withdrawal": "retrait du consentement",
        "portability": "portabilité des données",
    },
    "nl": {
        "access": "inzage in uw gegevens",
        "rectification": "rectificatie",
        "erasure": "wissing",
        "objection": "bezwaar",
        "restriction": "beperking van de verwerking",
        "withdrawal": "intrekking van de toestemming",
        "portability": "overdraagbaarheid van gegevens",
    },
}

MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


@lru_cache(maxsize=1)
def _engine() -> Engine:
    return Engine(dirs=[str(TEMPLATES)], autoescape=False)


def long_date(day: Any, language: str) -> str:
    months = MONTHS.get(language, MONTHS["en"])
    return f"{day.day} {months[day.month - 1]} {day.year}"


def _context(req: RightsRequest, language: str, extra: dict[str, Any]) -> dict[str, Any]:
    from tutela.policy.selectors import active_policy
    from tutela.rights.services import received_date

    policy = active_policy()
    auth = policy.authority
    addr = auth.address
    return {
        "ref": f"R-{req.pk}",
        "type_label": TYPE_LABELS.get(language, TYPE_LABELS["en"])[req.type],
        "received": long_date(received_date(req.received_at), language),
        "due": long_date(req.due, language),
        "extended_due": long_date(req.extended_due, language),
        "pending_identity": req.identity_verified_at is None,
        "organisation": policy.organisation.name,
        "dpo_email": policy.dpo.email,
        "authority_name": auth.name,
        "authority_address": f"{addr.street}, {addr.postal_code} {addr.city}",
        "authority_website": auth.website or "",
        "authority_email": auth.email or "",
        "verify_url": "",
        # where a portability request sends the data: the person sees it before confirming
        "transmit_to": str((req.details or {}).get("transmit_to") or "") if req.type == "portability" else "",
        **extra,
    }


def render(req: RightsRequest, kind: str, **extra: Any) -> tuple[str, str]:
    """(subject, body) of a letter in the request's language."""
    language = req.language if req.language in TYPE_LABELS else "en"
    template = _engine().get_template(f"rights/letters/{kind}.{language}.txt")
    text = template.render(Context(_context(req, language, extra)))
    subject, _, body = text.partition("\n")
    return subject.strip(), body.lstrip("\n")


def send(
    req: RightsRequest, kind: str, *, principal: Principal, address: str | None = None, **extra: Any
) -> bool:
    """Send a letter on commit; True when an address was known.

    ``address`` is for a caller that looked up :func:`~tutela.rights.services.letter_address` before the
    person's data went (an erasure's answer); otherwise it is looked up here."""
    from tutela.rights.services import letter_address

    if kind not in KINDS:
        raise ValueError(kind)
    to = address or letter_address(req)
    if kind == "verification":
        if req.subject_id is None:
            to = None  # a code proves nothing about nobody: never sent to a looked-up address
        # the page of the link asks for the code and posts it with the token
        base = getattr(settings, "TUTELA_BASE_URL", "")
        token = extra.pop("status_token", "")
        if token:
            extra.setdefault("verify_url", f"{base}/requests/verify/?token={token}")
    subject, body = render(req, kind, **extra)
    audit_log(
        "request.letter",
        object_type="request",
        object_id=req.pk,
        subject_id=req.subject_id,
        payload={"kind": kind, "language": req.language, "mailed": bool(to)},
        actor=principal.actor,
    )
    if not to:
        return False
    from tutela.policy.selectors import active_policy

    message = build_message(
        to=[to],
        subject=subject,
        text=body,
        language=req.language,
        reply_to=[active_policy().dpo.email],
        headers={"X-Tutela-Request": f"R-{req.pk}", "X-Tutela-Letter": kind},
    )
    send_on_commit(message)
    return True
