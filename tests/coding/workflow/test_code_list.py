"""The code list: codes checked against the release in effect, POA rules, sequencing, procedures."""

from __future__ import annotations

import pytest
from django.utils import timezone

from chartdesk.coding.workflow import actions
from chartdesk.core.errors import ChartdeskError
from tests.coding.workflow.conftest import finished_encounter, revision_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def inpatient_case(code_sets, staff):
    return actions.do_start_coding(finished_encounter(staff), acting_user=staff.coder)


@pytest.fixture
def visit_case(code_sets, staff):
    return actions.do_start_coding(finished_encounter(staff, encounter_class="outpatient"), acting_user=staff.coder)


@pytest.mark.parametrize(("typed", "message"), [
    ("E11", "E11 is a header, not a billable code"),
    ("E11.99", "E11.99 is not in the ICD-10-CM release in effect"),
    ("11.9E", "'11.9E' does not have the shape of ICD-10-CM codes"),
    ("", "Give the ICD-10-CM code"),
])
def test_a_diagnosis_must_be_a_billable_code_of_the_release(inpatient_case, staff, typed, message):
    with pytest.raises(ChartdeskError, match=message):
        actions.do_add_diagnosis(inpatient_case, typed, poa="Y", acting_user=staff.coder)
    assert not inpatient_case.diagnoses.exists()


def test_codes_are_stored_without_the_dot_and_typed_in_any_case(inpatient_case, staff):
    row = actions.do_add_diagnosis(inpatient_case, " e11.9 ", poa="y", acting_user=staff.coder)
    assert (row.code, row.poa, row.position) == ("E119", "Y", 1)
    with pytest.raises(ChartdeskError, match="E11.9 is already on this encounter"):
        actions.do_add_diagnosis(inpatient_case, "E119", poa="Y", acting_user=staff.coder)


def test_poa_rules_for_inpatient_and_outpatient(inpatient_case, visit_case, staff):
    with pytest.raises(ChartdeskError, match="Z79.4 is exempt"):
        actions.do_add_diagnosis(inpatient_case, "Z79.4", poa="Y", acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="I10 is not on the POA-exempt list"):
        actions.do_add_diagnosis(inpatient_case, "I10", poa="1", acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="Choose the POA indicator"):
        actions.do_add_diagnosis(inpatient_case, "I10", poa="X", acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="inpatient diagnoses only"):
        actions.do_add_diagnosis(visit_case, "I10", poa="Y", acting_user=staff.coder)
    assert actions.do_add_diagnosis(visit_case, "I10", acting_user=staff.coder).poa == ""


def test_sequencing_moves_a_diagnosis_to_principal_and_removal_closes_the_gap(inpatient_case, staff):
    for code in ("I10", "E11.9", "J18.9"):
        actions.do_add_diagnosis(inpatient_case, code, poa="Y", acting_user=staff.coder)
    pneumonia = inpatient_case.diagnoses.get(code="J189")
    actions.do_move_diagnosis(pneumonia, to_position=1, acting_user=staff.coder)
    assert list(inpatient_case.diagnoses.values_list("code", "position")) == [("J189", 1), ("I10", 2), ("E119", 3)]
    actions.do_remove_diagnosis(inpatient_case.diagnoses.get(code="I10"), acting_user=staff.coder)
    assert list(inpatient_case.diagnoses.values_list("code", "position")) == [("J189", 1), ("E119", 2)]


def test_inpatient_procedures_are_pcs_and_outpatient_are_cpt_or_hcpcs(inpatient_case, visit_case, staff):
    day = timezone.localtime(inpatient_case.encounter.discharge_at).date()
    provider = staff.doctor.provider
    with pytest.raises(ChartdeskError, match="coded in ICD-10-PCS"):
        actions.do_add_procedure(inpatient_case, system="cpt", code="99223", performed_on=day, provider=provider,
                                 acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="take no modifiers"):
        actions.do_add_procedure(inpatient_case, system="icd10pcs", code="0DTJ4ZZ", performed_on=day,
                                 provider=provider, modifiers="LT", acting_user=staff.coder)
    visit_day = timezone.localtime(visit_case.encounter.discharge_at).date()
    with pytest.raises(ChartdeskError, match="for inpatient stays"):
        actions.do_add_procedure(visit_case, system="icd10pcs", code="0DTJ4ZZ", performed_on=visit_day,
                                 provider=provider, acting_user=staff.coder)
    cpt = actions.do_add_procedure(visit_case, system="cpt", code="99213", performed_on=visit_day,
                                   provider=provider, modifiers="25", acting_user=staff.coder)
    hcpcs = actions.do_add_procedure(visit_case, system="hcpcs", code="j1100", performed_on=visit_day,
                                     provider=provider, units="8", acting_user=staff.coder)
    assert [(p.system, p.code, p.modifiers, p.units) for p in (cpt, hcpcs)] == [
        ("cpt", "99213", ["25"], 1), ("hcpcs", "J1100", [], 8)]


@pytest.mark.parametrize(("fields", "message"), [
    ({"code": "J9999"}, "J9999 is not in the HCPCS Level II release"),
    ({"modifiers": "25, 59, LT, RT, XS"}, "At most four modifiers"),
    ({"modifiers": "2"}, "Modifier '2' must be two"),
    ({"units": "0"}, "Units must be a whole number"),
    ({"units": "many"}, "Units must be a whole number"),
    ({"provider": None}, "Choose the provider"),
    ({"performed_on": None}, "Give the date"),
])
def test_bad_procedure_lines_are_refused_with_the_field_named(visit_case, staff, fields, message):
    day = timezone.localtime(visit_case.encounter.discharge_at).date()
    line = {"system": "hcpcs", "code": "G0008", "performed_on": day, "provider": staff.doctor.provider,
            "modifiers": "", "units": 1, **fields}
    with pytest.raises(ChartdeskError, match=message):
        actions.do_add_procedure(visit_case, acting_user=staff.coder, **line)
    assert not visit_case.procedures.exists()


def test_a_procedure_date_outside_the_stay_is_refused(inpatient_case, staff):
    day = timezone.localtime(inpatient_case.encounter.admit_at).date().replace(year=2021)
    with pytest.raises(ChartdeskError, match="outside the stay") as refused:
        actions.do_add_procedure(inpatient_case, system="icd10pcs", code="0DTJ4ZZ", performed_on=day,
                                 provider=staff.doctor.provider, acting_user=staff.coder)
    assert refused.value.field == "performed_on"


def test_without_a_release_in_effect_on_the_day_nothing_is_coded(code_sets, staff):
    # Discharged in 2014, before any loaded edition took effect.
    case = actions.do_start_coding(finished_encounter(staff, days_ago=365 * 12), acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="No ICD-10-CM release covering"):
        actions.do_add_diagnosis(case, "E11.9", poa="Y", acting_user=staff.coder)


def test_the_coding_screen_shows_documents_beside_the_codes_and_takes_changes(inpatient_case, staff, client_for):
    client = client_for(staff.coder)
    url = f"/coding/work/encounter/{inpatient_case.encounter_id}/"
    client.post(url + "codes/", {"operation": "add_diagnosis", "code": "I50.9", "poa": "Y",
                                 "revision": revision_of(inpatient_case)})
    client.post(url + "codes/", {"operation": "add_diagnosis", "code": "E11", "poa": "Y",
                                 "revision": revision_of(inpatient_case)})
    page = client.get(url).content.decode()
    assert "Ejection fraction 30% on echocardiogram." in page
    assert "Heart failure, unspecified" in page and "Principal" in page
    assert "E11 is a header, not a billable code" in page
    diagnosis = inpatient_case.diagnoses.get()
    client.post(url + "codes/", {"operation": "change_diagnosis", "diagnosis": diagnosis.pk, "code": "I50.23",
                                 "poa": "N", "revision": revision_of(inpatient_case)})
    diagnosis.refresh_from_db()
    assert (diagnosis.code, diagnosis.poa) == ("I5023", "N")
