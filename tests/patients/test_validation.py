from datetime import date, timedelta

import pytest
from django.utils import timezone

from chartdesk.patients.validation import (
    InvalidField,
    clean_birth_date,
    clean_email,
    clean_mbi,
    clean_ssn,
    clean_state,
    clean_us_phone,
    clean_zip,
)


def message_of(clean, *args):
    with pytest.raises(InvalidField) as refused:
        clean(*args)
    return refused.value.message


def test_a_well_formed_mbi_is_accepted_with_dashes_and_lower_case():
    assert clean_mbi("1eg4-te5-mk73") == "1EG4TE5MK73"  # the CMS example MBI


@pytest.mark.parametrize(("mbi", "message"), [
    ("1EG4TE5MK7", "must be 11 letters and digits, not 10"),
    ("0EG4TE5MK73", "position 1 must be a digit 1 to 9"),
    ("1SG4TE5MK73", "the letter S (position 2) is never used"),
    ("1EG4TE5MO73", "the letter O (position 9) is never used"),
    ("11G4TE5MK73", "position 2 must be a letter"),
    ("1EGATE5MK73", "position 4 must be a digit"),
    ("1EG4TE5MK7A", "position 11 must be a digit"),
])
def test_mbis_breaking_the_cms_position_rules_are_refused_naming_the_position(mbi, message):
    assert message in message_of(clean_mbi, mbi)
    assert message_of(clean_mbi, mbi).startswith("Medicare MBI:")


def test_a_valid_ssn_comes_back_as_nine_digits():
    assert clean_ssn("219-09-9999") == "219099999"
    assert clean_ssn("219099999") == "219099999"


@pytest.mark.parametrize(("ssn", "message"), [
    ("000-12-3456", "first three digits cannot be 000"),
    ("666-12-3456", "first three digits cannot be 666"),
    ("912-12-3456", "first three digits cannot be 912"),
    ("123-00-4567", "middle two digits cannot be 00"),
    ("123-45-0000", "last four digits cannot be 0000"),
    ("12-345-6789", "enter nine digits"),
    ("12345678", "enter nine digits"),
])
def test_ssns_that_are_never_issued_are_refused(ssn, message):
    assert message in message_of(clean_ssn, ssn)
    assert message_of(clean_ssn, ssn).startswith("SSN:")


def test_phone_numbers_are_kept_as_ten_digits_whatever_the_punctuation():
    assert clean_us_phone("(217) 555-0142") == "2175550142"
    assert clean_us_phone("+1 217.555.0142") == "2175550142"


@pytest.mark.parametrize(("phone", "message"), [
    ("555-0142", "10 digits, not 7"),
    ("(117) 555-0142", "area code never starts with 0 or 1"),
    ("(217) 155-0142", "exchange (digits 4 to 6) never starts with 0 or 1"),
    ("217-555-01x2", "use digits only"),
])
def test_bad_phone_numbers_are_refused_naming_the_phone(phone, message):
    assert message in message_of(clean_us_phone, phone)


def test_zip_codes_take_five_digits_or_zip_plus_four():
    assert clean_zip("62704") == "62704"
    assert clean_zip("627041234") == "62704-1234"
    assert "ZIP code" in message_of(clean_zip, "6270")
    assert "ZIP code" in message_of(clean_zip, "ABCDE")


def test_states_are_two_letter_usps_codes():
    assert clean_state("il") == "IL"
    assert clean_state("PR") == "PR"
    assert "is not a US state" in message_of(clean_state, "XX")


def test_birth_dates_in_the_future_or_before_1900_are_refused():
    today = date(2026, 6, 1)
    assert clean_birth_date(date(1980, 3, 15), today=today) == date(1980, 3, 15)
    assert "in the future" in message_of(clean_birth_date, timezone.localdate() + timedelta(days=1), "birth_date")
    assert "before 1900" in message_of(clean_birth_date, date(1899, 12, 31))


def test_email_addresses_are_checked_and_may_be_left_empty():
    assert clean_email(" ana@example.org ") == "ana@example.org"
    assert clean_email("") == ""
    assert "is not an email address" in message_of(clean_email, "ana@")
