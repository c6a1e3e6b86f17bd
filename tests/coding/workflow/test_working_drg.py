"""The working MS-DRG on the coding screen: how it moves as codes change, the abstract, and the
case-mix report, through the desk as coders and managers use it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.coding.workflow import actions
from chartdesk.coding.workflow.coded import coded_encounter
from chartdesk.coding.workflow.models import CodingCase, DrgGrouping
from chartdesk.core.errors import ChartdeskError
from tests.coding.workflow.conftest import finished_encounter, revision_of
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def stay(code_sets, staff):
    return finished_encounter(staff)


def post_codes(client, encounter, **fields):
    fields.setdefault("revision", revision_of(encounter))
    return client.post(f"/coding/work/encounter/{encounter.pk}/codes/", fields)


def screen(client, encounter):
    response = client.get(f"/coding/work/encounter/{encounter.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_screen_shows_the_working_drg_move_as_codes_are_added_resequenced_and_removed(stay, staff, client_for):
    client = client_for(staff.coder)
    client.post(f"/coding/work/encounter/{stay.pk}/start/", {"revision": 0})
    post_codes(client, stay, operation="add_diagnosis", code="I50.23", poa="Y")
    page = screen(client, stay)
    assert 'data-drg="293"' in page and "Heart Failure and Shock without CC/MCC" in page
    assert "FY2026 table (nearest)" in page  # discharged in FY2027: Table 5 of FY2026 is the nearest shipped

    post_codes(client, stay, operation="add_diagnosis", code="N17.9", poa="Y")
    page = screen(client, stay)
    assert 'data-drg="292"' in page and "CC from N179" in page
    assert 'data-role="N179" data-effect="drives"' in page

    post_codes(client, stay, operation="add_diagnosis", code="I50.22", poa="Y")
    assert 'data-role="I5022" data-effect="excluded"' in screen(client, stay)

    kidney = CodingCase.objects.get().diagnoses.get(code="N179")
    post_codes(client, stay, operation="move_diagnosis", diagnosis=kidney.pk, to_position=1)
    page = screen(client, stay)
    # Acute kidney failure as principal: acute on chronic heart failure, now secondary, is its MCC.
    assert 'data-drg="682"' in page and "MCC from I5023" in page
    history = list(DrgGrouping.objects.values_list("drg", "change"))
    assert history[:2] == [("293", "first grouping"), ("292", "added N17.9")]
    assert history[3][1] == "resequenced (principal N17.9)"

    post_codes(client, stay, operation="remove_diagnosis", diagnosis=kidney.pk)
    assert DrgGrouping.objects.last().change == "removed N17.9"
    assert 'data-history-drg="292"' in screen(client, stay)


def test_a_pressure_ulcer_not_present_on_admission_loses_its_mcc_on_the_screen(stay, staff, client_for):
    client = client_for(staff.coder)
    client.post(f"/coding/work/encounter/{stay.pk}/start/", {"revision": 0})
    post_codes(client, stay, operation="add_diagnosis", code="J18.9", poa="Y")
    post_codes(client, stay, operation="add_diagnosis", code="L89.153", poa="Y")
    assert 'data-drg="193"' in screen(client, stay)
    ulcer = CodingCase.objects.get().diagnoses.get(code="L89153")
    post_codes(client, stay, operation="change_diagnosis", diagnosis=ulcer.pk, code="L89.153", poa="N")
    page = screen(client, stay)
    assert 'data-drg="195"' in page and 'data-role="L89153" data-effect="hac"' in page
    assert "Stage III and IV Pressure Ulcers" in page and "moved this stay from MS-DRG 193" in page
    assert DrgGrouping.objects.last().change == "POA of L89.153 Y to N"


def test_the_abstract_sets_the_discharge_status_that_the_grouper_reads(stay, staff, client_for):
    client = client_for(staff.coder)
    client.post(f"/coding/work/encounter/{stay.pk}/start/", {"revision": 0})
    post_codes(client, stay, operation="add_diagnosis", code="I21.4", poa="Y")
    assert 'data-drg="282"' in screen(client, stay)  # AMI discharged alive, no CC/MCC
    url = f"/coding/work/encounter/{stay.pk}/abstract/"
    response = client.post(url, {"revision": revision_of(stay), "admission_type": "1", "admission_source": "1",
                                 "discharge_status": "20"}, follow=True)
    assert "Abstract saved." in response.content.decode()
    case = CodingCase.objects.get()
    assert (case.admission_type, case.admission_source, case.discharge_status) == ("1", "1", "20")
    assert 'data-drg="285"' in screen(client, stay)  # AMI, expired, without CC/MCC
    assert DrgGrouping.objects.last().change == "discharge status 01 to 20"
    assert AuditEvent.objects.filter(object_type="coding_case", detail__change="inpatient_abstract").exists()


@pytest.mark.parametrize(("fields", "message"), [
    ({"admission_type": "7", "admission_source": "1", "discharge_status": "01"}, "Admission type: choose"),
    ({"admission_type": "1", "admission_source": "Z", "discharge_status": "01"}, "Point of origin: choose"),
    ({"admission_type": "1", "admission_source": "1", "discharge_status": "99"}, "Discharge status: choose"),
    ({"admission_type": "4", "admission_source": "5", "discharge_status": "01"}, "needs the birth weight"),
    ({"admission_type": "4", "admission_source": "5", "discharge_status": "01", "birth_weight_grams": "12"},
     "whole grams from 100 to 9999"),
    ({"admission_type": "1", "admission_source": "1", "discharge_status": "01", "birth_weight_grams": "3200"},
     "newborn admissions (admission type 4) only"),
])
def test_a_bad_abstract_is_refused_with_its_reason_and_changes_nothing(stay, staff, client_for, fields, message):
    client = client_for(staff.coder)
    client.post(f"/coding/work/encounter/{stay.pk}/start/", {"revision": 0})
    revision = revision_of(stay)
    response = client.post(f"/coding/work/encounter/{stay.pk}/abstract/", {"revision": revision, **fields},
                           follow=True)
    assert message in response.content.decode()
    case = CodingCase.objects.get()
    assert (case.admission_type, case.discharge_status, case.birth_weight_grams, case.revision) == \
        ("", "", None, revision)


def test_a_newborn_abstract_keeps_the_birth_weight(stay, staff):
    case = actions.do_start_coding(stay, acting_user=staff.coder)
    actions.do_set_inpatient_abstract(case, admission_type="4", admission_source="5", discharge_status="01",
                                      birth_weight_grams="1180", acting_user=staff.coder)
    assert CodingCase.objects.get().birth_weight_grams == 1180


@pytest.mark.parametrize("role", ["registrar", "billing", "roi", "provider", "administrator"])
def test_other_roles_cannot_change_the_abstract_or_read_the_case_mix(stay, staff, client_for, role):
    actions.do_start_coding(stay, acting_user=staff.coder)
    client = client_for(factories.make_user(role))
    response = client.post(f"/coding/work/encounter/{stay.pk}/abstract/",
                           {"revision": revision_of(stay), "admission_type": "1", "admission_source": "1",
                            "discharge_status": "20"})
    assert response.status_code == 403
    assert client.get("/coding/work/case-mix/").status_code == 403
    assert CodingCase.objects.get().discharge_status == ""


def test_a_coder_not_assigned_cannot_change_the_abstract(stay, staff):
    case = actions.do_start_coding(stay, acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="assigned to"):
        actions.do_set_inpatient_abstract(case, admission_type="1", admission_source="1", discharge_status="20",
                                          acting_user=staff.other_coder)


def code_and_complete(staff, encounter, codes):
    case = actions.do_start_coding(encounter, acting_user=staff.coder)
    for code in codes:
        actions.do_add_diagnosis(case, code, poa="Y", acting_user=staff.coder)
    return actions.do_complete_coding(case, acting_user=staff.coder)


def test_case_mix_index_by_month_service_attending_and_the_drg_shifts_of_review(code_sets, staff, client_for):
    plain = code_and_complete(staff, finished_encounter(staff, days_ago=3), ["I50.23"])
    reviewed = code_and_complete(staff, finished_encounter(staff, days_ago=4), ["I50.23"])
    actions.do_start_review(reviewed, acting_user=staff.manager)
    actions.do_add_diagnosis(reviewed, "N17.9", poa="Y", acting_user=staff.manager)
    actions.do_finish_review(reviewed, acting_user=staff.manager)
    stages = list(DrgGrouping.objects.filter(case=reviewed).values_list("stage", "drg"))
    assert stages[0] == ("working", "293") and ("coded", "293") in stages and stages[-1] == ("final", "292")
    billed = coded_encounter(reviewed.encounter)
    assert (billed.ms_drg, billed.ms_drg_version) == ("292", "v44.0")

    client = client_for(staff.manager)
    response = client.get("/coding/work/case-mix/")
    assert response.status_code == 200
    report = response.context["report"]
    # 0.5660 (293) + 0.8490 (292), FY2026 weights (nearest to these FY2027 discharges)
    assert (report.overall.cases, report.overall.total_weight) == (2, Decimal("1.4150"))
    assert report.overall.cmi == Decimal("0.7075") and report.overall.nearest_weights == 2
    assert [(line.label, line.cases) for line in report.by_attending] == [("Ada Lovelace, MD", 2)]
    assert sum(line.cases for line in report.by_month) == 2 and len(report.by_service) >= 1
    assert [(s.encounter.pk, s.working.drg, s.final.drg, s.weight_change) for s in report.shifts] == [
        (reviewed.encounter_id, "293", "292", Decimal("0.2830"))]
    assert plain.encounter.account_number not in response.content.decode().split("DRG shifts")[1]
    assert AuditEvent.objects.filter(object_type="work_list", object_id="drg-shifts").exists()
    assert "From: give the date" in client.get("/coding/work/case-mix/?since=yesterday").content.decode()


def test_the_medicare_code_editor_runs_on_the_abstract_and_names_the_code(stay, staff, client_for):
    client = client_for(staff.coder)
    client.post(f"/coding/work/encounter/{stay.pk}/start/", {"revision": 0})
    post_codes(client, stay, operation="add_diagnosis", code="G63", poa="Y")
    post_codes(client, stay, operation="add_diagnosis", code="E11.42", poa="Y")
    page = screen(client, stay)
    assert 'data-mce="MANIFESTATION_AS_PDX"' in page
    assert "G63 is a manifestation code and cannot be the principal diagnosis" in page
    etiology = CodingCase.objects.get().diagnoses.get(code="E1142")
    post_codes(client, stay, operation="move_diagnosis", diagnosis=etiology.pk, to_position=1)
    assert "data-mce=" not in screen(client, stay)


def test_the_medicare_code_editor_age_and_sex_edits_run_on_the_abstract(code_sets, staff, client_for):
    # Edits the chapter-based coding rules do not make: the MCE's pediatric list (a child's routine
    # examination on a woman of 76) and its sex list (weeks of gestation on a man).
    elder = factories.make_patient("Edith", "Cavell", birth_date=datetime.date(1950, 1, 5), sex="F")
    stay = finished_encounter(staff, patient=elder)
    client = client_for(staff.coder)
    client.post(f"/coding/work/encounter/{stay.pk}/start/", {"revision": 0})
    post_codes(client, stay, operation="add_diagnosis", code="I50.23", poa="Y")
    assert "data-mce=" not in screen(client, stay)
    post_codes(client, stay, operation="add_diagnosis", code="Z00.121", poa="")
    page = screen(client, stay)
    assert 'data-mce="AGE_CONFLICT"' in page and "Z00121 is outside the ages the code applies to" in page

    # His FY2024 stay is grouped with MCE v41, before CMS retired the sex edit.
    man = factories.make_patient("Paul", "Revere", birth_date=datetime.date(1994, 2, 1), sex="M")
    old = finished_encounter(staff, patient=man, days_ago=(timezone.localdate() - datetime.date(2024, 6, 3)).days)
    client.post(f"/coding/work/encounter/{old.pk}/start/", {"revision": 0})
    client.post(f"/coding/work/encounter/{old.pk}/nearest-release/", {"revision": revision_of(old)})
    post_codes(client, old, operation="add_diagnosis", code="I50.23", poa="Y")
    post_codes(client, old, operation="add_diagnosis", code="Z3A.00", poa="")
    page = screen(client, old)
    assert 'data-mce="SEX_CONFLICT"' in page and "Z3A00 conflicts with the patient&#x27;s sex" in page
