"""Newsletter pages: double opt-in, preferences and one-click unsubscribe (RFC 8058).

The consent app's services hold the ledger and send the mails; these views only parse and render. They
act as the public (``PUBLIC``): the services accept only the proof they check themselves (the confirmation
token, the signed unsubscribe or preferences link).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tutela.accounts.principal import PUBLIC
from tutela.consent import newsletter
from tutela.portal.context import portal_context
from tutela.portal.forms import NewsletterForm, PreferencesForm
from tutela.portal.ratelimit import allow, client_ip
from tutela.portal.views_rights import SERVICE_ERRORS, rate_limited


def _proof(request: HttpRequest) -> dict[str, str]:
    """What the consent ledger keeps as a fingerprint of the request (it stores a hash, not the values)."""
    return {"ip": client_ip(request), "user_agent": str(request.META.get("HTTP_USER_AGENT", ""))[:300]}


def _topics() -> list[tuple[str, str]]:
    try:
        return [(str(k), str(v)) for k, v in newsletter.newsletter_topics()]
    except SERVICE_ERRORS:
        return []


@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    topics = _topics()
    form = NewsletterForm(request.POST or None, topics=topics)
    context = portal_context(request, nav="newsletter", form=form)
    if request.method == "POST":
        if not allow(request, "newsletter", request.POST.get("email")):
            return rate_limited(request)
        if form.is_valid():
            try:
                kwargs: dict[str, Any] = {
                    "email": form.cleaned_data["email"],
                    "language": translation.get_language() or "en",
                    "source": "portal",
                    "page": request.build_absolute_uri(request.path),
                    "principal": PUBLIC,
                    **_proof(request),
                }
                if topics:
                    kwargs["topics"] = form.cleaned_data.get("topics") or []
                newsletter.newsletter_subscribe(**kwargs)
            except SERVICE_ERRORS as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("portal-newsletter-sent")
        return render(request, "portal/newsletter.html", context, status=400)
    return render(request, "portal/newsletter.html", context)


def sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/newsletter_sent.html", portal_context(request, nav="newsletter"))


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (link scanners must not confirm); POST confirms the subscription."""
    context = portal_context(request, nav="newsletter", token=token)
    if request.method == "POST":
        if not allow(request, "newsletter-confirm"):
            return rate_limited(request)
        try:
            newsletter.newsletter_confirm(token=token, principal=PUBLIC, **_proof(request))
        except SERVICE_ERRORS:
            context["failed"] = True
            return render(request, "portal/newsletter_confirm.html", context, status=400)
        context["done"] = True
    return render(request, "portal/newsletter_confirm.html", context)


@never_cache
@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click: a POST (from the page's button or from the mail client) unsubscribes at once."""
    context = portal_context(request, nav="newsletter", token=token)
    if request.method == "POST":
        if not allow(request, "newsletter-unsubscribe", limit=120):
            return rate_limited(request)
        try:
            newsletter.newsletter_unsubscribe(
                token=token, channel="portal", principal=PUBLIC, **_proof(request)
            )
        except SERVICE_ERRORS:
            context["failed"] = True
            return render(request, "portal/newsletter_unsubscribe.html", context, status=400)
        context["done"] = True
    return render(request, "portal/newsletter_unsubscribe.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        chosen = list(newsletter.newsletter_preferences(token=token))
    except SERVICE_ERRORS:
        context = portal_context(request, nav="newsletter", failed=True)
        return render(request, "portal/newsletter_preferences.html", context, status=404)
    form = PreferencesForm(request.POST or None, topics=_topics(), initial={"topics": chosen})
    context = portal_context(request, nav="newsletter", form=form, token=token)
    if request.method == "POST":
        if not allow(request, "newsletter-preferences"):
            return rate_limited(request)
        if form.is_valid():
            try:
                newsletter.newsletter_preferences_set(
                    token=token, topics=form.cleaned_data["topics"], principal=PUBLIC
                )
            except SERVICE_ERRORS as exc:
                form.add_error(None, str(exc))
            else:
                context["saved"] = True
    return render(request, "portal/newsletter_preferences.html", context)
