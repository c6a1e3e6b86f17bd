"""Coder asks, provider answers, coder completes; billing reads the coded encounter."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.models import EncounterStatus
from chartdesk.coding.workflow import actions
from chartdesk.coding.workflow.coded import CodedDiagnosisLine, CodedProcedureLine, coded_encounter
from chartdesk.coding.workflow.models import CaseStatus, QueryStatus
from chartdesk.coding.workflow.query_templates import OTHER, UNDETERMINED
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from tests.coding.workflow.conftest import finished_encounter

pytestmark = pytest.mark.django_db


def test_coder_queries_provider_who_answers_and_the_coder_completes(code_sets, staff, client_for):
    encounter = finished_encounter(staff)
    case = actions.do_start_coding(encounter, acting_user=staff.coder)
    assert (case.status, case.assigned_to) == (CaseStatus.IN_PROGRESS, staff.coder)
    actions.do_add_diagnosis(case, "I50.9", poa="Y", acting_user=staff.coder)

    query = actions.do_send_query(
        case, provider=staff.doctor.provider, template="heart_failure",
        indicators="BNP 1,450 pg/mL.\n\u201cEjection fraction 30% on echocardiogram.\u201d", acting_user=staff.coder,
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.ON_HOLD
    assert query.indicators == ["BNP 1,450 pg/mL.", "Ejection fraction 30% on echocardiogram."]
    assert query.options[-2:] == [OTHER, UNDETERMINED]
    with pytest.raises(ChartdeskError, match="still open"):
        actions.do_complete_coding(case, acting_user=staff.coder)

    home = client_for(staff.doctor).get("/")
    assert b"Coding queries to answer" in home.content
    assert query.question.encode() in client_for(staff.doctor).get(f"/coding/work/query/{query.pk}/").content
    answered = client_for(staff.doctor).post(
        f"/coding/work/query/{query.pk}/", {"answer": "Acute on chronic systolic (HFrEF) heart failure"}
    )
    assert answered.status_code == 302
    query.refresh_from_db()
    case.refresh_from_db()
    assert (query.status, query.answer, query.answered_by) == (
        QueryStatus.ANSWERED, "Acute on chronic systolic (HFrEF) heart failure", staff.doctor
    )
    assert case.status == CaseStatus.IN_PROGRESS and case.hold_since is None
    screen = client_for(staff.coder).get(f"/coding/work/encounter/{encounter.pk}/")
    assert b"Acute on chronic systolic (HFrEF) heart failure" in screen.content

    first = case.diagnoses.get()
    actions.do_change_diagnosis(first, code="I50.23", poa="Y", acting_user=staff.coder)
    actions.do_add_diagnosis(case, "E11.9", poa="Y", acting_user=staff.coder)
    actions.do_add_diagnosis(case, "Z79.4", poa="1", acting_user=staff.coder)
    day = timezone.localtime(encounter.discharge_at).date()
    actions.do_add_procedure(case, system="icd10pcs", code="0DTJ4ZZ", performed_on=day,
                             provider=staff.doctor.provider, acting_user=staff.coder)
    assert coded_encounter(encounter) is None  # not billable before completion
    actions.do_complete_coding(case, acting_user=staff.coder)

    coded = coded_encounter(encounter)
    assert coded is not None
    assert coded.diagnoses == (
        CodedDiagnosisLine("I5023", "Y", True), CodedDiagnosisLine("E119", "Y", False),
        CodedDiagnosisLine("Z794", "1", False),
    )
    assert coded.procedures == (
        CodedProcedureLine("0DTJ4ZZ", "icd10pcs", (), 1, day, "1234567893", staff.doctor.provider.pk),
    )
    encounter.refresh_from_db()
    assert encounter.status == EncounterStatus.FINISHED
    events = list(AuditEvent.objects.filter(object_type__in=["coding_case", "physician_query", "coded_diagnosis",
                                                             "coded_procedure"], action__in=["create", "update"])
                  .order_by("sequence")
                  .values_list("object_type", "detail"))
    # Each change carries the case revision it made: one each, in order.
    assert [detail["case_revision"] for _, detail in events] == list(range(1, len(events) + 1))
    changes = [(kind, {key: value for key, value in detail.items() if key != "case_revision"})
               for kind, detail in events]
    assert ("physician_query", {"encounter_id": encounter.pk, "change": "answer",
                                "answer": "Acute on chronic systolic (HFrEF) heart failure"}) in changes
    assert ("coding_case", {"encounter_id": encounter.pk, "change": "complete", "codes": 4}) in changes


def test_the_hold_time_is_counted_from_asking_to_answering(code_sets, staff):
    encounter = finished_encounter(staff)
    case = actions.do_start_coding(encounter, acting_user=staff.coder)
    query = actions.do_send_query(case, provider=staff.doctor.provider, template="anemia",
                                  indicators="Started IV furosemide.", acting_user=staff.coder)
    asked = timezone.now() - datetime.timedelta(hours=5)
    type(query).objects.filter(pk=query.pk).update(asked_at=asked)
    type(case).objects.filter(pk=case.pk).update(hold_since=asked)
    actions.do_answer_query(query, answer=UNDETERMINED, acting_user=staff.doctor)
    case.refresh_from_db()
    assert 5 * 3600 <= case.hold_seconds < 5 * 3600 + 60


def test_indicators_must_be_quoted_from_the_encounters_documents(code_sets, staff):
    case = actions.do_start_coding(finished_encounter(staff), acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="Indicator line 2 is not quoted") as refused:
        actions.do_send_query(case, provider=staff.doctor.provider, template="heart_failure",
                              indicators="BNP 1,450 pg/mL.\nPatient has acute systolic heart failure",
                              acting_user=staff.coder)
    assert refused.value.field == "indicators"
    with pytest.raises(ChartdeskError, match="at least one clinical indicator"):
        actions.do_send_query(case, provider=staff.doctor.provider, template="heart_failure", indicators="  \n",
                              acting_user=staff.coder)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and not case.queries.exists()


def test_a_query_goes_only_to_a_provider_of_the_encounter_and_from_a_template(code_sets, staff):
    case = actions.do_start_coding(finished_encounter(staff), acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="care team"):
        actions.do_send_query(case, provider=staff.other_doctor.provider, template="anemia",
                              indicators="Started IV furosemide.", acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="template"):
        actions.do_send_query(case, provider=staff.doctor.provider, template="did_the_patient_have_sepsis",
                              indicators="Started IV furosemide.", acting_user=staff.coder)


def test_other_needs_the_providers_own_words_and_unknown_answers_are_refused(code_sets, staff):
    case = actions.do_start_coding(finished_encounter(staff), acting_user=staff.coder)
    query = actions.do_send_query(case, provider=staff.doctor.provider, template="abnormal_finding",
                                  indicators="Bilateral lower extremity edema.", acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="own words"):
        actions.do_answer_query(query, answer=OTHER, acting_user=staff.doctor)
    with pytest.raises(ChartdeskError, match="answers offered"):
        actions.do_answer_query(query, answer="Sepsis", acting_user=staff.doctor)
    actions.do_answer_query(query, answer=OTHER, detail="Dependent edema from immobility", acting_user=staff.doctor)
    with pytest.raises(ChartdeskError, match="already answered"):
        actions.do_answer_query(query, answer=UNDETERMINED, acting_user=staff.doctor)


def test_only_the_queried_provider_answers(code_sets, staff, client_for):
    case = actions.do_start_coding(finished_encounter(staff), acting_user=staff.coder)
    query = actions.do_send_query(case, provider=staff.doctor.provider, template="anemia",
                                  indicators="Started IV furosemide.", acting_user=staff.coder)
    with pytest.raises(PermissionRefused):
        actions.do_answer_query(query, answer=UNDETERMINED, acting_user=staff.other_doctor)
    assert client_for(staff.other_doctor).get(f"/coding/work/query/{query.pk}/").status_code == 404
    assert client_for(staff.other_doctor).post(f"/coding/work/query/{query.pk}/",
                                               {"answer": UNDETERMINED}).status_code == 404
    # The coder reads it but may not answer it.
    assert client_for(staff.coder).get(f"/coding/work/query/{query.pk}/").status_code == 200
    assert client_for(staff.coder).post(f"/coding/work/query/{query.pk}/",
                                        {"answer": UNDETERMINED}).status_code == 403
    query.refresh_from_db()
    assert query.status == QueryStatus.OPEN
    assert b"No coding query waits" in client_for(staff.other_doctor).get("/coding/work/queries/").content


def test_inpatient_completion_needs_every_poa(code_sets, staff):
    case = actions.do_start_coding(finished_encounter(staff), acting_user=staff.coder)
    actions.do_add_diagnosis(case, "J18.9", poa="Y", acting_user=staff.coder)
    actions.do_add_diagnosis(case, "N39.0", acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match=r"POA indicator of every inpatient diagnosis .*N39\.0"):
        actions.do_complete_coding(case, acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="Code at least one diagnosis"):
        actions.do_complete_coding(
            actions.do_start_coding(finished_encounter(staff, days_ago=4), acting_user=staff.coder),
            acting_user=staff.coder,
        )


@pytest.mark.parametrize("provider", ["abc", "²", "99999999999999999999999", ""])
def test_a_query_to_a_tampered_provider_id_is_refused_with_a_message_and_sends_nothing(
        staff, code_sets, client_for, provider):
    from chartdesk.coding.workflow.actions import do_start_coding
    from chartdesk.coding.workflow.models import PhysicianQuery
    from tests.coding.workflow.conftest import finished_encounter, revision_of

    encounter = finished_encounter(staff)
    do_start_coding(encounter, acting_user=staff.coder)

    response = client_for(staff.coder).post(f"/coding/work/encounter/{encounter.pk}/query/", {
        "provider": provider, "template": "abnormal_finding", "indicators": "BNP 1,450 pg/mL.",
        "revision": revision_of(encounter),
    })

    assert response.status_code == 302
    assert not PhysicianQuery.objects.filter(case__encounter=encounter).exists()
