"""Logging in, the second factor, and logging off.

The password step does not log the user in when MFA applies: it only remembers, in the session, who
passed it. Django's log-in happens after the one-time code, so nothing is reachable with the password
alone, and Axes does not clear the failure count (AXES_RESET_ON_SUCCESS) before the code is right:
wrong codes count towards the same lock-out as wrong passwords.
"""

from __future__ import annotations

import base64
import math
import time
from typing import Any

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from chartdesk.accounts.actions import do_confirm_mfa_device, do_start_mfa_enrolment, is_locked_out
from chartdesk.accounts.forms import LoginForm, OneTimeCodeForm
from chartdesk.accounts.lockout import address_is_locked
from chartdesk.accounts.mfa import confirmed_device, is_verified, mfa_required_for
from chartdesk.accounts.middleware import mark_logout_audited
from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction, AuditOutcome
from chartdesk.core.permissions import public, signed_in

PENDING_KEY = "chartdesk_mfa_pending"
PENDING_SECONDS = 5 * 60  # the code must follow the password within this time
WRONG_CREDENTIALS = "The user name or password is not right. Check both and try again."
WRONG_CODE = "That code is not right. Codes change every 30 seconds: enter the one shown now."
THROTTLED = "Too many wrong codes in a row. Wait {wait}, then enter the code your app shows then."


ADDRESS_LOCKED = (
    "Log-ins from your address ({address}) are refused for {minutes} minutes after {attempts} failed "
    "attempts at any accounts. Ask an administrator if your desk shares this address with others."
)


def lockout_message(username: str, address: str | None = None) -> str:
    """Why a log-in is refused: the account's own lock, or (when the account is not locked) its address's."""
    if not is_locked_out(username) and address_is_locked(address):
        return ADDRESS_LOCKED.format(address=address, minutes=settings.LOCKOUT_MINUTES,
                                     attempts=settings.LOCKOUT_ADDRESS_ATTEMPTS)
    return (
        f"The account {username!r} is locked for {lockout_minutes_left(username)} minutes after "
        f"{settings.LOCKOUT_ATTEMPTS} failed attempts to log in; an administrator can unlock it."
    )


def lockout_minutes_left(username: str) -> int:
    from axes.models import AccessAttempt

    latest = AccessAttempt.objects.filter(username=username).order_by("-attempt_time").first()
    if latest is None:
        return settings.LOCKOUT_MINUTES
    ends = latest.attempt_time.timestamp() + settings.LOCKOUT_MINUTES * 60
    return max(1, math.ceil((ends - time.time()) / 60))


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def render_locked(request: HttpRequest, template: str, context: dict[str, Any], username: str) -> HttpResponse:
    # This view shows the lock-out itself, on the log-in page; without this, AxesMiddleware would
    # replace the page with its own lock-out template.
    setattr(request, "axes_locked_out", False)  # noqa: B010
    context["locked_message"] = lockout_message(username, request.META.get("REMOTE_ADDR"))
    return render(request, template, context, status=429)


@public
def login_view(request: HttpRequest) -> HttpResponse:
    """Step one: user name and password, through Axes (which needs the request to count failures)."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url)
    form = LoginForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "next": next_url}
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is None:
            if getattr(request, "axes_locked_out", False):
                return render_locked(request, "accounts/login.html", context, username)
            context["login_error"] = WRONG_CREDENTIALS
            return render(request, "accounts/login.html", context, status=200)
        if mfa_required_for(user):
            _start_pending(request, user, next_url)
            return redirect("accounts-mfa")
        login(request, user)
        return redirect(next_url)
    return render(request, "accounts/login.html", context)


def _start_pending(request: HttpRequest, user: Any, next_url: str) -> None:
    request.session.cycle_key()  # a fresh session id once the password is known (no fixation)
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "backend": user.backend,
        "started": time.time(),
        "next": next_url,
    }
    record_event(
        AuditAction.MFA,
        user=user,
        object_type="user",
        object_id=user.pk,
        detail={"step": "password accepted; one-time code required"},
    )


def _pending_user(request: HttpRequest) -> tuple[Any, dict[str, Any] | None]:
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return None, None
    if time.time() - pending.get("started", 0) > PENDING_SECONDS:
        del request.session[PENDING_KEY]
        return None, None
    user = get_user_model().objects.filter(pk=pending["user_id"], is_active=True).first()
    return user, (pending if user is not None else None)


def enrolment_context(device: TOTPDevice) -> dict[str, Any]:
    uri = device.config_url
    return {
        "qr_svg": segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your authenticator app"),
        "manual_key": " ".join(_chunks(base64.b32encode(device.bin_key).decode().rstrip("="), 4)),
        "otpauth_uri": uri,
    }


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@public
def mfa_view(request: HttpRequest) -> HttpResponse:
    """Step two: a TOTP code from an enrolled device, or enrolment (QR code, then a first code).

    Open to a user who passed the password step (pending in the session) and to a signed-in user;
    anyone else is sent to log in.
    """
    pending_user, pending = _pending_user(request)
    subject = pending_user if pending else (request.user if request.user.is_authenticated else None)
    if subject is None:
        return redirect("accounts-login")
    verified = pending is None and is_verified(request.user)
    enrolled = confirmed_device(subject)
    optional = pending is None and enrolled is None and not mfa_required_for(subject)
    if verified or (optional and request.method == "GET" and request.GET.get("enrol") != "1"):
        return render(request, "accounts/mfa_status.html", {"device": enrolled, "verified": verified})

    enrolling = enrolled is None
    device = enrolled if enrolled is not None else do_start_mfa_enrolment(subject, acting_user=subject)
    next_url = _safe_next(request, pending["next"] if pending else request.GET.get("next") or request.POST.get("next"))
    form = OneTimeCodeForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "enrolling": enrolling, "next": next_url, "subject": subject}
    if enrolling:
        context.update(enrolment_context(device))
    if request.method == "POST" and form.is_valid():
        credentials = {"username": subject.get_username()}
        if AxesProxyHandler.is_locked(request, credentials):
            end_attempt(request)
            return render_locked(request, "accounts/mfa.html", context, subject.get_username())
        allowed, throttle = device.verify_is_allowed()
        if not allowed:
            wait = _throttle_seconds(throttle)
            context["code_error"] = THROTTLED.format(wait="1 second" if wait == 1 else f"{wait} seconds")
            return render(request, "accounts/mfa.html", context, status=200)
        if device.verify_token(form.cleaned_data["code"]):
            return _finish(request, subject, device, pending, enrolling, next_url)
        record_event(
            AuditAction.MFA,
            user=subject,
            object_type="user",
            object_id=subject.pk,
            outcome=AuditOutcome.FAILURE,
            detail={"step": "enrolment code" if enrolling else "one-time code", "result": "wrong code"},
        )
        setattr(request, "_chartdesk_mfa_failure", True)  # noqa: B010  (read by audit.signals)
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            end_attempt(request)
            return render_locked(request, "accounts/mfa.html", context, subject.get_username())
        context["code_error"] = WRONG_CODE
    return render(request, "accounts/mfa.html", context)


def _throttle_seconds(throttle: dict[str, Any] | None) -> int:
    until = (throttle or {}).get("locked_until")
    if until is None:
        return 1
    from django.utils import timezone

    return max(1, math.ceil((until - timezone.now()).total_seconds()))


def end_attempt(request: HttpRequest) -> None:
    """The account locked while the second factor was pending: nobody stays half signed in."""
    request.session.pop(PENDING_KEY, None)
    if request.user.is_authenticated:
        mark_logout_audited(request)  # the LOCKED_OUT event says why the session ended
        logout(request)


def _finish(
    request: HttpRequest, user: Any, device: TOTPDevice, pending: dict[str, Any] | None, enrolling: bool, next_url: str
) -> HttpResponse:
    if enrolling:
        do_confirm_mfa_device(device, acting_user=user)
    else:
        record_event(
            AuditAction.MFA,
            user=user,
            object_type="user",
            object_id=user.pk,
            detail={"step": "one-time code", "result": "accepted"},
        )
    if pending is not None:
        del request.session[PENDING_KEY]
        login(request, user, backend=pending["backend"])
    otp_login(request, device)
    if enrolling:
        messages.success(request, "Your authenticator app is set up. You will need a code from it at every log-in.")
    return redirect(next_url)


@public
def logout_view(request: HttpRequest) -> HttpResponse:
    """POST logs off (the desk's button, and its idle timer with ?reason=idle); GET asks to confirm."""
    if request.method == "POST":
        request.session.pop(PENDING_KEY, None)
        if request.user.is_authenticated:
            idle = request.GET.get("reason") == "idle"
            record_event(
                AuditAction.LOGOUT,
                user=request.user,
                detail={"reason": "idle" if idle else "user"},
            )
            mark_logout_audited(request)
            logout(request)
            messages.info(
                request,
                "You were logged off after a period without activity." if idle else "You are logged off.",
            )
        return redirect("accounts-login")
    if not request.user.is_authenticated:
        return redirect("accounts-login")
    return render(request, "accounts/logout.html")


@signed_in
@require_POST
def stay_signed_in_view(request: HttpRequest) -> HttpResponse:
    """The idle warning's "Stay signed in": the request itself restarts the idle clock (the idle
    middleware records each request of a signed-in user); answers how long the session now has.
    A session already past its idle limit was logged off by the middleware before reaching here."""
    return JsonResponse({"idle_logoff_seconds": settings.IDLE_LOGOFF_MINUTES * 60})
