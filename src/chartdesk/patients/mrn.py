"""Medical record numbers: a 7-digit serial from one counter plus a Luhn check digit.

The check digit catches every single-digit typo and most swaps of neighbouring digits, so a
mistyped MRN finds nothing instead of finding somebody else.
"""

from __future__ import annotations

from django.db import transaction
from stdnum import luhn

from chartdesk.patients.models import MrnSequence

SERIAL_DIGITS = 7
MRN_DIGITS = SERIAL_DIGITS + 1
LAST_SERIAL = 10**SERIAL_DIGITS - 1


class MrnSpaceExhausted(RuntimeError):
    pass


def luhn_check_digit(digits: str) -> str:
    """The digit that makes `digits` + it pass the Luhn (mod 10) check."""
    return str(luhn.calc_check_digit(digits))


def mrn_for_serial(serial: int) -> str:
    payload = f"{serial:0{SERIAL_DIGITS}d}"
    return payload + luhn_check_digit(payload)


def is_valid_mrn(text: str) -> bool:
    """Eight digits (spaces and dashes ignored) whose last digit is the Luhn check of the first seven."""
    digits = "".join(char for char in str(text) if char not in " -")
    if len(digits) != MRN_DIGITS or not digits.isdecimal():
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


def format_mrn(mrn: str) -> str:
    """For reading aloud and on labels: '1000001-8'. Search accepts it back in either form."""
    digits = "".join(char for char in str(mrn) if char.isdecimal())
    return f"{digits[:-1]}-{digits[-1]}" if len(digits) == MRN_DIGITS else str(mrn)


def allocate_mrns(count: int) -> list[str]:
    """Reserve `count` consecutive MRNs. Patients are never deleted, so a number is never reused."""
    if count < 1:
        return []
    with transaction.atomic():
        # select_for_update: two registrations at once on PostgreSQL would otherwise both read the
        # same last_serial and hand out the same MRN (the unique index would then refuse one of them
        # mid-registration). SQLite serialises writers already; the lock costs nothing there.
        sequence, _ = MrnSequence.objects.select_for_update().get_or_create(id=1)
        first = sequence.last_serial + 1
        last = sequence.last_serial + count
        if last > LAST_SERIAL:
            raise MrnSpaceExhausted(f"The MRN counter would pass {LAST_SERIAL}; widen SERIAL_DIGITS.")
        sequence.last_serial = last
        sequence.save(update_fields=["last_serial"])
    return [mrn_for_serial(serial) for serial in range(first, last + 1)]


def allocate_mrn() -> str:
    return allocate_mrns(1)[0]
