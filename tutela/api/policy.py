"""API routes for the policy: the public notice and version history (anonymous), the RoPA (staff).

Anonymous routes return only what the organisation publishes (the notice, the policy text, its history); who
loaded a version is not shown to them.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from tutela.api.auth import principal
from tutela.core.errors import InvalidInput, PermissionDenied
from tutela.policy.models import PolicyVersion

router = Router(tags=["policy"])

_CONTENT_TYPES = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}


class VersionOut(Schema):
    version: int
    label: str
    effective: str
    loaded_at: str
    substantial: bool
    summary: str
    hash: str
    active: bool


def _version_out(v: PolicyVersion) -> dict[str, Any]:
    return {
        "version": v.number,
        "label": v.label,
        "effective": v.effective.isoformat(),
        "loaded_at": v.loaded_at.isoformat(),
        "substantial": v.substantial,
        "summary": v.change_summary,
        "hash": v.content_hash,
        "active": v.active,
    }


@router.get("/notice", auth=None)
def notice(
    request: HttpRequest, lang: str = "en", format: str = "html", version: int | None = None
) -> HttpResponse:
    """The privacy notice (``format`` md or html, ``lang`` en, fr or nl), of the active or a given version."""
    from tutela.policy.notice import notice_render
    from tutela.policy.selectors import version_get, version_policy

    if lang not in ("en", "fr", "nl"):
        raise InvalidInput(f"unknown language {lang!r}: use en, fr or nl")
    if format not in _CONTENT_TYPES:
        raise InvalidInput(f"unknown format {format!r}: use md or html")
    row = version_get(version)
    content = notice_render(version_policy(row), format, lang)
    response = HttpResponse(content, content_type=_CONTENT_TYPES[format])
    response["Content-Language"] = lang
    response["X-Policy-Version"] = str(row.number)
    return response


@router.get("/versions", auth=None, response=list[VersionOut])
def versions_list(request: HttpRequest) -> Any:
    """Every published version, newest first."""
    from tutela.policy.selectors import versions

    return [_version_out(v) for v in versions()]


@router.get("/versions/{number}", auth=None, response=VersionOut)
def version_show(request: HttpRequest, number: int) -> Any:
    from tutela.policy.selectors import version_get

    return _version_out(version_get(number))


@router.get("/versions/{number}/yaml", auth=None)
def version_yaml(request: HttpRequest, number: int) -> HttpResponse:
    """The policy file of a version, exactly as loaded."""
    from tutela.policy.selectors import version_get

    row = version_get(number)
    return HttpResponse(row.content, content_type="application/yaml; charset=utf-8")


@router.get("/diff", auth=None)
def diff(request: HttpRequest, a: int, b: int) -> Any:
    """What changed from version ``a`` to ``b``: unified diff and a summary per section."""
    from tutela.policy.selectors import version_diff

    return version_diff(a, b)


@router.get("/ropa")
def ropa(request: HttpRequest, format: str = "json", controller: str | None = None) -> Any:
    """The record of processing activities (staff). Staff scoped to one entity see that entity's record."""
    from tutela.core.audit import audit_log
    from tutela.policy.ropa import FORMATS, ropa_export
    from tutela.policy.selectors import active_policy, active_version

    who = principal(request)
    if format not in FORMATS:
        raise InvalidInput(f"unknown format {format!r}: use json, csv or html")
    if not who.is_group_wide:
        if controller and controller != who.controller:
            raise PermissionDenied(f"your account sees only the record of {who.controller}")
        controller = who.controller
    exported = ropa_export(active_policy(), fmt=format, controller=controller)
    audit_log(
        "ropa.export",
        object_type="policy_version",
        object_id=active_version().number,
        payload={"format": format, "controller": controller, "via": "api"},
    )
    if isinstance(exported, dict):
        return HttpResponse(json.dumps(exported, ensure_ascii=False), content_type="application/json")
    content_type = "text/csv; charset=utf-8" if format == "csv" else "text/html; charset=utf-8"
    response = HttpResponse(exported, content_type=content_type)
    if format == "csv":
        response["Content-Disposition"] = 'attachment; filename="ropa.csv"'
    return response
