"""The password back end of the desk: Django's, refusing the system accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from chartdesk.accounts.roles import DESK_BARRED_ROLES, role_of


class DeskBackend(ModelBackend):
    """Django's user-name-and-password back end, except that system accounts (the interface account
    HL7 feeds and FHIR imports write as) never log in at the desk, even if someone gave them a
    password: their changes must stay apart from what people did. The refusal looks like a wrong
    password (and counts as one), so the desk does not tell a guesser which names are system accounts."""

    def user_can_authenticate(self, user: Any) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return role_of(user) not in DESK_BARRED_ROLES
