"""Template tags of the release-of-information area."""

from __future__ import annotations

from typing import Any

from django import template

from chartdesk.disclosures.access import amendments_awaiting_author
from chartdesk.disclosures.models import Purpose, category_words

register = template.Library()


@register.simple_tag
def amendments_for_author(user: Any) -> list[Any]:
    """The open amendment requests on documents this provider wrote (their home page lists them)."""
    return amendments_awaiting_author(user)


@register.filter
def sensitivity_words(categories: list[str]) -> str:
    """A list of sensitivity slugs as the words a person reads."""
    return category_words(list(categories or []))


@register.filter
def purpose_words(purposes: list[str]) -> str:
    """Coded purposes as the words a person reads."""
    return ", ".join(Purpose(value).label if value in Purpose.values else value for value in purposes or [])
