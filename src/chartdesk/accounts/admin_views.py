"""User administration: list, create, change role, reset password, deactivate, unlock, reset MFA,
role MFA policy.

Only accounts.manage_users reaches these pages. Views stay thin: every change is an action.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from chartdesk.accounts import actions
from chartdesk.accounts.forms import RoleChangeForm, RoleMfaForm, UserCreateForm
from chartdesk.accounts.models import RolePolicy
from chartdesk.accounts.roles import DESK_BARRED_ROLES, ROLES, group_name, role_label, role_of
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.permissions import requires

MANAGE = "accounts.manage_users"


def _user_or_404(user_id: int) -> Any:
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise Http404("No such user.")
    return user


def _locked_usernames() -> set[str]:
    return {username for username in _attempted_usernames() if actions.is_locked_out(username)}


def _attempted_usernames() -> set[str]:
    from axes.models import AccessAttempt

    return set(AccessAttempt.objects.values_list("username", flat=True).distinct())


@requires(MANAGE)
def users_view(request: HttpRequest) -> HttpResponse:
    """Every account with its role, last log-in, MFA enrolment, lock and active state."""
    enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    accounts = (
        get_user_model()
        .objects.annotate(mfa_enrolled=Exists(enrolled))
        .prefetch_related("groups")
        .order_by("username")
    )
    locked = _locked_usernames()
    rows = [
        {
            "account": account,
            "role": role_label(role_of(account)) if role_of(account) else "",
            "locked": account.username in locked,
        }
        for account in accounts
    ]
    return render(request, "accounts/users.html", {"rows": rows})


@requires(MANAGE)
def user_create_view(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        provider = (
            actions.NewProvider(npi=data["npi"], credentials=data["credentials"], specialty=data["specialty"])
            if data["role"] == "provider"
            else None
        )
        try:
            user = actions.do_create_user(
                data["username"],
                role=data["role"],
                password=data["password1"],
                acting_user=request.user,
                full_name=data["full_name"],
                email=data["email"],
                provider=provider,
            )
        except ChartdeskError as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        else:
            messages.success(request, f"Created {user.username} as {role_label(data['role'])}.")
            return redirect("accounts-user", user_id=user.pk)
    return render(request, "accounts/user_form.html", {"form": form}, status=400 if form.errors else 200)


@requires(MANAGE)
def user_detail_view(request: HttpRequest, user_id: int) -> HttpResponse:
    account = _user_or_404(user_id)
    context = {
        "account": account,
        "role": role_of(account),
        "role_label": role_label(role_of(account)) if role_of(account) else "",
        "role_form": RoleChangeForm(initial={"role": role_of(account)}),
        "mfa_enrolled": TOTPDevice.objects.filter(user=account, confirmed=True).exists(),
        "locked": actions.is_locked_out(account.username),
        "provider": _provider_of(account),
        "is_self": account.pk == request.user.pk,
        "system_account": role_of(account) in DESK_BARRED_ROLES,
    }
    return render(request, "accounts/user_detail.html", context)


def _provider_of(account: Any) -> Any:
    try:
        return account.provider
    except ObjectDoesNotExist:  # no clinician record is linked to this log-in
        return None


def _run(request: HttpRequest, user_id: int, done: str, action: Any, **kwargs: Any) -> HttpResponse:
    account = _user_or_404(user_id)
    try:
        action(account, acting_user=request.user, **kwargs)
    except ChartdeskError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, done.format(username=account.username))
    return redirect("accounts-user", user_id=account.pk)


@requires(MANAGE)
@require_POST
def user_role_view(request: HttpRequest, user_id: int) -> HttpResponse:
    form = RoleChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the listed roles.")
        return redirect("accounts-user", user_id=_user_or_404(user_id).pk)
    role = form.cleaned_data["role"]
    return _run(request, user_id, f"{{username}} is now {role_label(role)}.", actions.do_change_role, role=role)


@requires(MANAGE)
@require_POST
def user_deactivate_view(request: HttpRequest, user_id: int) -> HttpResponse:
    return _run(request, user_id, "{username} is deactivated and can no longer log in.", actions.do_deactivate_user)


@requires(MANAGE)
@require_POST
def user_reactivate_view(request: HttpRequest, user_id: int) -> HttpResponse:
    return _run(request, user_id, "{username} can log in again.", actions.do_reactivate_user)


@requires(MANAGE)
def user_password_view(request: HttpRequest, user_id: int) -> HttpResponse:
    """Set a temporary password for another user, who must replace it at their next log-in."""
    account = _user_or_404(user_id)
    form = SetPasswordForm(account, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_reset_password(account, form.cleaned_data["new_password1"], acting_user=request.user)
        except ChartdeskError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, f"{account.username}'s password is reset; they choose their own at log-in.")
            return redirect("accounts-user", user_id=account.pk)
    return render(request, "accounts/user_password.html", {"account": account, "form": form},
                  status=400 if form.errors else 200)


@requires(MANAGE)
@require_POST
def user_unlock_view(request: HttpRequest, user_id: int) -> HttpResponse:
    return _run(request, user_id, "{username} is unlocked.", actions.do_unlock_user)


@requires(MANAGE)
@require_POST
def user_reset_mfa_view(request: HttpRequest, user_id: int) -> HttpResponse:
    return _run(
        request,
        user_id,
        "{username}'s authenticator app is removed; they set up a new one at their next log-in.",
        actions.do_reset_mfa,
    )


@requires(MANAGE)
def roles_view(request: HttpRequest) -> HttpResponse:
    """Each role, its permissions, and whether its members must pass MFA."""
    policies = {
        policy.group.name: policy for policy in RolePolicy.objects.select_related("group")
    }
    rows = [
        {"role": role, "mfa_required": bool(policies.get(group_name(role.slug)) and
                                              policies[group_name(role.slug)].mfa_required)}
        for role in ROLES
    ]
    return render(request, "accounts/roles.html", {"rows": rows})


@requires(MANAGE)
@require_POST
def role_mfa_view(request: HttpRequest) -> HttpResponse:
    form = RoleMfaForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the listed roles.")
        return redirect("accounts-roles")
    role, required = form.cleaned_data["role"], form.cleaned_data["mfa_required"]
    actions.do_set_role_mfa(role, required, acting_user=request.user)
    state = "must now pass" if required else "no longer need"
    messages.success(request, f"Members of {role_label(role)} {state} multi-factor authentication at log-in.")
    return redirect("accounts-roles")
