"""TOTP multi-factor authentication on top of django-otp."""

from __future__ import annotations

from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def role_requires_mfa(user: Any) -> bool:
    return user.groups.filter(policy__mfa_required=True).exists()


def mfa_required_for(user: Any) -> bool:
    """MFA applies when the role demands it or when the user has enrolled a device of their own."""
    cached = getattr(user, "_chartdesk_mfa_required", None)
    if cached is None:
        cached = role_requires_mfa(user) or confirmed_device(user) is not None
        user._chartdesk_mfa_required = cached
    return cached


def is_verified(user: Any) -> bool:
    """Did this session pass a one-time code? (django_otp's middleware adds `is_verified` to the user.)"""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False
