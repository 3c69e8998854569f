"""One error body for the whole API: {"error": message, "errors": [{field, message, ...}]}.

Every answer under /api/ that is an error has this shape, whatever raised it: Tutela's own errors, the
framework's (validation, authentication, unknown route, wrong method, unparsable body) and anything
unexpected (a 500, logged with its traceback, whose body says nothing about the cause).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, cast

from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.parser import Parser

from tutela.core.errors import TutelaError

log = logging.getLogger("tutela.api")

#: how deep a JSON body may nest: Tutela's documents need a handful of levels, not thousands
MAX_JSON_DEPTH = 32


class BodyError(ValueError):
    """A request body Tutela refuses to read (the message says why)."""


def _check_json(value: Any) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH and strings that are not Unicode text (lone surrogates).

    Walks the document with an explicit stack: a recursive walk is exactly what a deep document breaks."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            _check_text(node)
            continue
        if not isinstance(node, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise BodyError(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, dict):
            for key, child in node.items():
                _check_text(key)
                stack.append((child, depth + 1))
        else:
            stack.extend((child, depth + 1) for child in node)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BodyError("the JSON body holds a string that is not valid Unicode (a lone surrogate)") from None


def load_json(raw: bytes | str) -> Any:
    """A JSON request body, or BodyError saying what is wrong with it (for views that parse by themselves)."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise BodyError(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels") from None
    except UnicodeDecodeError:
        raise BodyError("the request body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BodyError(f"the request body is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    _check_json(value)
    return value


class StrictParser(Parser):
    """Ninja's JSON parser with bounds: no deep nesting, no lone surrogates, a clear message otherwise."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return cast(dict[str, Any], load_json(request.body))


def error_body(message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": message}
    if errors:
        body["errors"] = errors
    return body


def install(api: NinjaAPI) -> None:
    def answer(request: HttpRequest, body: dict[str, Any], status: int) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(TutelaError)
    def tutela_error(request: HttpRequest, exc: TutelaError) -> HttpResponse:
        return answer(request, error_body(exc.message, [e.as_dict() for e in exc.errors]), exc.http_status)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {
                "field": ".".join(
                    str(p) for p in e.get("loc", ()) if p not in ("body", "payload", "query", "path")
                ),
                "message": e.get("msg", "invalid"),
            }
            for e in exc.errors
        ]
        return answer(request, error_body("invalid input", errors), 422)

    @api.exception_handler(OverflowError)
    def overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # a number larger than any identifier the database can hold: it names nothing
        return answer(request, error_body("a number in the request is out of range"), 400)

    @api.exception_handler(DataError)
    def data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
        # the database refused a value (out of range, too long): bad input, not a server fault
        return answer(request, error_body("a value in the request is out of range or too long"), 400)

    @api.exception_handler(BodyError)
    def body_error(request: HttpRequest, exc: BodyError) -> HttpResponse:
        return answer(request, error_body(str(exc)), 400)

    @api.exception_handler(RecursionError)
    def too_deep(request: HttpRequest, exc: RecursionError) -> HttpResponse:
        return answer(request, error_body("the request nests too deeply to be read"), 400)

    @api.exception_handler(UnicodeError)
    def not_text(request: HttpRequest, exc: UnicodeError) -> HttpResponse:
        return answer(request, error_body("the request holds text that is not valid Unicode"), 400)

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return answer(request, error_body("authentication required"), 401)

    @api.exception_handler(AuthorizationError)
    def forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return answer(request, error_body("not allowed"), 403)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        cause = exc.__cause__
        if isinstance(cause, BodyError):  # the parser's own words beat "Cannot parse request body"
            return answer(request, error_body(str(cause)), 400)
        return answer(request, error_body(_reason(exc.status_code, str(exc))), exc.status_code)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return answer(request, error_body("not found"), 404)

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.error("unexpected error on %s %s", request.method, request.path, exc_info=exc)
        return answer(request, error_body("internal error; the details are in the server's error log"), 500)


def _reason(status: int, fallback: str = "") -> str:
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return fallback or "error"


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


class ApiErrorMiddleware:
    """The fallback for /api/ paths: an error answer that is not the API's JSON (Django's 404 page for an
    unknown route, the plain 405 of a wrong method, a 500 page, a CSRF or lock-out page) is replaced by
    the one documented body, keeping the status and the headers that matter (Allow, Retry-After)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not _is_api(request) or response.status_code < 400 or _is_json(response):
            return response
        status = response.status_code
        message = {404: "no such route", 405: f"method {request.method} not allowed here"}.get(
            status, _reason(status)
        )
        if status >= 500:
            message = "internal error; the details are in the server's error log"
        replaced = JsonResponse(error_body(message), status=status)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                replaced[header] = response[header]
        return replaced

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not _is_api(request) or isinstance(exc, Http404):
            return None
        log.error("unexpected error on %s %s", request.method, request.path, exc_info=exc)
        return JsonResponse(
            error_body("internal error; the details are in the server's error log"), status=500
        )
