from __future__ import annotations

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
