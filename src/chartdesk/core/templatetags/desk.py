"""Filters every desk page uses, loaded as template builtins (settings.TEMPLATES), so that one date
format, one time zone and one way of writing money hold on every page without a `{% load %}`.

- `desk_date`: a date (or the site-local day of a datetime) as DATE_FORMAT.
- `desk_datetime`: a moment in the site's time zone, with the zone named ("2026-03-01 14:05 EST").
- `desk_utc`: a moment in UTC, labelled "UTC" (the audit log keeps UTC; nothing else should).
- `money`: "$1,234.50", "-$12.00"; blank for None.
- `error_named`: an error message that names its field once ("Given name: required."), for summaries.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.formats import get_format

register = template.Library()

CENT = Decimal("0.01")


@register.filter
def desk_date(value: Any) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return format_date(value, get_format("DATE_FORMAT"))


@register.filter
def desk_datetime(value: Any) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, dt.datetime):
        return desk_date(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return format_date(timezone.localtime(value), get_format("DATETIME_FORMAT"))


@register.filter
def desk_utc(value: Any) -> str:
    if value in (None, ""):
        return ""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return format_date(value.astimezone(dt.UTC), "Y-m-d H:i:s") + " UTC"


@register.filter
def money(value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@register.filter
def error_named(error: Any, label: Any) -> str:
    """The summary line for a field's error: the messages of this project already start with the
    field's name ("Given name: required."); Django's own ("This field is required.") do not."""
    message, name = str(error), str(label or "")
    if not name or message.casefold().startswith(name.casefold()):
        return message
    return f"{name}: {message}"
