"""Words for the keys the staff pages show: a request's status, a breach's incident type, a notice's delivery.

The domain apps store stable keys (``on_hold``, ``loss_or_theft``) that exports, filters and tests rely on;
a DPO reads words, in their own language. The apps' choices carry no translatable labels (and the catalogue
build skips the domain apps), so the staff pages keep their own: one table per kind of key, each entry a
translatable string with a context, so that the same English word ("Closed", "Sent") can agree in gender
and number with what it describes in French and Dutch. An unknown key is shown as it is: a key added by
an app before its word is added here stays readable, and nothing is hidden.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

LABELS: dict[str, dict[str, Promise]] = {
    "request_type": {
        "access": pgettext_lazy("request type", "Access"),
        "rectification": pgettext_lazy("request type", "Rectification"),
        "erasure": pgettext_lazy("request type", "Erasure"),
        "objection": pgettext_lazy("request type", "Objection"),
        "restriction": pgettext_lazy("request type", "Restriction"),
        "withdrawal": pgettext_lazy("request type", "Withdrawal of consent"),
        "portability": pgettext_lazy("request type", "Portability"),
    },
    "request_channel": {
        "portal": pgettext_lazy("request channel", "Portal"),
        "api": pgettext_lazy("request channel", "API"),
        "staff": pgettext_lazy("request channel", "Staff"),
        "email": pgettext_lazy("request channel", "E-mail"),
        "post": pgettext_lazy("request channel", "Post"),
    },
    "request_status": {
        "received": pgettext_lazy("request status", "Received"),
        "identity_pending": pgettext_lazy("request status", "Waiting for identity"),
        "on_hold": pgettext_lazy("request status", "On hold"),
        "in_progress": pgettext_lazy("request status", "In progress"),
        "answered": pgettext_lazy("request status", "Answered"),
        "refused": pgettext_lazy("request status", "Refused"),
        "withdrawn": pgettext_lazy("request status", "Withdrawn"),
    },
    "request_outcome": {
        "granted": pgettext_lazy("request outcome", "Granted"),
        "partial": pgettext_lazy("request outcome", "Partly granted"),
        "refused": pgettext_lazy("request outcome", "Refused"),
    },
    "deadline": {
        "on_time": pgettext_lazy("deadline", "on time"),
        "at_risk": pgettext_lazy("deadline", "at risk"),
        "overdue": pgettext_lazy("deadline", "overdue"),
        "paused": pgettext_lazy("deadline", "paused"),
        "closed": pgettext_lazy("deadline", "closed"),
    },
    "identity_method": {
        # the same words as the choices of the form on the request page
        "staff": _("in person / known to us"),
        "id_document": _("identity document"),
        "phone_callback": _("phone call-back"),
        "email_code": pgettext_lazy("identity method", "code sent by e-mail"),
    },
    "notice_status": {
        "pending": pgettext_lazy("delivery", "Pending"),
        "sent": pgettext_lazy("delivery", "Sent"),
        "failed": pgettext_lazy("delivery", "Failed"),
        "no_address": pgettext_lazy("delivery", "No e-mail address"),
    },
    "notice_channel": {
        "email": pgettext_lazy("notice channel", "E-mail"),
        "webhook": pgettext_lazy("notice channel", "Webhook"),
    },
    "item_status": {
        "active": pgettext_lazy("data item status", "Active"),
        "restricted": pgettext_lazy("data item status", "Restricted"),
        "archived": pgettext_lazy("data item status", "Archived"),
        "erased": pgettext_lazy("data item status", "Erased"),
    },
    "breach_status": {
        "reported": pgettext_lazy("breach status", "Reported"),
        "investigating": pgettext_lazy("breach status", "Under investigation"),
        "assessed": pgettext_lazy("breach status", "Assessed"),
        "closed": pgettext_lazy("breach status", "Closed"),
    },
    # the English words are the breach app's own labels (``tutela.breaches.models.IncidentType``)
    "incident_type": {
        "disclosure_by_mistake": pgettext_lazy(
            "incident type", "Data sent or shown to the wrong person by mistake"
        ),
        "unauthorised_access": pgettext_lazy(
            "incident type", "Unauthorised access (hacking, misuse of rights)"
        ),
        "ransomware": pgettext_lazy("incident type", "Ransomware or other malware"),
        "loss_or_theft": pgettext_lazy("incident type", "Loss or theft of a device or paper files"),
        "alteration": pgettext_lazy("incident type", "Data altered or destroyed"),
        "unavailability": pgettext_lazy("incident type", "Data unavailable"),
        "social_engineering": pgettext_lazy("incident type", "Social engineering (phishing, impersonation)"),
        "other": pgettext_lazy("incident type", "Other security incident"),
    },
    "severity": {
        "low": pgettext_lazy("severity", "low"),
        "medium": pgettext_lazy("severity", "medium"),
        "high": pgettext_lazy("severity", "high"),
        "very_high": pgettext_lazy("severity", "very high"),
    },
    "authority_phase": {
        "initial": pgettext_lazy("notification phase", "Initial notification"),
        "follow_up": pgettext_lazy("notification phase", "Follow-up notification"),
    },
    "communication_channel": {
        "email": pgettext_lazy("communication channel", "E-mail to each person"),
        "public_notice": pgettext_lazy("communication channel", "Public notice"),
    },
    "change_state": {
        "proposed": pgettext_lazy("change state", "Proposed"),
        "in_progress": pgettext_lazy("change state", "In progress"),
        "implemented": pgettext_lazy("change state", "Implemented"),
        "rejected": pgettext_lazy("change state", "Rejected"),
    },
}


def label(kind: str, value: Any) -> str:
    """The word for ``value`` of a kind of key, in the active language; the key itself when unknown."""
    if value is None or value == "":
        return ""
    word = LABELS.get(kind, {}).get(str(value))
    return str(word) if word is not None else str(value)


def choices(kind: str) -> list[tuple[str, Any]]:
    """(key, word) pairs of one kind, for a form's choices (lazy: translated when the form is shown)."""
    return list(LABELS[kind].items())
