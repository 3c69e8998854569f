"""Private tokens never reach a log: the links mailed to people and the one-time codes of staff.

A private link is a bearer credential: whoever holds ``/requests/status/<token>/`` sees the request and
downloads the package. Request logs (``django.server``, ``django.request``, the WSGI server) and the error
log name the path of every request, so every handler of Tutela's logging runs :class:`RedactTokens`.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

#: path segments that are secrets: the portal's request, newsletter and consent links (with or without a
#: language prefix, pages or API) and the staff enrolment link
_PRIVATE_PATH = re.compile(
    r"(/(?:requests|rights)/(?:verify|status|download)/"
    r"|/newsletter/(?:confirm|preferences|unsubscribe)/"
    r"|/consent/(?:newsletter/confirm|unsubscribe|withdraw|preferences)/"
    r"|/enrol(?:ment)?/)"
    r"(?!\?)([^/\s?#\"'<>]+)"
)
#: query-string parameters that carry secrets
_PRIVATE_QUERY = re.compile(
    r"([?&;](?:token|status_token|code|key|secret|password|signature|sig|otp)=)([^&;\s#\"'<>]*)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with every private token replaced by ``[redacted]``."""
    if "/" not in text and "=" not in text:
        return text
    text = _PRIVATE_PATH.sub(lambda m: m.group(1) + REDACTED, text)
    return _PRIVATE_QUERY.sub(lambda m: m.group(1) + REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrites each record's message (and formatted traceback) without private tokens; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: leave it to the formatter
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
