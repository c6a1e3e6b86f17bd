"""Filing order: where a paper chart goes on the shelf under each filing system.

Record numbers are read as their digits (dashes and spaces are only for reading aloud). Terminal-
and middle-digit filing work on six digits split into three pairs, as the trade writes them:
12-34-56 is tertiary 12, secondary 34, primary 56.

- terminal digit: by the primary pair (56), then the secondary (34), then the tertiary (12);
- middle digit:   by the secondary pair (34), then the tertiary (12), then the primary (56);
- straight numeric: by the whole number;
- alphabetic (charts only): family name, given name, middle name, date of birth, MRN.

A number shorter than six digits is padded with leading zeros (4567 files as 00-45-67). Digits
beyond the last six are a fourth, least significant unit: 1-23-45-67 files beside 23-45-67, then
by the leading 1.

Chartdesk MRNs: the filing number of an MRN is its 7-digit serial without the Luhn check digit
(the check digit catches typing errors; it carries no order and would split the sections). MRN
0123456-3 therefore files as 12-34-56 with the leading 0 as its fourth unit, and consecutive
registrations land in consecutive primary sections, which is what spreads the file-room work.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from django.db import models

from chartdesk.patients.mrn import MRN_DIGITS, is_valid_mrn


class FilingSystem(models.TextChoices):
    TERMINAL_DIGIT = "terminal-digit", "Terminal digit"
    MIDDLE_DIGIT = "middle-digit", "Middle digit"
    STRAIGHT_NUMERIC = "straight-numeric", "Straight numeric"
    ALPHABETIC = "alphabetic", "Alphabetic"


NUMERIC_SYSTEMS = (FilingSystem.TERMINAL_DIGIT, FilingSystem.MIDDLE_DIGIT, FilingSystem.STRAIGHT_NUMERIC)


class BadRecordNumber(ValueError):
    """A record number that is not digits (dashes and spaces allowed), or an MRN with a wrong check digit."""


def record_digits(number: str) -> str:
    """The digits of a record number; raises BadRecordNumber for anything else in it."""
    cleaned = "".join(char for char in str(number).strip() if char not in " -")
    if not cleaned or not cleaned.isascii() or not cleaned.isdecimal():
        raise BadRecordNumber(f"{number.strip()!r} is not a record number (digits, with dashes or spaces)")
    return cleaned


def filing_number_of_mrn(mrn: str) -> str:
    """The filing number of a Chartdesk MRN: its serial, without the check digit."""
    digits = record_digits(mrn)
    if len(digits) != MRN_DIGITS or not is_valid_mrn(digits):
        raise BadRecordNumber(f"{mrn.strip()!r} is not a Chartdesk MRN (8 digits with a valid check digit)")
    return digits[:-1]


def sections(number: str) -> tuple[str, str, str, str]:
    """(tertiary, secondary, primary, leading digits) of a record number: 12-34-56 -> ('12', '34', '56', '')."""
    digits = record_digits(number).rjust(6, "0")
    leading, six = digits[:-6], digits[-6:]
    return six[0:2], six[2:4], six[4:6], leading


def _leading_key(leading: str) -> tuple[int, int]:
    stripped = leading.lstrip("0")
    return (len(stripped), int(stripped or "0"))


def terminal_digit_key(number: str) -> tuple[Any, ...]:
    tertiary, secondary, primary, leading = sections(number)
    return (primary, secondary, tertiary, _leading_key(leading))


def middle_digit_key(number: str) -> tuple[Any, ...]:
    tertiary, secondary, primary, leading = sections(number)
    return (secondary, tertiary, primary, _leading_key(leading))


def straight_numeric_key(number: str) -> tuple[Any, ...]:
    stripped = record_digits(number).lstrip("0")
    return (len(stripped), stripped)  # numeric order without limits on length


NUMBER_KEYS: dict[str, Callable[[str], tuple[Any, ...]]] = {
    FilingSystem.TERMINAL_DIGIT: terminal_digit_key,
    FilingSystem.MIDDLE_DIGIT: middle_digit_key,
    FilingSystem.STRAIGHT_NUMERIC: straight_numeric_key,
}


def sort_record_numbers(numbers: Iterable[str], system: str, *, mrns: bool = False) -> list[str]:
    """The numbers (as given) in the filing order of `system`; with `mrns`, each is a Chartdesk MRN."""
    key = NUMBER_KEYS[system]
    given = list(numbers)
    if mrns:
        return [number for _, number in sorted(((key(filing_number_of_mrn(n)), n) for n in given),
                                               key=lambda pair: pair[0])]
    return sorted(given, key=key)


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    letters = "".join(char for char in decomposed if char.isalnum() or char == " ")
    return " ".join(letters.casefold().split())


def alphabetic_key(family_name: str, given_name: str, middle_name: str, birth_date: date, mrn: str
                   ) -> tuple[Any, ...]:
    """Alphabetic filing: family, given and middle names (accents and punctuation ignored), then birth date."""
    return (_folded(family_name), _folded(given_name), _folded(middle_name), birth_date, mrn)


def patient_filing_key(system: str, patient: Any) -> tuple[Any, ...]:
    """Where a patient's chart files under `system` (used to sort any chart list)."""
    if system == FilingSystem.ALPHABETIC:
        return alphabetic_key(patient.family_name, patient.given_name, patient.middle_name, patient.birth_date,
                              patient.mrn)
    return NUMBER_KEYS[system](filing_number_of_mrn(patient.mrn) if is_valid_mrn(patient.mrn) else patient.mrn)


def filing_label(system: str, mrn: str) -> str:
    """The number as written on the folder for this system: '0-12-34-56' for terminal or middle digit."""
    number = filing_number_of_mrn(mrn) if is_valid_mrn(mrn) else record_digits(mrn)
    if system in (FilingSystem.TERMINAL_DIGIT, FilingSystem.MIDDLE_DIGIT):
        tertiary, secondary, primary, leading = sections(number)
        return "-".join(part for part in (leading, tertiary, secondary, primary) if part)
    return number


def sort_in_filing_order(items: Sequence[Any], system: str, patient_of: Callable[[Any], Any]) -> list[Any]:
    """Any list of charts (or things with a patient) in filing order."""
    return sorted(items, key=lambda item: patient_filing_key(system, patient_of(item)))
