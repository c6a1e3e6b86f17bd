from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models


class RolePolicy(models.Model):
    """Settings that belong to a role rather than to a user (the role itself is a Django group)."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="policy")
    mfa_required = models.BooleanField(
        default=False, help_text="Members must pass a TOTP check at every log-in."
    )

    class Meta:
        verbose_name_plural = "role policies"
        permissions = [
            ("manage_users", "Create users, assign roles and reset lock-outs"),
            ("break_the_glass", "Open a restricted chart in an emergency, with a reason"),
        ]

    def __str__(self) -> str:
        return f"policy for {self.group.name}"


class PasswordReset(models.Model):
    """An administrator set this user's password; until the user chooses their own (completed_at),
    every page sends them to change it. Rows are kept as the history of resets."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="password_resets")
    reset_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reset_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "completed_at"], name="accounts_reset_open")]

    def __str__(self) -> str:
        return f"password reset of user {self.user_id} at {self.reset_at:%Y-%m-%d %H:%M}"
