"""Template helpers for the patient banner: what the signed-in user may see about their access."""

from __future__ import annotations

from typing import Any

from django import template

from chartdesk.patients.access import active_break_the_glass
from chartdesk.patients.models import BreakTheGlassAccess, Patient
from chartdesk.patients.mrn import format_mrn

register = template.Library()


@register.simple_tag(takes_context=True)
def glass_access(context: Any, patient: Patient) -> BreakTheGlassAccess | None:
    """The signed-in user's running break-the-glass access to this chart, if any."""
    request = context.get("request")
    if request is None or not patient.is_restricted or not request.user.is_authenticated:
        return None
    return active_break_the_glass(request.user, patient)


@register.filter
def mrn(value: str) -> str:
    return format_mrn(value)
