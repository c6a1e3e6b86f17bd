from datetime import date

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.core.errors import PermissionRefused
from chartdesk.patients.actions import do_add_other_name, do_set_restriction, do_update_demographics
from chartdesk.patients.models import Patient, PatientStatus
from chartdesk.patients.schemas import IdentifierInput, NameInput
from chartdesk.patients.search import parse_date, search_patients
from tests.support import factories


@pytest.fixture
def index(db):
    """A small index with look-alikes, so that ranking is tested and not just finding."""
    return {
        "maria": factories.make_patient("Maria", "Garcia", date(1980, 3, 15), "F", phones=(("mobile", "2175550142"),)),
        "mario": factories.make_patient("Mario", "Garcia", date(1979, 8, 2), "M"),
        "marta": factories.make_patient("Marta", "Garza", date(1980, 3, 15), "F"),
        "william": factories.make_patient(
            "William", "Smith", date(1966, 11, 4), "M",
            identifiers=(IdentifierInput(type="MC", issuer="CMS", value="1EG4-TE5-MK73"),),
        ),
        "katherine": factories.make_patient("Katherine", "Johnson", date(1991, 4, 7), "F"),
        "jose": factories.make_patient("José", "Núñez-Ortiz", date(1955, 12, 1), "M"),
    }


def names(hits):
    return [hit.patient.display_name for hit in hits]


def top(user, query):
    hits = search_patients(user, query)
    assert hits, f"nothing found for {query!r}"
    return hits[0]


@pytest.mark.parametrize("query", ["garcia maria", "maria garcia", "Garcia, Maria", "GARCIA,MARIA"])
def test_a_name_in_any_order_finds_the_patient_first(index, users, query):
    assert top(users["registrar"], query).patient == index["maria"]


def test_a_nickname_finds_the_formal_name(index, users):
    hit = top(users["registrar"], "Bill Smith")
    assert hit.patient == index["william"]
    assert "Bill is a nickname of William" in hit.reasons


def test_a_typo_in_the_family_name_still_finds_the_patient(index, users):
    assert top(users["registrar"], "Jonhson").patient == index["katherine"]
    assert top(users["registrar"], "katherine jonson").patient == index["katherine"]


def test_a_given_name_spelled_another_way_is_found_by_sound(index, users):
    hit = top(users["registrar"], "Catherine")
    assert hit.patient == index["katherine"]
    assert "given name sounds like Katherine" in hit.reasons


def test_accents_and_hyphens_do_not_matter(index, users):
    assert top(users["registrar"], "jose nunez-ortiz").patient == index["jose"]
    assert top(users["registrar"], "Nunez Ortiz, Jose").patient == index["jose"]


@pytest.mark.parametrize("query", ["1980-03-15", "03/15/1980", "3/15/80", "15.03.1980"])
def test_a_date_of_birth_in_common_formats_finds_everyone_born_that_day(index, users, query):
    found = search_patients(users["registrar"], query)
    assert {hit.patient for hit in found} == {index["maria"], index["marta"]}
    assert "date of birth" in found[0].reasons


def test_a_date_of_birth_typed_with_day_and_month_swapped_is_found_and_says_so(index, users):
    # William was born on 4 November 1966: 11/04/1966 in US order.
    assert "date of birth" in top(users["registrar"], "11/04/1966").reasons
    flipped = top(users["registrar"], "04/11/1966")
    assert flipped.patient == index["william"]
    assert "date of birth with day and month swapped" in flipped.reasons


def test_name_and_date_together_rank_the_person_born_that_day_first(index, users):
    found = search_patients(users["registrar"], "garcia 3/15/1980")
    assert found[0].patient == index["maria"]
    assert index["mario"] in {hit.patient for hit in found[1:]}


def test_a_valid_mrn_finds_its_patient(index, users):
    patient = index["mario"]
    assert top(users["registrar"], patient.mrn).patient == patient
    assert top(users["registrar"], f"{patient.mrn[:7]}-{patient.mrn[7]}").patient == patient


def test_an_mrn_with_a_wrong_check_digit_finds_nobody(index, users):
    patient = index["mario"]
    wrong = patient.mrn[:7] + str((int(patient.mrn[7]) + 1) % 10)
    assert search_patients(users["registrar"], wrong) == []


def test_a_phone_number_finds_its_patient_whatever_the_punctuation(index, users):
    for typed in ("(217) 555-0142", "217.555.0142", "2175550142"):
        hit = top(users["registrar"], typed)
        assert hit.patient == index["maria"]
        assert "phone (217) 555-0142" in hit.reasons


def test_an_identifier_finds_its_patient(index, users):
    hit = top(users["registrar"], "1eg4te5mk73")
    assert hit.patient == index["william"]
    assert any("Medicare beneficiary identifier" in reason for reason in hit.reasons)


def test_a_previous_name_still_finds_the_patient(index, users):
    maria = index["maria"]
    do_update_demographics(maria, {"family_name": "Lopez"}, expected_revision=maria.revision,
                           acting_user=users["registrar"])
    hit = top(users["registrar"], "maria garcia")
    assert hit.patient == maria
    assert hit.patient.family_name == "Lopez"
    assert any("previous name" in reason for reason in hit.reasons)


def test_an_alias_finds_the_patient(index, users):
    do_add_other_name(index["jose"], NameInput(family_name="Ortiz", given_name="Pepe", use="alias"),
                      acting_user=users["registrar"])
    assert top(users["registrar"], "pepe ortiz").patient == index["jose"]


def test_restricted_patients_are_listed_so_their_badge_can_show(index, users):
    do_set_restriction(index["katherine"], restriction="vip", note="board", acting_user=users["him_manager"])
    hit = top(users["registrar"], "katherine johnson")
    assert hit.patient.is_restricted


def test_a_merged_record_leads_to_its_survivor_and_is_never_listed_itself(index, users):
    duplicate = factories.make_patient("Maria", "Garcia", date(1980, 3, 15), "F")
    # Merging is a later issue; the columns exist already and search must honour them.
    Patient.objects.filter(pk=duplicate.pk).update(status=PatientStatus.MERGED, merged_into=index["maria"])
    found = search_patients(users["registrar"], "garcia maria")
    assert [hit.patient.pk for hit in found].count(index["maria"].pk) == 1
    assert duplicate.pk not in [hit.patient.pk for hit in found]


def test_each_search_writes_one_audit_event_with_the_query(index, users):
    before = AuditEvent.objects.filter(action="search").count()
    search_patients(users["coder"], "garcia maria")
    events = AuditEvent.objects.filter(action="search").order_by("-sequence")
    assert events.count() == before + 1
    assert events.first().detail["query"] == "garcia maria"
    assert events.first().username == users["coder"].username


def test_users_without_the_search_permission_are_refused(index, users):
    with pytest.raises(PermissionRefused):
        search_patients(users["administrator"], "garcia")


def test_an_empty_query_finds_nothing_and_writes_nothing(index, users):
    before = AuditEvent.objects.count()
    assert search_patients(users["registrar"], "   ") == []
    assert AuditEvent.objects.count() == before


def test_date_parsing_offers_the_swapped_reading_only_when_it_is_a_real_different_date():
    assert parse_date("03/04/1980", today=date(2026, 1, 1)) == [(date(1980, 3, 4), False), (date(1980, 4, 3), True)]
    assert parse_date("03/03/1980", today=date(2026, 1, 1)) == [(date(1980, 3, 3), False)]
    assert parse_date("31/12/1980", today=date(2026, 1, 1)) == [(date(1980, 12, 31), False)]
    assert parse_date("02/30/1980", today=date(2026, 1, 1)) == []
    assert parse_date("3/4/05", today=date(2026, 1, 1))[0] == (date(2005, 3, 4), False)
    assert parse_date("3/4/45", today=date(2026, 1, 1))[0] == (date(1945, 3, 4), False)
