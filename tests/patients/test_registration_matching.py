"""The registration screen matches with the trained model (patients.linkage_match): it finds a
duplicate the textbook weights it replaced did not show, and never offers a twin as the same person."""

from datetime import date

import pytest

from chartdesk.patients.models import Patient
from chartdesk.patients.schemas import AddressInput
from tests.support import factories

FORM = {"given_name": "Ingrid", "family_name": "Solberg", "birth_date": "1964-09-24", "sex": "F",
        "preferred_language": "English"}
HOME = (AddressInput(line1="12 Oak St", city="Springfield", state="IL", postal_code="62704"),)


def test_a_birth_date_one_digit_off_and_a_new_phone_is_shown_as_very_likely_the_same_person(client_for, users):
    # The textbook weights scored this 6.6 (names +12.06, a different birth date -5.06, sex +0.97,
    # a different phone -1.32), under their threshold of 8: the registrar saw no match and made a
    # second MRN. The trained model knows a birth date one digit off is a typo far more often than chance.
    existing = factories.make_patient("Ingrid", "Solberg", date(1964, 9, 21), "F", phones=(("mobile", "2175550142"),))
    response = client_for(users["registrar"]).post("/patients/register/", {**FORM, "mobile_phone": "217-555-0199"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Is the patient already registered?" in body and existing.mrn in body
    assert "very likely the same person: Given name: exact, Family name: exact, Date of birth: one digit off" in body
    assert Patient.objects.count() == 1


def test_a_twin_at_the_same_home_is_shown_for_review_but_not_as_the_same_person(client_for, users):
    twin = factories.make_patient("Ingrid", "Solberg", date(1964, 9, 24), "F", phones=(("mobile", "2175550142"),),
                                  addresses=HOME)
    response = client_for(users["registrar"]).post("/patients/register/", {
        **FORM, "given_name": "Astrid", "mobile_phone": "217-555-0142", "address_line1": "12 Oak St",
        "city": "Springfield", "state": "IL", "postal_code": "62704"})
    body = response.content.decode()
    assert twin.mrn in body
    assert "different given names, same birth date and family: twins?" in body
    assert "very likely the same person" not in body
    assert Patient.objects.count() == 1


@pytest.mark.parametrize("role", ["coder", "billing", "roi", "provider"])
def test_roles_that_do_not_register_see_no_candidates(client_for, users, role):
    factories.make_patient("Ingrid", "Solberg", date(1964, 9, 21), "F")
    response = client_for(users[role]).post("/patients/register/", FORM)
    assert response.status_code == 403
    assert b"Solberg" not in response.content
