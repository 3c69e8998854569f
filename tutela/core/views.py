"""Views that belong to no domain: the health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse

from tutela import __version__


def healthz(request: HttpRequest) -> JsonResponse:
    status: dict[str, object] = {"status": "ok", "version": __version__, "database": connection.vendor}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        from tutela.policy.models import PolicyVersion

        active = PolicyVersion.objects.filter(active=True).values_list("number", "label").first()
        status["policy_version"] = f"v{active[0]} ({active[1]})" if active else None
    except Exception as exc:  # the health check reports, it does not crash
        status.update(status="error", detail=type(exc).__name__)
        return JsonResponse(status, status=503)
    return JsonResponse(status)
