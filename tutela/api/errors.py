"""One error body for the whole API: {"error": message, "errors": [{field, message, ...}]}."""

from __future__ import annotations

from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from tutela.core.errors import TutelaError


def install(api: NinjaAPI) -> None:
    @api.exception_handler(TutelaError)
    def tutela_error(request: HttpRequest, exc: TutelaError) -> HttpResponse:
        body: dict[str, object] = {"error": exc.message}
        if exc.errors:
            body["errors"] = [e.as_dict() for e in exc.errors]
        return api.create_response(request, body, status=exc.http_status)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "payload")),
                "message": e.get("msg", "invalid"),
            }
            for e in exc.errors
        ]
        return api.create_response(request, {"error": "invalid input", "errors": errors}, status=422)

    @api.exception_handler(OverflowError)
    def overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # a number larger than any identifier the database can hold: it names nothing
        return api.create_response(request, {"error": "a number in the request is out of range"}, status=400)

    @api.exception_handler(DataError)
    def data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
        # the database refused a value (out of range, too long): bad input, not a server fault
        return api.create_response(
            request, {"error": "a value in the request is out of range or too long"}, status=400
        )

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(request, {"error": "authentication required"}, status=401)
