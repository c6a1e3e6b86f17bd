"""NUL and other control characters in names are refused by one rule in the patients layer, whichever
way the name arrives: the actions, the desk forms, the FHIR API, the FHIR import and HL7 v2 intake
(issue 11, item 17). The message names the field; nothing is saved. The FHIR and HL7 doors are tested in
tests/interop/test_name_control_characters.py."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chartdesk.patients.actions import do_add_other_name, do_register_patient, do_update_demographics
from chartdesk.patients.models import Patient
from chartdesk.patients.schemas import NameInput, PatientRegistration
from chartdesk.patients.validation import InvalidField, InvalidPatientData, refuse_control_characters
from tests.support import factories

pytestmark = pytest.mark.django_db

CONTROLS = ["\x00", "\x01", "\x1b", "\t", "\n", "\x7f", "\x85", "\u202e", "\u2066", "\ud800"]


def registration(**names: str) -> PatientRegistration:
    fields = {"given_name": "Ada", "family_name": "Okafor", **names}
    return PatientRegistration(birth_date=date(1970, 1, 1), sex="F", **fields)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_the_rule_passes_printable_names_and_names_the_field_for_anything_else(text):
    try:
        assert refuse_control_characters(text, "family_name", "Family name") == text
    except InvalidField as refused:
        assert refused.field == "family_name"
        assert refused.message.startswith("Family name: control character U+")


@pytest.mark.parametrize("char", CONTROLS)
@pytest.mark.parametrize(("field", "label"), [("given_name", "Given name"), ("family_name", "Family name"),
                                              ("middle_name", "Middle name"), ("prefix", "Prefix"),
                                              ("suffix", "Suffix"), ("preferred_name", "Preferred name")])
def test_registration_refuses_a_control_character_in_any_part_of_the_name(users, char, field, label):
    with pytest.raises(InvalidPatientData) as refused:
        do_register_patient(registration(**{field: f"Ok{char}ay"}), acting_user=users["registrar"])
    assert refused.value.errors[field] == (f"{label}: control character U+{ord(char):04X} at position 3 is not "
                                           "allowed in a name.")
    assert not Patient.objects.exists()


def test_names_from_every_script_and_joiners_are_kept(users):
    for given_name, family in (("Zoë", "Ó Briain-Núñez"), ("Мария", "Иванова"), ("ذکیه", "می\u200cخواهم"),
                               ("李", "小龍"), ("D'Arcy", "O'Neil")):
        patient = do_register_patient(registration(given_name=given_name, family_name=family),
                                      acting_user=users["registrar"])
        assert (patient.given_name, patient.family_name) == (given_name, family)


def test_demographic_edits_and_other_names_refuse_control_characters(users):
    patient = factories.make_patient("Ada", "Okafor")
    with pytest.raises(InvalidPatientData) as refused:
        do_update_demographics(patient, {"family_name": "Oka\x00for", "suffix": "Jr\x1b"},
                               expected_revision=patient.revision, acting_user=users["registrar"])
    assert set(refused.value.errors) == {"family_name", "suffix"}
    with pytest.raises(InvalidField) as other:
        do_add_other_name(patient, NameInput(family_name="Smith", given_name="A\x07da", use="maiden"),
                          acting_user=users["registrar"])
    assert other.value.field == "other_name_given_name"
    patient.refresh_from_db()
    assert (patient.family_name, patient.suffix, patient.names.count()) == ("Okafor", "", 1)


REGISTRATION_FORM = {"given_name": "Ada", "family_name": "Okafor", "birth_date": "1970-01-01", "sex": "F",
                     "preferred_language": "English"}


@pytest.mark.parametrize("char", ["\x00", "\x01", "\u202e"])
@pytest.mark.parametrize(("field", "label"), [("family_name", "Family name"), ("middle_name", "Middle name"),
                                              ("name_prefix", "Prefix")])
def test_the_desk_registration_form_shows_the_error_on_the_field(client_for, users, char, field, label):
    response = client_for(users["registrar"]).post("/patients/register/",
                                                   {**REGISTRATION_FORM, field: f"Ok{char}ay"})
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [
        f"{label}: control character U+{ord(char):04X} at position 3 is not allowed in a name."]
    assert f"{label}: control character U+{ord(char):04X}" in response.content.decode()
    assert not Patient.objects.exists()


def test_the_desk_demographics_form_refuses_a_nul_in_the_family_name(client_for, users):
    patient = factories.make_patient("Ada", "Okafor")
    response = client_for(users["registrar"]).post(f"/patients/{patient.pk}/edit/", {
        **REGISTRATION_FORM, "family_name": "Oka\x00for", "revision": patient.revision})
    assert response.status_code == 400
    assert response.context["form"].errors["family_name"] == [
        "Family name: control character U+0000 at position 4 is not allowed in a name."]
    patient.refresh_from_db()
    assert patient.family_name == "Okafor"
