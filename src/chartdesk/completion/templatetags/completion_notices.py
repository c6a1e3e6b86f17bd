"""`{% completion_notices_for user as notices %}`: the signed-in user's latest reminder or delinquency
notices, for the home page card (counts and the date sent only, so no patient data is read)."""

from __future__ import annotations

from typing import Any

from django import template

from chartdesk.completion.models import CompletionNotice
from chartdesk.completion.notices import latest_notices_for

register = template.Library()


@register.simple_tag
def completion_notices_for(user: Any, limit: int = 1) -> list[CompletionNotice]:
    return latest_notices_for(user, limit=limit)
