"""Automatic log-off after idle time, and the multi-factor gate."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from chartdesk.accounts.mfa import is_verified, mfa_required_for

LAST_ACTIVITY_KEY = "chartdesk_last_activity"


def mark_logout_audited(request: HttpRequest) -> None:
    """The caller recorded the LOGOUT event with its reason; the user_logged_out signal must not add one."""
    setattr(request, "_chartdesk_logout_audited", True)  # noqa: B010


def _login_url_returning_to(request: HttpRequest) -> str:
    """Come back to the page after logging in again, but only to a page that was being read: not a
    form post that would then be lost anyway, and not the log-off that the desk's idle timer sends."""
    login_url = reverse("accounts-login")
    if request.method != "GET" or request.path.startswith(reverse("accounts-logout")):
        return login_url
    return f"{login_url}?{urlencode({'next': request.get_full_path()})}"


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

                record_event(
                    AuditAction.LOGOUT,
                    user=request.user,
                    detail={"reason": "idle", "idle_minutes": settings.IDLE_LOGOFF_MINUTES},
                )
                mark_logout_audited(request)
                logout(request)
                messages.info(request, "You were logged off after a period without activity.")
                return redirect(_login_url_returning_to(request))
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
            and not is_verified(user)
            and mfa_required_for(user)
        ):
            return redirect(f"{reverse('accounts-mfa')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class ForcedPasswordChangeMiddleware:
    """After an administrator reset a password, its user reaches nothing but the change-password page
    (and log-off, and the second factor that comes before it) until they have chosen their own."""

    ALLOWED_PREFIXES = ("/accounts/password", "/accounts/mfa", "/accounts/logout", "/static/", "/healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from chartdesk.accounts.actions import must_change_password

        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and must_change_password(user)
        ):
            return redirect("accounts-password")  # the page itself says why (it knows the change is forced)
        return self.get_response(request)
