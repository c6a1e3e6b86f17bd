"""Validators for what a clerk types at registration. Each returns the cleaned value or raises
InvalidField with a message that names the field, so forms, the API and importers say the same.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from chartdesk.core.errors import ChartdeskError

EARLIEST_BIRTH_DATE = date(1900, 1, 1)

# CMS MBI format: no S, L, O, I, B or Z anywhere (they read like digits or each other).
MBI_LETTERS = frozenset("ACDEFGHJKMNPQRTUVWXY")
MBI_DIGITS = frozenset("0123456789")
# Position by position (CMS "Understanding the MBI"): C A AN N A AN N A A N N, where C is 1-9.
MBI_LAYOUT: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset("123456789"), "a digit 1 to 9"),
    (MBI_LETTERS, "a letter"),
    (MBI_LETTERS | MBI_DIGITS, "a letter or digit"),
    (MBI_DIGITS, "a digit"),
    (MBI_LETTERS, "a letter"),
    (MBI_LETTERS | MBI_DIGITS, "a letter or digit"),
    (MBI_DIGITS, "a digit"),
    (MBI_LETTERS, "a letter"),
    (MBI_LETTERS, "a letter"),
    (MBI_DIGITS, "a digit"),
    (MBI_DIGITS, "a digit"),
)

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
    "NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY "
    "AS GU MP PR VI UM FM MH PW AA AE AP".split()
)
# Characters no name holds, whichever door it comes through (desk, FHIR, HL7 v2, import): controls
# (NUL, which PostgreSQL refuses in text, escape, tab, line breaks, C1), lone surrogates (not encodable
# as UTF-8), and the bidirectional embeddings, overrides and isolates that make a name display as
# something other than what is stored and matched. Joiners (U+200C, U+200D) belong to some scripts.
NAME_PART_LABELS = {"middle_name": "Middle name", "prefix": "Prefix", "suffix": "Suffix",
                    "preferred_name": "Preferred name"}
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ZIP = re.compile(r"^\d{5}(-?\d{4})?$")
_SSN = re.compile(r"^\d{3}-?\d{2}-?\d{4}$")


class InvalidField(ChartdeskError):
    """A value that fails validation; `field` names the form field it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


class InvalidPatientData(ChartdeskError):
    """Several fields at once: `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _strip(value: str) -> str:
    return "".join(str(value).split())


def clean_mbi(value: str, field: str = "mbi") -> str:
    """A Medicare Beneficiary Identifier: 11 characters in the CMS layout, dashes and spaces ignored."""
    mbi = _strip(value).replace("-", "").upper()
    if len(mbi) != 11:
        raise InvalidField(field, f"Medicare MBI: must be 11 letters and digits, not {len(mbi)}.")
    for position, (allowed, what) in enumerate(MBI_LAYOUT, start=1):
        char = mbi[position - 1]
        if char in "SLOIBZ":
            raise InvalidField(field, f"Medicare MBI: the letter {char} (position {position}) is never used in an MBI.")
        if char not in allowed:
            raise InvalidField(field, f"Medicare MBI: position {position} must be {what}, not {char!r}.")
    return mbi


def clean_ssn(value: str, field: str = "ssn") -> str:
    """Nine digits, as 123-45-6789 or 123456789; SSA never issues area 000, 666 or 900-999,
    group 00 or serial 0000. Returns the nine digits."""
    text = _strip(value)
    if not _SSN.match(text):
        raise InvalidField(field, "SSN: enter nine digits, as 123-45-6789.")
    digits = text.replace("-", "")
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area == "000" or area == "666" or area[0] == "9":
        raise InvalidField(field, f"SSN: the first three digits cannot be {area} (never issued).")
    if group == "00":
        raise InvalidField(field, "SSN: the middle two digits cannot be 00.")
    if serial == "0000":
        raise InvalidField(field, "SSN: the last four digits cannot be 0000.")
    return digits


def clean_us_phone(value: str, field: str = "phone") -> str:
    """A North American number: ten digits (a leading 1 is dropped), area code and exchange 2-9 first."""
    digits = re.sub(r"[\s().\-+]", "", str(value))
    if not digits.isdecimal():
        raise InvalidField(field, "Phone: use digits only, as (217) 555-0142.")
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) != 10:
        raise InvalidField(field, f"Phone: a US number has 10 digits, not {len(digits)}.")
    if digits[0] in "01":
        raise InvalidField(field, "Phone: an area code never starts with 0 or 1.")
    if digits[3] in "01":
        raise InvalidField(field, "Phone: the exchange (digits 4 to 6) never starts with 0 or 1.")
    return digits


def clean_zip(value: str, field: str = "postal_code") -> str:
    text = _strip(value)
    if not _ZIP.match(text):
        raise InvalidField(field, "ZIP code: enter 5 digits, or ZIP+4 as 62704-1234.")
    return text if len(text) == 5 or "-" in text else f"{text[:5]}-{text[5:]}"


def clean_state(value: str, field: str = "state") -> str:
    code = _strip(value).upper()
    if code not in US_STATES:
        raise InvalidField(field, f"State: {value!r} is not a US state or territory code (two letters, as IL).")
    return code


def clean_birth_date(value: date, field: str = "birth_date", *, today: date | None = None) -> date:
    today = today or timezone.localdate()
    if value > today:
        raise InvalidField(field, f"Date of birth: {value:%m/%d/%Y} is in the future.")
    if value < EARLIEST_BIRTH_DATE:
        raise InvalidField(field, f"Date of birth: {value:%m/%d/%Y} is before 1900; check the year.")
    return value


_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def clean_partial_birth_date(value: str, field: str = "birth_date") -> str:
    """What a legacy index knew of a birth date: "" (nothing), a year "1975" or a month "1975-03"."""
    text = _strip(value)
    if not text:
        return ""
    found = _PARTIAL_DATE.match(text)
    if not found:
        raise InvalidField(field, f"Date of birth: {value!r} is neither a date nor a year (1975) or month (1975-03).")
    year, month = int(found.group(1)), found.group(2)
    if not EARLIEST_BIRTH_DATE.year <= year <= timezone.localdate().year:
        raise InvalidField(field, f"Date of birth: year {year} is before 1900 or in the future.")
    if month is not None and not 1 <= int(month) <= 12:
        raise InvalidField(field, f"Date of birth: month {month} does not exist.")
    return text


def clean_email(value: str, field: str = "email") -> str:
    text = str(value).strip()
    if not text:
        return ""
    try:
        validate_email(text)
    except ValidationError:
        raise InvalidField(field, f"Email: {text!r} is not an email address.") from None
    return text


def refuse_control_characters(value: str, field: str, label: str) -> str:
    """`value` unchanged, or InvalidField naming the field, the character and where it is."""
    for position, char in enumerate(str(value), start=1):
        if unicodedata.category(char) in ("Cc", "Cs") or char in BIDI_CONTROLS:
            raise InvalidField(field, f"{label}: control character U+{ord(char):04X} at position {position} is not "
                                      "allowed in a name.")
    return value


def clean_required_name(value: str, field: str, label: str) -> str:
    text = " ".join(refuse_control_characters(str(value), field, label).split())
    if not text:
        raise InvalidField(field, f"{label}: required.")
    if len(text) > 80:
        raise InvalidField(field, f"{label}: at most 80 characters.")
    if not any(char.isalpha() for char in text):
        raise InvalidField(field, f"{label}: must contain letters.")
    return text


def identifier_value_key(value: str) -> str:
    """How identifiers are matched: upper case, no spaces, dashes or dots."""
    return re.sub(r"[\s\-.]", "", str(value)).upper()[:40]
