"""Login throttling: django-axes counting failures per account and address, and per address across accounts.

Two limits apply to every failed password (``settings.AXES_LOCKOUT_PARAMETERS``):

- ``AXES_FAILURE_LIMIT`` (``TUTELA_AXES_FAILURE_LIMIT``) failures for one user name from one address lock
  that pair (someone guessing one account's password);
- ``TUTELA_AXES_IP_FAILURE_LIMIT`` failures from one address, whatever the user names, lock the address
  (someone trying many accounts, each fewer times than the first limit).

django-axes compares every combination with one limit; this handler reports the failures so that either
limit reached answers "locked". A successful login clears only its own account/address pair, so logging in
to one's own account does not wipe the count of an address trying others.
"""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def _sum(attempts: Any) -> int:
    return int(attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0)


class LoginThrottle(AxesDatabaseHandler):
    def _recent(self, request: HttpRequest) -> Any:
        attempts = AccessAttempt.objects.filter(ip_address=getattr(request, "axes_ip_address", None))
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """The failures of this account from this address, or the pair's limit once the address as a whole
        has reached its own limit (django-axes locks when the answer reaches ``AXES_FAILURE_LIMIT``)."""
        recent = self._recent(request)
        pair = _sum(recent.filter(username=get_client_username(request, credentials)))
        if _sum(recent) >= settings.TUTELA_AXES_IP_FAILURE_LIMIT:
            return max(pair, int(settings.AXES_FAILURE_LIMIT))
        return pair

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        count, _ = AccessAttempt.objects.filter(
            ip_address=getattr(request, "axes_ip_address", None),
            username=get_client_username(request, credentials),
        ).delete()
        return int(count)
