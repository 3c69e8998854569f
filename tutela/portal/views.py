"""Public pages about the policy. They hold no logic: they read the policy and its selectors."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.safestring import mark_safe

from tutela.core.errors import InvalidInput, NotFound
from tutela.policy.models import PolicyVersion
from tutela.portal.context import portal_context
from tutela.portal.ids import parse_id
from tutela.portal.optional import resolve


def root(request: HttpRequest) -> HttpResponse:
    language = translation.get_language_from_request(request, check_path=False)
    return redirect(f"/{language}/")


def home(request: HttpRequest) -> HttpResponse:
    context = portal_context(request, nav="home")
    context["latest_change"] = _latest_substantial_change()
    return render(request, "portal/home.html", context)


def _latest_substantial_change() -> PolicyVersion | None:
    """The active version when it was marked substantial: the portal announces the change."""
    return (
        PolicyVersion.objects.filter(active=True, substantial=True)
        .only("number", "label", "effective", "change_summary", "substantial")
        .first()
    )


def _rendered_notice(policy: Any, language: str) -> str | None:
    render_notice = resolve("tutela.policy.selectors.notice_render")
    if render_notice is None or policy is None:
        return None
    try:
        text = render_notice(policy, "html", language)
    except (InvalidInput, NotFound, ValueError, TypeError):
        return None
    return mark_safe(str(text))


def policy_current(request: HttpRequest) -> HttpResponse:
    context = portal_context(request, nav="policy")
    language = translation.get_language() or "en"
    context["notice_html"] = _rendered_notice(context["policy"], language)
    context["version"] = (
        PolicyVersion.objects.filter(active=True)
        .only("number", "label", "effective", "substantial", "change_summary", "loaded_at")
        .first()
    )
    return render(request, "portal/policy.html", context)


def _versions() -> list[Any]:
    listing = resolve("tutela.policy.selectors.versions")
    if listing is not None:
        return list(listing())
    return list(
        PolicyVersion.objects.order_by("-number").only(
            "number", "label", "effective", "substantial", "change_summary", "loaded_at", "active"
        )
    )


def policy_history(request: HttpRequest) -> HttpResponse:
    versions = _versions()
    return render(request, "portal/history.html", portal_context(request, nav="policy", versions=versions))


def _parse_number(value: str | None) -> int | None:
    return parse_id(value)


def policy_diff(request: HttpRequest) -> HttpResponse:
    a = _parse_number(request.GET.get("a"))
    b = _parse_number(request.GET.get("b"))
    if a is None or b is None:
        raise Http404("choose two versions")
    numbers = set(PolicyVersion.objects.filter(number__in=[a, b]).values_list("number", flat=True))
    if numbers != {a, b}:
        raise Http404("no such version")
    diff_fn = resolve("tutela.policy.selectors.version_diff")
    summary: list[str] = []
    result: Any = None
    if diff_fn is not None:
        try:
            result = diff_fn(a, b)
        except (InvalidInput, NotFound):
            result = None
    if isinstance(result, dict):
        summary = [str(line) for line in result.get("summary") or []]
        lines = _lines_of(str(result.get("diff") or ""))
    else:
        lines = _text_diff(a, b)
    context = portal_context(request, nav="policy", a=a, b=b, lines=lines, summary=summary)
    return render(request, "portal/diff.html", context)


def _lines_of(text: str) -> list[dict[str, str]]:
    out = []
    for line in text.splitlines():
        if line.startswith(("+++", "---")):
            continue
        kind = (
            "add"
            if line.startswith("+")
            else "del"
            if line.startswith("-")
            else "hunk"
            if line.startswith("@@")
            else ""
        )
        out.append({"kind": kind, "text": line[1:] if kind in ("add", "del") else line})
    return out


def _text_diff(a: int, b: int) -> list[dict[str, str]]:
    import difflib

    contents = dict(PolicyVersion.objects.filter(number__in=[a, b]).values_list("number", "content"))
    diff = difflib.unified_diff(
        contents[a].splitlines(), contents[b].splitlines(), f"v{a}", f"v{b}", lineterm="", n=2
    )
    return _lines_of("\n".join(diff))
