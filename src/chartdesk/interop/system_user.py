"""The interface system account: HL7 intake and FHIR imports write as this user (role "interface"),
so the audit trail shows every change a feed or file made, apart from what people did at the desk."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

INTERFACE_USERNAME = "system-interface"


def interface_user() -> Any:
    """The interface account, created on first use without a usable password (nobody logs in as it)."""
    from chartdesk.accounts.actions import do_create_user

    User = get_user_model()
    user = User.objects.filter(username=INTERFACE_USERNAME).first()
    if user is None:
        user = do_create_user(INTERFACE_USERNAME, role="interface", password=None, acting_user=None,
                              full_name="Interface System")
    return User.objects.get(pk=user.pk)
