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
                actor=principal.actor,
            )
        if person is not None and can_see_subject(principal, person.pk):
            return redirect("dashboard:person", public_id=person.public_id)
        context["not_found"] = True
    return render(request, "dashboard/people.html", context)


@staff_required
def person_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    principal: Principal = request.principal  # type: ignore[attr-defined]
    from tutela.consent.selectors import consents_of_subject
    from tutela.recipients.selectors import disclosures_of_subject
    from tutela.retention.selectors import retention_summary_for_subject
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
            actor=principal.actor,
        )
    # every register below scopes itself to the principal: the other entity's consent evidence,
    # objections and disclosures never reach an entity's staff
    summary = subject_summary(person.pk, principal=principal)
    item_ids = {i["id"] for i in summary["items"]}
    retention = retention_summary_for_subject(person.pk, principal=principal)
    context: dict[str, Any] = {
        "nav": "people",
        "person": summary,
        "principal": principal,
        "consents": consents_of_subject(person.pk, principal=principal),
        "disclosures": disclosures_of_subject(person.pk, principal=principal),
        "retention": {r["item_id"]: r for r in retention if r["item_id"] in item_ids},
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
