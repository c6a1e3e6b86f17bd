from datetime import date

import pytest

from chartdesk.patients.matching import likely_matches
from chartdesk.patients.models import Patient, PatientStatus
from chartdesk.patients.schemas import AddressInput, PatientRegistration
from tests.support import factories


def registration(**fields):
    values = {"given_name": "Maria", "family_name": "Garcia", "birth_date": date(1980, 3, 15), "sex": "F"}
    values.update(fields)
    return PatientRegistration(**values)


@pytest.fixture
def maria(db):
    return factories.make_patient(
        "Maria", "Garcia", date(1980, 3, 15), "F", ssn="219-09-9999", phones=(("mobile", "2175550142"),),
        addresses=(AddressInput(line1="12 Oak St", city="Springfield", state="IL", postal_code="62704"),),
    )


def test_the_same_name_and_date_of_birth_is_a_very_likely_match(maria):
    [match] = likely_matches(registration())
    assert match.patient == maria
    assert match.likelihood == "very likely the same person"
    assert {"same family name", "same given name", "same date of birth"} <= set(match.reasons)


def test_a_nickname_and_swapped_day_and_month_still_match(maria):
    [match] = likely_matches(registration(given_name="Mary", birth_date=date(1980, 3, 15)))
    assert match.patient == maria
    swapped = factories.make_patient("Robert", "Jones", date(1970, 4, 5), "M")
    [match] = likely_matches(registration(given_name="Bob", family_name="Jones", birth_date=date(1970, 5, 4), sex="M"))
    assert match.patient == swapped
    assert "date of birth with day and month swapped" in match.reasons
    assert "given name is a nickname of the other" in match.reasons


def test_a_shared_ssn_makes_a_match_even_under_another_name(maria):
    [match] = likely_matches(registration(given_name="Ana", family_name="Lopez", ssn="219099999"))
    assert match.patient == maria
    assert "same SSN" in match.reasons


def test_more_agreeing_fields_score_higher(maria):
    plain = likely_matches(registration())[0].score
    more = likely_matches(registration(phones=(("mobile", "217-555-0142"),), addresses=(
        AddressInput(line1="12 Oak St", city="Springfield", state="IL", postal_code="62704"),)))[0]
    assert more.score > plain
    assert {"same phone number", "same address"} <= set(more.reasons)


def test_a_different_person_with_only_the_birthday_in_common_is_not_shown(maria):
    assert likely_matches(registration(given_name="Tobias", family_name="Wright", sex="M")) == []


def test_merged_records_are_not_offered(maria):
    Patient.objects.filter(pk=maria.pk).update(status=PatientStatus.MERGED)
    assert likely_matches(registration()) == []
