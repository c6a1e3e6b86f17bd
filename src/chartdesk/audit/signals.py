"""Audit events for things Django itself does: log-in, log-out, failed log-in, role changes."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction, AuditOutcome
from chartdesk.core.context import current_actor


@receiver(user_logged_in, dispatch_uid="audit-login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_event(AuditAction.LOGIN, user=user)


@receiver(user_logged_out, dispatch_uid="audit-logout")
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and not getattr(request, "_chartdesk_logout_audited", False):
        record_event(AuditAction.LOGOUT, user=user)


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    if getattr(request, "_chartdesk_mfa_failure", False):
        return  # a wrong one-time code: the MFA view records it as an MFA failure
    username = str(credentials.get("username", ""))[:150]
    record_event(
        AuditAction.LOGIN_FAILED,
        username=username,
        outcome=AuditOutcome.FAILURE,
        detail={"channel": current_actor().channel},
    )


def _acting_user() -> Any:
    from chartdesk.accounts.current import current_user

    return current_user()


@receiver(user_locked_out, dispatch_uid="audit-locked-out")
def audit_locked_out(sender: Any, request: Any = None, username: str | None = None, **kwargs: Any) -> None:
    """Axes refused the account: it locked just now, or it was already locked and someone tried again."""
    failures = getattr(request, "axes_failures_since_start", None)
    record_event(
        AuditAction.LOCKED_OUT,
        username=str(username or "")[:150],
        outcome=AuditOutcome.DENIED,
        object_type="user",
        detail={"failures": failures, "lock_minutes": settings.LOCKOUT_MINUTES},
    )


@receiver(m2m_changed, sender=get_user_model().groups.through, dispatch_uid="audit-user-groups")
def audit_user_groups(sender: Any, instance: Any, action: str, model: Any, pk_set: Any, **kwargs: Any) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    from chartdesk.accounts.current import role_change_audited_by_action

    if role_change_audited_by_action():
        return  # the account action writes one event naming the old and the new role
    if isinstance(instance, Group):
        subject_groups = [instance.name]
        users = [str(pk) for pk in sorted(pk_set or [])]
        detail = {"change": action[5:], "groups": subject_groups, "user_ids": users}
        object_id = instance.pk
        object_type = "group"
    else:
        names = sorted(Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
        detail = {"change": action[5:], "groups": names, "username": instance.get_username()}
        object_id = instance.pk
        object_type = "user"
    record_event(
        AuditAction.ROLE_CHANGE, user=_acting_user(), object_type=object_type, object_id=object_id, detail=detail
    )


@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="audit-group-permissions")
@receiver(m2m_changed, sender=get_user_model().user_permissions.through, dispatch_uid="audit-user-permissions")
def audit_permissions(sender: Any, instance: Any, action: str, model: Any, pk_set: Any, **kwargs: Any) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    from django.contrib.auth.models import Permission

    codenames = sorted(
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(pk__in=pk_set or []).select_related("content_type")
    )
    object_type = "group" if isinstance(instance, Group) else "user"
    record_event(
        AuditAction.ROLE_CHANGE,
        user=_acting_user(),
        object_type=object_type,
        object_id=instance.pk,
        detail={"change": action[5:], "permissions": codenames, "of": str(instance)},
    )
