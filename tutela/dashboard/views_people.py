"""A person's 360° page and the exact-identifier search that leads to it.

What a principal sees comes from the register's scoping (``visible_items``/``can_see_subject``): staff of
one entity see their entity's items, consents, requests and disclosures only. Opening the page is a read of
personal data: it is written to the audit trail.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tutela.accounts.principal import Principal
from tutela.core.audit import audit_log
from tutela.dashboard import queries
from tutela.dashboard.access import staff_required
from tutela.dashboard.forms import PersonSearchForm
from tutela.portal.optional import resolve
from tutela.portal.ratelimit import allow

#: audit entries shown on the page (newest first)
AUDIT_ROWS = 100


@staff_required
@require_http_methods(["GET", "POST"])
def people_search(request: HttpRequest) -> HttpResponse:
    """A POST, so that an identifier (a national number …) never lands in a URL or an access log."""
    principal: Principal = request.principal  # type: ignore[attr-defined]
    form = PersonSearchForm(request.POST or None)
    context: dict[str, Any] = {"nav": "people", "form": form}
    if form.is_valid():
        if not allow(request, f"staff-search:{principal.actor}", limit=600):
            return render(request, "dashboard/people.html", {**context, "limited": True}, status=429)
        from tutela.subjects.scoping import can_see_subject
        from tutela.subjects.selectors import resolve_identifier

        person = resolve_identifier(form.cleaned_data["identifier"])
        with transaction.atomic():
            audit_log(
                "subject.search",
                object_type="subject",
                object_id=person.pk if person else "",
                subject_id=person.pk if person else None,
                payload={"found": person is not None},
            )
        if person is not None and can_see_subject(principal, person.pk):
            return redirect("dashboard:person", public_id=person.public_id)
        context["not_found"] = True
    return render(request, "dashboard/people.html", context)


def _scoped(
    rows: list[dict[str, Any]], principal: Principal, key: str = "controller"
) -> list[dict[str, Any]]:
    if principal.is_group_wide:
        return rows
    return [r for r in rows if r.get(key) in ("", None, principal.controller)]


@staff_required
def person_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    principal: Principal = request.principal  # type: ignore[attr-defined]
    from tutela.subjects.models import Subject
    from tutela.subjects.scoping import can_see_subject
    from tutela.subjects.selectors import subject_summary

    try:
        key = uuid.UUID(public_id)
    except ValueError:
        raise Http404("no such person") from None
    person = Subject.objects.filter(public_id=key).only("id", "public_id").first()
    if person is None or not can_see_subject(principal, person.pk):
        raise Http404("no such person")
    with transaction.atomic():
        audit_log(
            "subject.read",
            object_type="subject",
            object_id=person.pk,
            subject_id=person.pk,
            payload={"page": "staff.person"},
        )
    summary = subject_summary(person.pk, principal=principal)
    item_ids = {i["id"] for i in summary["items"]}
    consents = resolve("tutela.consent.selectors.consents_of_subject")
    disclosures = resolve("tutela.recipients.selectors.disclosures_of_subject")
    retention = resolve("tutela.retention.selectors.retention_summary_for_subject")
    context: dict[str, Any] = {
        "nav": "people",
        "person": summary,
        "principal": principal,
        "consents": _scoped(consents(person.pk), principal) if consents else None,
        "disclosures": _scoped(disclosures(person.pk), principal) if disclosures else None,
        "retention": (
            {r["item_id"]: r for r in retention(person.pk) if r["item_id"] in item_ids} if retention else None
        ),
        "requests": list(
            queries.scoped_requests(principal)
            .filter(subject_id=person.pk)
            .only("id", "type", "status", "received_at", "due", "extended_due", "extended")
            .order_by("-received_at")
        ),
    }
    if principal.is_group_wide:
        from tutela.core.models import AuditEntry

        context["audit"] = list(
            AuditEntry.objects.filter(subject_id=person.pk)
            .only("seq", "at", "actor", "action", "object_type", "object_id", "redacted_at")
            .order_by("-seq")[:AUDIT_ROWS]
        )
    return render(request, "dashboard/person.html", context)
