"""API routes for policy."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["policy"])
