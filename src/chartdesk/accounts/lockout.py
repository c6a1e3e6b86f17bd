"""Lock-out per account and per client address, each with its own limit, on django-axes.

Axes counts failures for each of its lock-out parameters (here the user name and the client
address, AXES_LOCKOUT_PARAMETERS) and compares the largest count with one limit. An address needs a
higher limit than an account: a clinic's desks share one address behind NAT, and one person's typos
must not lock the whole clinic out, while one address guessing a few passwords at each of many
accounts must still be stopped. So the address count is scaled into account units before Axes'
single comparison: the address locks exactly when its own count reaches LOCKOUT_ADDRESS_ATTEMPTS.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import QuerySet, Sum


def _failures(attempts: QuerySet[Any]) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class AccountAndAddressHandler(AxesDatabaseHandler):
    """Axes' database handler with a separate limit for the client address."""

    def failure_counts(self, request: Any, credentials: dict[str, Any] | None = None) -> tuple[int, int]:
        """(failures of this account, failures from this address) within the lock period."""
        by_account, by_address = self.get_user_attempts(request, credentials)
        return _failures(by_account), _failures(by_address)

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        account, address = self.failure_counts(request, credentials)
        request.chartdesk_failures = {"account": account, "address": address}
        # floor(address * A / B) >= A exactly when address >= B (A: account limit, B: address limit).
        scaled = address * settings.LOCKOUT_ATTEMPTS // settings.LOCKOUT_ADDRESS_ATTEMPTS
        return max(account, scaled)

    def reset_user_attempts(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        """A successful log-in forgives that account's own failures only. Axes would also clear every
        failure from the address, so someone could guess at a colleague's account from a shared
        desk and wipe the count by logging in as themselves."""
        by_account = self.filter_user_attempts(request, credentials)[0]
        cleared, _ = by_account.delete()
        return cleared


def address_is_locked(address: str | None) -> bool:
    """Has this client address failed often enough, recently enough, that log-ins from it are refused?"""
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    if not address:
        return False
    since = timezone.now() - timedelta(minutes=settings.LOCKOUT_MINUTES)
    return _failures(AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since)) >= (
        settings.LOCKOUT_ADDRESS_ATTEMPTS
    )
