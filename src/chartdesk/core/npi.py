"""The National Provider Identifier's check digit, in one place for every app that takes an NPI.

CMS defines it as the Luhn check digit computed over the card-issuer prefix 80840 followed by the
first nine digits; python-stdnum's Luhn does the arithmetic.
"""

from __future__ import annotations

from stdnum import luhn

NPI_PREFIX = "80840"


def npi_check_digit(first_nine: str) -> str:
    """The tenth digit of an NPI whose first nine digits are `first_nine`."""
    return str(luhn.calc_check_digit(NPI_PREFIX + first_nine))


def npi_is_valid(npi: str) -> bool:
    """Ten ASCII digits whose last is the check digit of the first nine."""
    return len(npi) == 10 and npi.isascii() and npi.isdecimal() and luhn.is_valid(NPI_PREFIX + npi)
