"""``{{ value|label:"request_status" }}``: the word for a stored key on the staff pages (``dashboard.labels``)."""

from __future__ import annotations

from typing import Any

from django import template

from tutela.dashboard.labels import label as word_for

register = template.Library()


@register.filter
def label(value: Any, kind: str) -> str:
    return word_for(kind, value)
