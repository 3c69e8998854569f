"""Public pages. They hold no logic: they read the policy and call services."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation

from tutela.policy.selectors import active_policy


def root(request: HttpRequest) -> HttpResponse:
    language = translation.get_language_from_request(request, check_path=False)
    return redirect(f"/{language}/")


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"policy": active_policy()})


def policy_current(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/policy.html", {"policy": active_policy()})
