"""A signed-in user changes their own password."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from chartdesk.accounts.actions import do_change_own_password
from chartdesk.core.permissions import signed_in


@signed_in
def password_change_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, AbstractBaseUser)  # signed_in let only a real user through
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        do_change_own_password(user, form.cleaned_data["new_password1"], acting_user=user)
        update_session_auth_hash(request, user)  # stay signed in on this device
        messages.success(request, "Your password is changed.")
        return redirect("accounts-mfa")
    return render(request, "accounts/password.html", {"form": form}, status=400 if form.errors else 200)
