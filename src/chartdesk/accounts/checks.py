"""Start-up checks about accounts (registered by AccountsConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Error, Tags, register
from django.db.utils import DatabaseError

from chartdesk.accounts.roles import ROLES, group_name
from chartdesk.core.demo.load import DEMO_PASSWORD


@register(Tags.security, deploy=True)
def no_demo_accounts(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Production must not keep the demo's log-ins: their names and password are printed by
    `demo-logins` and written in the README, so anyone could use them."""
    if settings.MODE != "production":
        return []
    slugs = [role.slug for role in ROLES]
    active = get_user_model().objects.filter(is_active=True)
    try:
        demo_users = sorted(
            user.username
            for user in active.filter(username__in=slugs)
            if user.email == f"{user.username}@example.org"
        )
        # Every password check costs a full key stretch, so only the accounts an attacker would try
        # first are checked: the role-named ones and every administrator.
        suspects = active.filter(username__in=slugs) | active.filter(groups__name=group_name("administrator"))
        demo_password = sorted(
            {user.username for user in suspects.distinct() if user.has_usable_password()
             and user.check_password(DEMO_PASSWORD)}
        )
    except DatabaseError:
        return []  # no tables yet: `serve` refuses unapplied migrations with its own message
    errors = []
    if demo_users:
        errors.append(Error(
            f"The demo users {', '.join(demo_users)} are active in a production database.",
            hint="Deactivate them (chartdesk deactivate-user NAME) or start from an empty database.",
            id="chartdesk.E003",
        ))
    if demo_password:
        errors.append(Error(
            f"The demo password is the password of {', '.join(demo_password)}.",
            hint="Reset their passwords from Users on the desk, or deactivate them.",
            id="chartdesk.E004",
        ))
    return errors
