from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def desk(request: HttpRequest) -> dict[str, Any]:
    from chartdesk.accounts.roles import role_of

    user = getattr(request, "user", None)
    return {
        "chartdesk_mode": settings.MODE,
        "current_role": role_of(user) if user is not None and user.is_authenticated else None,
        "idle_logoff_seconds": settings.IDLE_LOGOFF_MINUTES * 60,
    }
