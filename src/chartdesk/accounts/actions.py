"""Every change to accounts: create, change role, deactivate, unlock, reset MFA, role MFA policy.

Each action is atomic and writes its audit event in the same transaction. `acting_user` is None
only for the command line and the demo loader, where the audit event carries the channel instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from chartdesk.accounts.current import auditing_role_change
from chartdesk.accounts.models import PasswordReset, RolePolicy
from chartdesk.accounts.roles import (
    ROLE_GROUP_PREFIX,
    ROLES,
    ROLES_BY_SLUG,
    SANDBOX_ONLY_ROLES,
    group_name,
    role_of,
)
from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import ChartdeskError

USERNAME_TAKEN = "The user name {username!r} is already taken."
USERNAME_INVALID = "A user name is 1 to 150 letters, digits and @ . + - _ characters, without spaces."
UNKNOWN_ROLE = "There is no role {role!r}. The roles are: {roles}."
PROVIDER_TAKEN = "That provider record already belongs to the user {username!r}."
PROVIDER_NEEDS_PROVIDER_ROLE = "Only a user with the provider role can be linked to a provider record."
NPI_INVALID = "An NPI is 10 digits whose last digit is its check digit; {npi!r} is not a valid NPI."
NOT_YOURSELF = "You cannot {what} your own account; ask another administrator."
ALREADY_INACTIVE = "The account {username!r} is already deactivated."
ALREADY_ACTIVE = "The account {username!r} is already active."
NO_DESK_PASSWORD = "The account {username!r} is a system account: nobody logs in with it, so it has no password."
INACTIVE_NO_RESET = "The account {username!r} is deactivated: reactivate it before setting a password."


def role_choices_text() -> str:
    return ", ".join(role.slug for role in ROLES if role.slug not in SANDBOX_ONLY_ROLES)


def check_role(role: str) -> str:
    if role not in ROLES_BY_SLUG or role in SANDBOX_ONLY_ROLES:
        raise ChartdeskError(UNKNOWN_ROLE.format(role=role, roles=role_choices_text()), field="role")
    return role


@dataclass(frozen=True)
class NewProvider:
    """The clinician record to create beside a provider's log-in (names come from the user's full name)."""

    npi: str
    credentials: str = ""
    specialty: str = ""


def split_name(full_name: str) -> tuple[str, str]:
    parts = full_name.strip().split()
    if not parts:
        return "", ""
    if len(parts) == 1:
        return parts[0], ""
    return " ".join(parts[:-1]), parts[-1]


def _set_role_group(user: Any, role: str) -> None:
    with auditing_role_change():
        user.groups.remove(*user.groups.filter(name__startswith=ROLE_GROUP_PREFIX))
        user.groups.add(Group.objects.get(name=group_name(role)))
    user._chartdesk_role = role  # the cached role would otherwise still name the old one


# Provider records are the legal record's (charts), above accounts in the dependency order: charts
# registers how a user is linked to one, from ChartsConfig.ready, so accounts never imports it.
ProviderLinker = Callable[[Any, Any, str], Any]
_provider_linker: ProviderLinker | None = None


def register_provider_linker(linker: ProviderLinker) -> None:
    global _provider_linker
    _provider_linker = linker


def _link_provider(user: Any, provider: Any, full_name: str) -> Any:
    if _provider_linker is None:
        raise ChartdeskError("Provider records are not installed (chartdesk.charts).", field="provider")
    return _provider_linker(user, provider, full_name)


def do_create_user(
    username: str,
    *,
    role: str,
    password: str | None,
    acting_user: Any,
    full_name: str = "",
    email: str = "",
    provider: Any = None,
) -> Any:
    """Create an active user holding one role; for a provider, link or create the clinician record.

    `provider` is an existing charts.Provider to link, a NewProvider to create, or None. A password of
    None leaves the account without a usable password until one is set. Password strength is checked
    at the edge (the form and the command), where the person choosing it can be told why.
    """
    from django.contrib.auth.validators import UnicodeUsernameValidator
    from django.core.exceptions import ValidationError

    User = get_user_model()
    username = username.strip()
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise ChartdeskError(USERNAME_INVALID, field="username") from None
    if not username or len(username) > 150:
        raise ChartdeskError(USERNAME_INVALID, field="username")
    check_role(role)
    if provider is not None and role != "provider":
        raise ChartdeskError(PROVIDER_NEEDS_PROVIDER_ROLE, field="role")
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise ChartdeskError(USERNAME_TAKEN.format(username=username), field="username")
        given, family = split_name(full_name)
        user = User.objects.create_user(
            username=username, password=password, email=email.strip(), first_name=given, last_name=family
        )
        _set_role_group(user, role)
        linked = _link_provider(user, provider, full_name) if provider is not None else None
        record_event(
            AuditAction.CREATE,
            user=acting_user,
            object_type="user",
            object_id=user.pk,
            detail={
                "username": username,
                "role": role,
                "provider_id": linked.pk if linked is not None else None,
                "npi": linked.npi if linked is not None else "",
            },
        )
    return User.objects.get(pk=user.pk)  # fresh: no cached permissions


def _refuse_self(user: Any, acting_user: Any, what: str) -> None:
    if acting_user is not None and acting_user.pk == user.pk:
        raise ChartdeskError(NOT_YOURSELF.format(what=what))


def do_change_role(user: Any, role: str, *, acting_user: Any) -> Any:
    """Give the user exactly one role group; one ROLE_CHANGE event records the old and the new role."""
    check_role(role)
    _refuse_self(user, acting_user, "change the role of")
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        previous = role_of(user)
        if previous == role:
            return user
        _set_role_group(user, role)
        record_event(
            AuditAction.ROLE_CHANGE,
            user=acting_user,
            object_type="user",
            object_id=user.pk,
            detail={"username": user.get_username(), "from": previous, "to": role},
        )
    return user


def do_deactivate_user(user: Any, *, acting_user: Any) -> Any:
    """Stop the account from logging in; its sessions end at their next request. Users are never deleted:
    the audit trail and the legal record point at them."""
    _refuse_self(user, acting_user, "deactivate")
    return _set_active(user, False, ALREADY_INACTIVE, "deactivated", acting_user)


def do_reactivate_user(user: Any, *, acting_user: Any) -> Any:
    """Let a deactivated account log in again."""
    return _set_active(user, True, ALREADY_ACTIVE, "reactivated", acting_user)


def _set_active(user: Any, active: bool, already: str, change: str, acting_user: Any) -> Any:
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        if user.is_active == active:
            raise ChartdeskError(already.format(username=user.get_username()))
        user.is_active = active
        user.save(update_fields=["is_active"])
        record_event(
            AuditAction.UPDATE,
            user=acting_user,
            object_type="user",
            object_id=user.pk,
            detail={"username": user.get_username(), "change": change},
        )
    return user


def is_locked_out(username: str) -> bool:
    """Has the account failed log-in often enough, recently enough, that Axes refuses it?"""
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.db.models import Sum
    from django.utils import timezone

    since = timezone.now() - timedelta(minutes=settings.LOCKOUT_MINUTES)
    failures = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return (failures or 0) >= settings.LOCKOUT_ATTEMPTS


def do_unlock_user(user: Any, *, acting_user: Any) -> int:
    """Clear the failed log-in attempts that lock the account; returns how many records were cleared."""
    from axes.utils import reset

    with transaction.atomic():
        cleared = reset(username=user.get_username())
        record_event(
            AuditAction.UPDATE,
            user=acting_user,
            object_type="user",
            object_id=user.pk,
            detail={"username": user.get_username(), "change": "unlocked", "attempt_records_cleared": cleared},
        )
    return cleared


def do_reset_mfa(user: Any, *, acting_user: Any) -> int:
    """Remove the user's TOTP devices (a lost phone); they enrol again at their next log-in if required."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        record_event(
            AuditAction.MFA,
            user=acting_user,
            object_type="user",
            object_id=user.pk,
            detail={"username": user.get_username(), "change": "reset", "devices_removed": removed},
        )
    return removed


def do_start_mfa_enrolment(user: Any, *, acting_user: Any) -> Any:
    """The unconfirmed TOTP device `user` enrols with: the one already waiting (so the QR code stays
    the same when the page is reloaded), or a new one, whose creation is audited with it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
        if device is not None:
            return device
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        record_event(
            AuditAction.MFA,
            user=acting_user,
            object_type="user",
            object_id=user.pk,
            detail={"step": "enrolment started", "device": device.pk},
        )
    return device


def do_confirm_mfa_device(device: Any, *, acting_user: Any) -> Any:
    """A first good code from the authenticator app: the device is confirmed and from now on asked
    for at every log-in; the enrolment is audited in the same transaction."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record_event(
            AuditAction.MFA,
            user=acting_user,
            object_type="user",
            object_id=device.user_id,
            detail={"step": "enrolled a device", "result": "accepted"},
        )
    return device


def do_set_role_mfa(role: str, required: bool, *, acting_user: Any) -> RolePolicy:
    """Require (or stop requiring) a TOTP check at log-in for every member of a role."""
    check_role(role)
    with transaction.atomic():
        policy = RolePolicy.objects.select_for_update().get(group__name=group_name(role))
        if policy.mfa_required == required:
            return policy
        policy.mfa_required = required
        policy.save(update_fields=["mfa_required"])
        record_event(
            AuditAction.ROLE_CHANGE,
            user=acting_user,
            object_type="role",
            object_id=role,
            detail={"role": role, "mfa_required": required},
        )
    return policy


def do_change_own_password(user: Any, new_password: str, *, acting_user: Any) -> Any:
    """Set a user's new password, chosen by that user (the form has checked the old one and the
    password rules); it ends any forced change after a reset. The audit event says that it changed,
    never what it is."""
    if acting_user is None or acting_user.pk != user.pk:
        raise ChartdeskError("Users change only their own password; an administrator resets others'.")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        PasswordReset.objects.filter(user=user, completed_at__isnull=True).update(completed_at=timezone.now())
        user._chartdesk_must_change_password = False
        record_event(AuditAction.UPDATE, user=acting_user, object_type="user", object_id=user.pk,
                     detail={"changed": "password"})
    return user


def do_reset_password(user: Any, new_password: str, *, acting_user: Any) -> PasswordReset:
    """An administrator sets another user's password (forgotten, or possibly known to someone else).

    The user must choose their own at the next log-in; every session they had ends, because Django
    ties a session to the password it was opened with. The password rules were checked at the edge
    (the form), where the administrator can be told why; the audit event never holds the password.
    """
    from chartdesk.accounts.roles import DESK_BARRED_ROLES

    _refuse_self(user, acting_user, "reset the password of")
    if role_of(user) in DESK_BARRED_ROLES:
        raise ChartdeskError(NO_DESK_PASSWORD.format(username=user.get_username()))
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            raise ChartdeskError(INACTIVE_NO_RESET.format(username=user.get_username()))
        user.set_password(new_password)
        user.save(update_fields=["password"])
        now = timezone.now()
        # An earlier reset the user never finished is superseded by this one.
        PasswordReset.objects.filter(user=user, completed_at__isnull=True).update(completed_at=now)
        reset = PasswordReset.objects.create(user=user, reset_by=acting_user, reset_at=now)
        record_event(
            AuditAction.UPDATE,
            user=acting_user,
            object_type="user",
            object_id=user.pk,
            detail={"username": user.get_username(), "change": "password reset", "must_change": True},
        )
    return reset


def must_change_password(user: Any) -> bool:
    """Was the user's password last set by an administrator, so that they must choose their own?"""
    cached = getattr(user, "_chartdesk_must_change_password", None)
    if cached is None:
        cached = PasswordReset.objects.filter(user_id=user.pk, completed_at__isnull=True).exists()
        user._chartdesk_must_change_password = cached
    return cached
