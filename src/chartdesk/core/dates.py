"""Calendar arithmetic that several apps need and must agree on."""

from __future__ import annotations

from datetime import date


def age_on(birth: date, day: date) -> int:
    """Age in whole years on `day`: a birthday counts from the day itself, and someone born on
    29 February turns a year older on 1 March in a common year."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
