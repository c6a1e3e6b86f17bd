"""Automatic log-off after idle time, and the multi-factor gate."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from chartdesk.accounts.mfa import mfa_required_for

LAST_ACTIVITY_KEY = "chartdesk_last_activity"


class IdleLogoffMiddleware:
    """Log a signed-in user off once they have been idle longer than the configured minutes.

    The check is on the server, so a forgotten open tab cannot keep a session alive; desk.js also
    sends the browser to the log-in page when the time is up, so no patient data stays on screen.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_ACTIVITY_KEY)
            if last is not None and now - last > settings.IDLE_LOGOFF_MINUTES * 60:
                from chartdesk.audit.actions import record_event
                from chartdesk.audit.models import AuditAction

                user = request.user
                record_event(AuditAction.LOGOUT, user=user, detail={"reason": "idle"})
                logout(request)
                messages.info(request, "You were logged off after a period without activity.")
                return redirect(f"{reverse('accounts-login')}?next={request.get_full_path()}")
            request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)


class MfaEnforcementMiddleware:
    """A user whose role requires MFA, or who has enrolled a device, must pass it before anything else."""

    ALLOWED_PREFIXES = ("/accounts/mfa", "/accounts/logout", "/static/", "/healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not user.is_verified()  # type: ignore[attr-defined]  (django_otp adds it)
            and mfa_required_for(user)
        ):
            return redirect(f"{reverse('accounts-mfa')}?next={request.get_full_path()}")
        return self.get_response(request)
