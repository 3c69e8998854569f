"""Breach pages: the register, the report form, one breach with its clocks."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tutela.dashboard.access import staff_required


@staff_required
def breach_list(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/pending.html", {"nav": "breaches"})


@staff_required
def breach_new(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/pending.html", {"nav": "breaches"})


@staff_required
def breach_detail(request: HttpRequest, ref: str) -> HttpResponse:
    return render(request, "dashboard/pending.html", {"nav": "breaches"})
