"""A signed-in user changes their own password (or must, after an administrator reset it).

A wrong old password counts as a failed log-in towards the account's lock-out: otherwise anyone at
an unlocked desk could guess the owner's password through this form without limit.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from chartdesk.accounts.actions import do_change_own_password, must_change_password
from chartdesk.accounts.views import end_attempt, render_locked
from chartdesk.core.permissions import signed_in

TEMPLATE = "accounts/password.html"


@signed_in
def password_change_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, AbstractBaseUser)  # signed_in let only a real user through
    username = user.get_username()
    form = PasswordChangeForm(user, request.POST or None)
    context = {"form": form, "forced": must_change_password(user)}
    if request.method == "POST":
        credentials = {"username": username}
        if AxesProxyHandler.is_locked(request, credentials):
            end_attempt(request)
            return render_locked(request, TEMPLATE, context, username)
        if form.is_valid():
            do_change_own_password(user, form.cleaned_data["new_password1"], acting_user=user)
            update_session_auth_hash(request, user)  # stay signed in on this device
            messages.success(request, "Your password is changed.")
            return redirect("core-home" if context["forced"] else "accounts-mfa")
        if "old_password" in form.errors:
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False):
                end_attempt(request)
                return render_locked(request, TEMPLATE, context, username)
    return render(request, TEMPLATE, context, status=400 if form.errors else 200)
