"""The demo plan: what a seed decides, checked without a database."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from chartdesk.core.demo.people import medicare_mbi
from chartdesk.core.demo.plan import plan_demo
from chartdesk.core.npi import npi_check_digit, npi_is_valid

TODAY = date(2025, 6, 1)
ZONE = ZoneInfo("America/New_York")
MBI = re.compile(r"^[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9]"
                 r"[AC-HJKMNP-RT-Y]{2}[0-9]{2}$")


@pytest.fixture(scope="module")
def plan():
    return plan_demo(patients=200, seed=7, today=TODAY, zone=ZONE)


def test_the_same_seed_plans_the_same_data_and_another_seed_does_not(plan):
    assert plan_demo(patients=200, seed=7, today=TODAY, zone=ZONE) == plan
    other = plan_demo(patients=200, seed=8, today=TODAY, zone=ZONE)
    assert [p.family_name for p in other.patients] != [p.family_name for p in plan.patients]


def test_the_plan_has_exactly_the_requested_number_of_patient_records(plan):
    assert len(plan.patients) == 200
    assert len({p.key for p in plan.patients}) == 200
    assert len(plan_demo(patients=1, seed=1, today=TODAY, zone=ZONE).patients) == 1


def test_names_come_from_many_origins(plan):
    families = {p.family_name for p in plan.patients}
    assert {"Nguyen", "García", "Patel", "Okafor", "Kowalski", "Kim", "Smith"} & families
    assert len(families) > 80


def test_planted_duplicates_are_the_same_person_with_a_typo_a_nickname_or_swapped_birth_date(plan):
    by_key = {p.key: p for p in plan.patients}
    duplicates = [p for p in plan.patients if p.duplicate_of is not None]
    assert len(duplicates) == 6
    assert Counter(d.duplicate_kind for d in duplicates) == {"typo": 2, "nickname": 2, "swapped_birth_date": 2}
    for duplicate in duplicates:
        original = by_key[duplicate.duplicate_of]
        assert plan.patients.index(original) < plan.patients.index(duplicate)
        assert duplicate.phones[0] == original.phones[0]
        if duplicate.duplicate_kind == "typo":
            assert duplicate.family_name != original.family_name
            assert sorted(duplicate.family_name) == sorted(original.family_name)
            assert (duplicate.given_name, duplicate.birth_date) == (original.given_name, original.birth_date)
        elif duplicate.duplicate_kind == "nickname":
            assert duplicate.given_name != original.given_name
            assert (duplicate.family_name, duplicate.birth_date) == (original.family_name, original.birth_date)
        else:
            born = original.birth_date
            assert duplicate.birth_date == date(born.year, born.day, born.month)


def test_some_charts_are_restricted_as_vip_employee_and_sensitive(plan):
    restricted = Counter(p.restriction for p in plan.patients if p.restriction)
    assert set(restricted) == {"vip", "employee", "sensitive"}


def test_every_patient_over_65_has_a_well_formed_medicare_mbi(plan):
    for patient in plan.patients:
        age = TODAY.year - patient.birth_date.year - ((TODAY.month, TODAY.day) < (patient.birth_date.month,
                                                                                patient.birth_date.day))
        mbis = [value for kind, _, value in patient.identifiers if kind == "MC"]
        if age >= 65 and patient.duplicate_of is None:
            assert len(mbis) == 1 and MBI.match(mbis[0]), (patient, mbis)
        if age < 65:
            assert mbis == []


def test_provider_npis_carry_a_valid_luhn_check_digit(plan):
    assert all(npi_is_valid(provider.npi) for provider in plan.providers)
    assert npi_check_digit("123456789") == "3"  # CMS's published example, 1234567893
    assert not npi_is_valid("1234567890")


def test_mbi_never_uses_the_letters_cms_excludes():
    import random

    rng = random.Random(3)
    for _ in range(500):
        assert MBI.match(medicare_mbi(rng))


def test_encounters_of_every_class_fall_within_the_last_two_years(plan):
    encounters = [e for p in plan.patients for e in p.encounters]
    assert {e.encounter_class for e in encounters} == {"outpatient", "emergency", "inpatient", "observation"}
    assert all(TODAY - timedelta(days=731) <= e.admit_at.date() <= TODAY for e in encounters)
    finished = [e for e in encounters if e.discharge_at is not None]
    assert all(e.discharge_at > e.admit_at for e in finished)
    assert all(e.disposition for e in finished if e.encounter_class != "outpatient")
    in_house = [e for e in encounters if e.encounter_class == "inpatient" and e.discharge_at is None]
    assert in_house, "some inpatients are still in the hospital"


def test_documents_cover_the_usual_report_types_with_signed_unsigned_corrected_and_one_retracted(plan):
    documents = plan.documents
    assert {d.kind for d in documents} >= {"hp", "progress", "discharge", "operative", "lab", "imaging"}
    assert Counter(d.sign for d in documents)[False] > 0
    assert sum(1 for d in documents if d.retraction) == 1
    assert sum(1 for d in documents if d.correction) >= 2
    assert sum(1 for d in documents if d.addendum) >= 2
    assert all(d.sign for d in documents if d.correction or d.addendum or d.retraction)
    discharge = next(d for d in documents if d.kind == "discharge")
    assert discharge.text.startswith("DISCHARGE SUMMARY")
    assert "HOSPITAL COURSE:" in discharge.text
    operative = next(d for d in documents if d.kind == "operative")
    assert "DESCRIPTION OF PROCEDURE:" in operative.text
