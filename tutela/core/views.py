"""Views that belong to no domain: the health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse

from tutela import __version__


def healthz(request: HttpRequest) -> JsonResponse:
    """``{"status": "ok"|"degraded"|"error", "version", "database", "policy_version", "audit"}``.

    ``degraded`` (HTTP 503): Tutela answers but its audit chain is broken (``audit`` says where); ``error``
    (HTTP 503): the database does not answer. The audit state is the stored last verification plus the
    entries written since, so the check stays cheap (``tutela.core.audit_proof.audit_status``)."""
    status: dict[str, object] = {"status": "ok", "version": __version__, "database": connection.vendor}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        from tutela.policy.models import PolicyVersion

        active = PolicyVersion.objects.filter(active=True).values_list("number", "label").first()
        status["policy_version"] = f"v{active[0]} ({active[1]})" if active else None
        from tutela.core.audit_proof import audit_status

        audit = audit_status()
    except Exception as exc:  # the health check reports, it does not crash
        status.update(status="error", detail=type(exc).__name__)
        return JsonResponse(status, status=503)
    status["audit"] = {
        "intact": audit["intact"],
        "first_broken": audit["first_broken"],
        "verified_to": audit["verified_to"],
        "pending": audit["pending"],
        "last_full_check": audit["last_full_check"],
    }
    if not audit["intact"]:
        status["status"] = "degraded"
        return JsonResponse(status, status=503)
    return JsonResponse(status)
