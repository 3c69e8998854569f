"""Breach facts and assessment JSON schemas (package data)."""
