"""Procedure suggestions (ICD-10-PCS, inpatient stays) on the coding screen: the coder accepts, edits
or rejects each one like a diagnosis suggestion; the decision is kept with its evidence, audited,
codes the procedure with its date and provider, and counts in the suggestion report."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.coding.workflow import actions
from chartdesk.coding.workflow.models import CaseStatus, CodedProcedure, SuggestionDecision
from chartdesk.coding.workflow.reports import suggestion_precision
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from tests.coding.workflow.conftest import NOTE_TEXT, finished_encounter, revision_of
from tests.support import factories

pytestmark = pytest.mark.django_db

NOTE_WITH_PROCEDURE = NOTE_TEXT + "\nProcedure: laparoscopic appendectomy."


@pytest.fixture
def case(code_sets, staff):
    return actions.do_start_coding(finished_encounter(staff, text=NOTE_WITH_PROCEDURE), acting_user=staff.coder)


def decide(client, case, **fields):
    return client.post(f"/coding/work/encounter/{case.encounter_id}/suggestion/", {
        "system": "icd10pcs", "suggested_code": "0DTJ4ZZ", "revision": revision_of(case), **fields})


def stay_day(case) -> str:
    return actions.service_day(case.encounter).isoformat()


def test_the_screen_offers_accept_edit_and_reject_for_a_procedure_suggestion(case, staff, client_for):
    page = client_for(staff.coder).get(f"/coding/work/encounter/{case.encounter_id}/").content.decode()
    start = page.index('data-suggestion="0DTJ4ZZ"')
    block = page[start:page.index("</div>", start)]
    assert "<mark>laparoscopic appendectomy</mark>" in block
    assert 'name="system" value="icd10pcs"' in block and 'name="performed_on"' in block and 'name="provider"' in block
    for button in ("Accept 0DTJ4ZZ", "Use my code instead of 0DTJ4ZZ", "Reject 0DTJ4ZZ"):
        assert button in block


def test_accepting_codes_the_procedure_and_keeps_the_decision_with_its_evidence(case, staff, client_for):
    response = decide(client_for(staff.coder), case, decision="accepted", performed_on=stay_day(case),
                      provider=staff.doctor.provider.pk)
    assert response.status_code == 302
    procedure = CodedProcedure.objects.get(case=case)
    assert (procedure.system, procedure.code, procedure.performed_on.isoformat(), procedure.provider) == (
        "icd10pcs", "0DTJ4ZZ", stay_day(case), staff.doctor.provider)
    decided = SuggestionDecision.objects.get()
    assert (decided.system, decided.decision, decided.suggested_code, decided.final_code, decided.decided_by) == (
        "icd10pcs", "accepted", "0DTJ4ZZ", "0DTJ4ZZ", staff.coder)
    assert NOTE_WITH_PROCEDURE[decided.evidence_start:decided.evidence_end] == "laparoscopic appendectomy"
    event = AuditEvent.objects.get(object_type="suggestion_decision", object_id=str(decided.pk))
    assert (event.user, event.detail["system"], event.detail["decision"], event.detail["final"]) == (
        staff.coder, "icd10pcs", "accepted", "0DTJ4ZZ")
    page = client_for(staff.coder).get(f"/coding/work/encounter/{case.encounter_id}/").content.decode()
    assert 'data-suggestion="0DTJ4ZZ"' not in page  # decided once, it leaves the list


def test_editing_codes_the_coders_procedure_instead(case, staff):
    actions.do_decide_suggestion(case, system="icd10pcs", decision="edited", suggested_code="0DTJ4ZZ",
                                 final_code="0dtj0zz", performed_on=actions.service_day(case.encounter),
                                 provider=staff.doctor.provider, acting_user=staff.coder)
    assert list(case.procedures.values_list("code", flat=True)) == ["0DTJ0ZZ"]
    assert list(SuggestionDecision.objects.values_list("decision", "suggested_code", "final_code")) == [
        ("edited", "0DTJ4ZZ", "0DTJ0ZZ")]


def test_rejecting_codes_nothing_and_is_kept(case, staff, client_for):
    assert decide(client_for(staff.coder), case, decision="rejected").status_code == 302
    assert not case.procedures.exists()
    assert list(SuggestionDecision.objects.values_list("system", "decision", "final_code")) == [
        ("icd10pcs", "rejected", "")]


@pytest.mark.parametrize(("fields", "message"), [
    ({"decision": "accepted", "provider": None}, "Choose the provider who performed the procedure"),
    ({"decision": "accepted", "performed_on": datetime.date(2001, 1, 1)}, "outside the stay"),
    ({"decision": "edited", "final_code": "0DTJ4Z"}, "ICD-10-PCS"),
    ({"decision": "accepted", "suggested_code": "0DTJ0ZZ"}, "0DTJ0ZZ is not among this encounter's open suggestions"),
])
def test_a_procedure_decision_that_cannot_be_coded_is_refused_and_keeps_nothing(case, staff, fields, message):
    arguments = {"system": "icd10pcs", "suggested_code": "0DTJ4ZZ",
                 "performed_on": actions.service_day(case.encounter), "provider": staff.doctor.provider, **fields}
    with pytest.raises(ChartdeskError, match=message):
        actions.do_decide_suggestion(case, acting_user=staff.coder, **arguments)
    assert not case.procedures.exists() and not SuggestionDecision.objects.exists()


def test_a_procedure_already_coded_is_not_suggested_again(case, staff):
    from chartdesk.coding.workflow.assist import suggestions_for

    assert ("icd10pcs", "0DTJ4ZZ") in {(item.system, item.code) for item in suggestions_for(case)}
    actions.do_add_procedure(case, system="icd10pcs", code="0DTJ4ZZ", performed_on=actions.service_day(case.encounter),
                             provider=staff.doctor.provider, acting_user=staff.coder)
    assert ("icd10pcs", "0DTJ4ZZ") not in {(item.system, item.code) for item in suggestions_for(case)}


def test_an_outpatient_visit_gets_no_procedure_suggestions_to_decide(code_sets, staff):
    visit = actions.do_start_coding(
        finished_encounter(staff, encounter_class="outpatient", text=NOTE_WITH_PROCEDURE), acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="0DTJ4ZZ is not among this encounter's open suggestions"):
        actions.do_decide_suggestion(visit, system="icd10pcs", decision="rejected", suggested_code="0DTJ4ZZ",
                                     acting_user=staff.coder)


def test_a_suggestion_of_another_code_system_is_refused(case, staff):
    with pytest.raises(ChartdeskError, match="ICD-10-CM diagnoses or ICD-10-PCS procedures"):
        actions.do_decide_suggestion(case, system="hcpcs", decision="rejected", suggested_code="G0008",
                                     acting_user=staff.coder)


def test_another_coder_cannot_decide_on_the_case_of_a_colleague(case, staff, client_for):
    with pytest.raises(PermissionRefused, match="assigned to coder-one"):
        actions.do_decide_suggestion(case, system="icd10pcs", decision="rejected", suggested_code="0DTJ4ZZ",
                                     acting_user=staff.other_coder)
    decide(client_for(staff.other_coder), case, decision="rejected")
    assert not SuggestionDecision.objects.exists()


NOT_CODERS = ["him_manager", "billing", "registrar", "provider", "roi", "transcriptionist", "privacy_officer"]


@pytest.mark.parametrize("role", NOT_CODERS)
def test_roles_that_do_not_code_are_refused_at_the_door(case, role, client_for):
    response = decide(client_for(factories.make_user(role)), case, decision="rejected")
    assert response.status_code == 403
    assert not SuggestionDecision.objects.exists()


def test_a_reviewer_decides_nothing_on_suggestions(code_sets, staff):
    case = actions.do_start_coding(finished_encounter(staff, text=NOTE_WITH_PROCEDURE), acting_user=staff.coder)
    actions.do_add_diagnosis(case, "I50.9", poa="Y", acting_user=staff.coder)
    actions.do_complete_coding(case, acting_user=staff.coder)
    actions.do_start_review(case, acting_user=staff.manager)
    with pytest.raises(ChartdeskError, match="in second-level review; its codes cannot change now"):
        actions.do_decide_suggestion(case, system="icd10pcs", decision="rejected", suggested_code="0DTJ4ZZ",
                                     acting_user=staff.manager)
    assert case.__class__.objects.get(pk=case.pk).status == CaseStatus.IN_REVIEW
    assert not SuggestionDecision.objects.exists()


def test_the_suggestion_report_counts_procedures_apart_and_together(code_sets, staff, client_for):
    first = actions.do_start_coding(finished_encounter(staff, text=NOTE_WITH_PROCEDURE), acting_user=staff.coder)
    actions.do_decide_suggestion(first, decision="accepted", suggested_code="I50.9", poa="Y", acting_user=staff.coder)
    actions.do_decide_suggestion(first, system="icd10pcs", decision="accepted", suggested_code="0DTJ4ZZ",
                                 performed_on=actions.service_day(first.encounter), provider=staff.doctor.provider,
                                 acting_user=staff.coder)
    second = actions.do_start_coding(finished_encounter(staff, days_ago=6, text=NOTE_WITH_PROCEDURE),
                                     acting_user=staff.coder)
    actions.do_decide_suggestion(second, system="icd10pcs", decision="rejected", suggested_code="0DTJ4ZZ",
                                 acting_user=staff.coder)
    now = timezone.now()
    figures = suggestion_precision(now - datetime.timedelta(hours=1), now + datetime.timedelta(minutes=1))
    assert (figures["accepted"], figures["rejected"], figures["precision"]) == (2, 1, pytest.approx(2 / 3))
    by_system = {line["system"]: line for line in figures["by_system"]}
    assert (by_system["icd10cm"]["accepted"], by_system["icd10cm"]["precision"]) == (1, 1.0)
    assert (by_system["icd10pcs"]["accepted"], by_system["icd10pcs"]["rejected"]) == (1, 1)
    assert by_system["icd10pcs"]["precision"] == pytest.approx(0.5)
    page = client_for(staff.manager).get("/coding/work/report/").content.decode()
    row = page[page.index('data-suggestion-system="icd10pcs"'):]
    row = row[:row.index("</tr>")]
    assert "Procedures (ICD-10-PCS)" in row and "50%" in row
    assert client_for(staff.coder).get("/coding/work/report/").status_code == 403
