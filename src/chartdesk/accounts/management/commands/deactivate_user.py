"""`chartdesk deactivate-user USERNAME`: stop an account from logging in, through do_deactivate_user.

For the command line because production refuses to serve while the demo's log-ins are active, so
the desk cannot be used to switch them off."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.accounts.actions import do_deactivate_user
from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError


class Command(BaseCommand):
    help = "Deactivate accounts: they can no longer log in; nothing about them is deleted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("usernames", nargs="+", metavar="USERNAME")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        accounts = []
        for username in options["usernames"]:
            account = User.objects.filter(username=username).first()
            if account is None:
                raise CommandError(f"There is no user {username!r}; nothing was deactivated.")
            accounts.append(account)
        for account in accounts:
            try:
                with acting_as(channel="cli"):
                    do_deactivate_user(account, acting_user=None)
            except ChartdeskError as refusal:
                raise CommandError(refusal.message) from None
            self.stdout.write(f"Deactivated {account.username}.")
