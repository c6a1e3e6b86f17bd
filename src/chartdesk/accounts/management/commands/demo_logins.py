"""`chartdesk demo-logins`: who to log in as on a demo site, with which password (demo mode only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.cli import invocation


class Command(BaseCommand):
    help = "Print the demo users, their roles and password, and the address of the desk. Demo mode only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="the desk's address to print")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.MODE != "demo":
            raise CommandError("demo-logins runs only in demo mode (CHARTDESK_MODE=demo).")

        from django.contrib.auth import get_user_model

        from chartdesk.accounts.roles import ROLES, role_of
        from chartdesk.core.demo.load import DEMO_PASSWORD

        users = {user.username: user for user in get_user_model().objects.filter(username__in=[r.slug for r in ROLES])}
        present = [(role, users[role.slug]) for role in ROLES if role.slug in users and role_of(users[role.slug])]
        if not present:
            raise CommandError(f"There are no demo users yet: run `{invocation()} demo-data` first.")
        self.stdout.write(f"Chartdesk demo: open {options['url']} and log in as one of these users.")
        self.stdout.write(f"Every demo user's password is: {DEMO_PASSWORD}\n")
        width = max(len(role.slug) for role, _ in present)
        self.stdout.write(f"  {'user name':{width}}  role")
        for role, _user in present:
            self.stdout.write(f"  {role.slug:{width}}  {role.label}: {role.home}")
