"""API routes for consent."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["consent"])
