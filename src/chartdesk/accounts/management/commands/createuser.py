"""`chartdesk createuser USERNAME --role ROLE`: create a user with one role, through do_create_user."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chartdesk.accounts.actions import UNKNOWN_ROLE, NewProvider, do_create_user, role_choices_text
from chartdesk.accounts.roles import ROLES_BY_SLUG
from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError


class Command(BaseCommand):
    help = "Create a user holding one role. The password comes from an environment variable or a prompt."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help="one of: " + role_choices_text())
        parser.add_argument(
            "--password-from-env",
            metavar="VAR",
            help="read the password from this environment variable (never from the command line, "
            "where other users of the machine could see it)",
        )
        parser.add_argument("--full-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--npi", default="", help="providers: create their clinician record with this NPI")
        parser.add_argument("--credentials", default="", help="providers: MD, DO, NP, PA…")

    def handle(self, *args: Any, **options: Any) -> None:
        role = options["role"]
        if role not in ROLES_BY_SLUG:
            raise CommandError(UNKNOWN_ROLE.format(role=role, roles=role_choices_text()))
        if options["npi"] and role != "provider":
            raise CommandError("--npi is for the provider role only.")
        password = self._password(options["username"], options["password_from_env"], options["email"])
        provider = NewProvider(npi=options["npi"], credentials=options["credentials"]) if options["npi"] else None
        try:
            with acting_as(channel="cli"):
                user = do_create_user(
                    options["username"],
                    role=role,
                    password=password,
                    acting_user=None,
                    full_name=options["full_name"],
                    email=options["email"],
                    provider=provider,
                )
        except ChartdeskError as refusal:
            raise CommandError(refusal.message) from None
        self.stdout.write(f"Created {user.username} with the role {role}.")

    def _password(self, username: str, variable: str | None, email: str) -> str:
        if variable:
            password = os.environ.get(variable)
            if not password:
                raise CommandError(f"The environment variable {variable} is not set or is empty.")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password again: "):
                raise CommandError("The two passwords differ; nothing was created.")
        try:
            password_validation.validate_password(password, get_user_model()(username=username, email=email))
        except ValidationError as problems:
            raise CommandError("The password was refused: " + " ".join(problems.messages)) from None
        return password
