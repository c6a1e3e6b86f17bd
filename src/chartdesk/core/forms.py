"""Small helpers for reading numbers out of what a request carries (form fields, query parameters).

Python's int() accepts any number of digits (up to 4,300, then it raises ValueError) and a database
integer holds at most 18 full digits: a number typed or tampered into a URL must be checked against
both before it reaches int() or a query. Every view that reads a whole number from GET or POST goes
through `whole_number` (or `posted_id`, for record ids), so none can end in a server error.
"""

from __future__ import annotations

from typing import Any

from chartdesk.core.errors import NotFound

MAX_ID_DIGITS = 18  # a 64-bit primary key; more digits would overflow the database's integer
MAX_ID = 10**MAX_ID_DIGITS - 1


def whole_number(raw: str | None, *, high: int = MAX_ID) -> int | None:
    """`raw` as a whole number from 0 to `high`, or None when it is absent, not plain ASCII digits, or
    larger (a caller answers None with a message naming the field, or as "no such record")."""
    text = (raw or "").strip()
    # isdecimal() alone also accepts other scripts' digits ("٣"), which no form of ours offers.
    if not text or not text.isascii() or not text.isdecimal() or len(text.lstrip("0")) > len(str(high)):
        return None
    value = int(text)
    return value if value <= high else None


def posted_id(request: Any, name: str) -> int:
    """A record id posted in a form field; 0 (which matches no row) when absent or not a number,
    so a tampered field ends in "not found" or a form error, never in a server error."""
    return whole_number(request.POST.get(name)) or 0


def record_id(value: Any, what: str = "record") -> int:
    """A record id taken from a URL or a form, or NotFound naming `what` when it is no number at all,
    so a mangled id answers exactly like a missing or forbidden one. (A number beyond the database's
    integers finds nothing: Django answers such a lookup with no rows.)"""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(what) from None
