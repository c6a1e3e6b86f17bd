"""Small helpers for reading what a form posted."""

from __future__ import annotations

from typing import Any

MAX_ID_DIGITS = 18  # a 64-bit primary key; more digits would overflow the database's integer


def posted_id(request: Any, name: str) -> int:
    """A record id posted in a form field; 0 (which matches no row) when absent or not a number,
    so a tampered field ends in "not found" or a form error, never in a server error."""
    raw = (request.POST.get(name) or "").strip()
    return int(raw) if raw.isdecimal() and len(raw) <= MAX_ID_DIGITS else 0
