"""Request handling pages: list, detail, and the actions (verify, decide, fulfil, send the letter)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tutela.dashboard.access import staff_required


@staff_required
def request_list(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/pending.html", {"nav": "requests"}, status=200)


@staff_required
def request_detail(request: HttpRequest, ref: str) -> HttpResponse:
    return render(request, "dashboard/pending.html", {"nav": "requests"})


@staff_required
def request_action(request: HttpRequest, ref: str, action: str) -> HttpResponse:
    return render(request, "dashboard/pending.html", {"nav": "requests"})
