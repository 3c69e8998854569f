"""API routes for recipients."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["recipients"])
