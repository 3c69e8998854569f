"""API routes for transfers."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["transfers"])
