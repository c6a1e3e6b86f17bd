"""Template tags of the release-of-information area."""

from __future__ import annotations

from typing import Any

from django import template

from chartdesk.disclosures.access import amendments_awaiting_author

register = template.Library()


@register.simple_tag
def amendments_for_author(user: Any) -> list[Any]:
    """The open amendment requests on documents this provider wrote (their home page lists them)."""
    return amendments_awaiting_author(user)
