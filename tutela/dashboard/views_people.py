"""A person's 360° page and the search that leads to it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tutela.dashboard.access import staff_required


@staff_required
def people_search(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/pending.html", {"nav": "people"}, status=200)


@staff_required
def person_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    return render(request, "dashboard/pending.html", {"nav": "people"})
