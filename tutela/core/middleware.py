"""Web middleware of the core: who acts, bound to one request and forgotten after it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tutela.core.audit import reset_actor, set_actor

#: the audit actor of a request until a login layer (API token or session, staff page) names its user
ANONYMOUS = "anonymous"


class AuditActorMiddleware:
    """Every request starts as ``anonymous`` in the audit trail; the API's auth classes and the staff
    pages' guard name the user within it; when the response is made the actor found before the request is
    put back. A worker thread serving one request after another thus never lends the previous request's
    user to the next one (a portal visitor after the DPO)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = set_actor(ANONYMOUS)
        try:
            return self.get_response(request)
        finally:
            reset_actor(token)
