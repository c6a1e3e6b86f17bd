from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from chartdesk.core.registry import desk_context


def desk(request: HttpRequest) -> dict[str, Any]:
    return {
        "chartdesk_mode": settings.MODE,
        "current_role": None,  # accounts registers the signed-in user's role (core.registry)
        "idle_logoff_seconds": settings.IDLE_LOGOFF_MINUTES * 60,
        **desk_context(request),
    }
