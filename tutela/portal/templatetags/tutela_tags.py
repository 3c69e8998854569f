"""Template helpers shared by the portal and the staff pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tutela.core import clock

register = template.Library()


@register.simple_tag(takes_context=True)
def language_links(context: dict[str, Any]) -> list[dict[str, Any]]:
    """One link per language to the same page in that language."""
    request = context.get("request")
    path = request.get_full_path() if request is not None else "/"
    current = translation.get_language() or settings.LANGUAGE_CODE
    links = []
    for code, name in settings.LANGUAGES:
        url = translate_url(path, code)
        if url == path and code != current:
            url = f"/{code}/"
        links.append({"code": code, "name": name, "url": url, "current": code == current})
    return links


@register.filter
def countdown(value: Any) -> str:
    """'in 3 days', 'today', '2 days late' for a date; hours for a datetime."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        seconds = (value - clock.now()).total_seconds()
        hours = int(abs(seconds) // 3600)
        minutes = int((abs(seconds) % 3600) // 60)
        span = f"{hours} h {minutes:02d} min"
        return _("%(span)s left") % {"span": span} if seconds >= 0 else _("%(span)s late") % {"span": span}
    if isinstance(value, dt.date):
        days = (value - clock.today()).days
        if days == 0:
            return _("due today")
        if days > 0:
            return ngettext("%(n)d day left", "%(n)d days left", days) % {"n": days}
        return ngettext("%(n)d day late", "%(n)d days late", -days) % {"n": -days}
    return str(value)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def field_value(obj: Any, name: str) -> Any:
    """obj[name] for a mapping, else getattr(obj, name)."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


@register.filter
def iso(value: Any) -> Any:
    """An ISO date or timestamp string as a date/datetime (other values unchanged)."""
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


@register.filter
def state_css(state: Any) -> str:
    """The badge colour of a deadline or clock state."""
    return {
        "overdue": "bad",
        "at_risk": "warn",
        "due_soon": "warn",
        "on_time": "ok",
        "done": "ok",
        "closed": "ok",
        "done_late": "warn",
        "expired": "bad",
    }.get(str(state), "")


@register.simple_tag
def clock_text(kind: str) -> str:
    """The translated pattern of a running clock ("%(span)s left" / "%(span)s late") for the live script."""
    return _("%(span)s left") if kind == "left" else _("%(span)s late")
