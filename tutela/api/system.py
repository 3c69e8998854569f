"""API routes about the installation itself."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from tutela.api.auth import principal

router = Router(tags=["system"])


class Me(Schema):
    actor: str
    role: str
    controller: str


@router.get("/me", response=Me, summary="Who the caller is, as Tutela sees them")
def me(request: HttpRequest) -> Me:
    p = principal(request)
    return Me(actor=p.actor, role=p.role, controller=p.controller)
