"""`chartdesk permissions-doc`: print docs/permissions.md, the role × permission matrix, from ROLES."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from chartdesk.accounts.docs import render_permission_matrix


class Command(BaseCommand):
    help = "Print the role × permission matrix (docs/permissions.md) generated from accounts/roles.py."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(render_permission_matrix(), ending="")
