"""The coding screen's helpers: suggestions with evidence and the coder's decisions on them, the
edits shown live and enforced at completion, and the encoder search box."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from chartdesk.coding.workflow import actions
from chartdesk.coding.workflow.models import CaseStatus, SuggestionDecision
from chartdesk.coding.workflow.reports import suggestion_precision
from chartdesk.core.errors import ChartdeskError
from tests.coding.workflow.conftest import NOTE_TEXT, finished_encounter, revision_of
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(code_sets, staff):
    return actions.do_start_coding(finished_encounter(staff), acting_user=staff.coder)


def test_the_coder_sees_suggestions_with_their_evidence_and_no_negated_ones(case, staff, client_for):
    page = client_for(staff.coder).get(f"/coding/work/encounter/{case.encounter_id}/").content.decode()
    assert 'data-suggestion="I50.9"' in page and "<mark>Congestive heart failure</mark>" in page
    assert 'data-suggestion="N39.0"' in page
    assert 'data-suggestion="R07.9"' not in page  # "Denies chest pain."


def test_accept_edit_and_reject_are_kept_with_the_evidence(case, staff, client_for):
    client = client_for(staff.coder)
    url = f"/coding/work/encounter/{case.encounter_id}/suggestion/"
    client.post(url, {"decision": "edited", "suggested_code": "I509", "final_code": "I50.23", "poa": "Y",
                      "revision": revision_of(case)})
    client.post(url, {"decision": "rejected", "suggested_code": "N390", "revision": revision_of(case)})
    decisions = list(SuggestionDecision.objects.order_by("pk").values_list(
        "decision", "suggested_code", "final_code", "evidence_text", "document_id"))
    document = case.encounter.documents.get()
    assert decisions == [
        ("edited", "I509", "I5023", "Congestive heart failure", document.pk),
        ("rejected", "N390", "", "Urinary tract infection", document.pk),
    ]
    edited = SuggestionDecision.objects.get(decision="edited")
    assert NOTE_TEXT[edited.evidence_start:edited.evidence_end] == "Congestive heart failure"
    assert list(case.diagnoses.values_list("code", "poa")) == [("I5023", "Y")]
    page = client.get(f"/coding/work/encounter/{case.encounter_id}/").content.decode()
    # Each was decided once and leaves the list; the undecided ones stay.
    assert 'data-suggestion="I50.9"' not in page and 'data-suggestion="N39.0"' not in page
    assert 'data-suggestion="E11.9"' in page


def test_suggestion_precision_counts_accepted_of_all_decided(code_sets, staff):
    first = actions.do_start_coding(finished_encounter(staff), acting_user=staff.coder)
    actions.do_decide_suggestion(first, decision="accepted", suggested_code="I50.9", poa="Y", acting_user=staff.coder)
    actions.do_decide_suggestion(first, decision="rejected", suggested_code="N39.0", acting_user=staff.coder)
    second = actions.do_start_coding(finished_encounter(staff, days_ago=6), acting_user=staff.coder)
    actions.do_decide_suggestion(second, decision="edited", suggested_code="I50.9", final_code="I50.23", poa="Y",
                                 acting_user=staff.coder)
    now = timezone.now()
    figures = suggestion_precision(now - datetime.timedelta(hours=1), now + datetime.timedelta(minutes=1))
    assert {key: figures[key] for key in ("accepted", "edited", "rejected", "precision")} == {
        "accepted": 1, "edited": 1, "rejected": 1, "precision": pytest.approx(1 / 3)}


def test_a_decision_on_a_code_never_suggested_or_a_bad_edit_is_refused(case, staff):
    with pytest.raises(ChartdeskError, match="R07.9 is not among this encounter's open suggestions"):
        actions.do_decide_suggestion(case, decision="accepted", suggested_code="R07.9", acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="accept the suggestion instead"):
        actions.do_decide_suggestion(case, decision="edited", suggested_code="I50.9", final_code="I509",
                                     acting_user=staff.coder)
    with pytest.raises(ChartdeskError, match="Choose accept, edit or reject"):
        actions.do_decide_suggestion(case, decision="maybe", suggested_code="I50.9", acting_user=staff.coder)
    assert not SuggestionDecision.objects.exists()


def test_edits_show_on_the_screen_and_errors_block_completion(case, staff, client_for):
    actions.do_add_diagnosis(case, "E11.9", poa="Y", acting_user=staff.coder)
    actions.do_add_diagnosis(case, "E10.9", poa="Y", acting_user=staff.coder)
    page = client_for(staff.coder).get(f"/coding/work/encounter/{case.encounter_id}/").content.decode()
    assert 'data-finding="excludes1"' in page
    with pytest.raises(ChartdeskError, match="Resolve the coding edits before completing: .*E10"):
        actions.do_complete_coding(case, acting_user=staff.coder)
    actions.do_remove_diagnosis(case.diagnoses.get(code="E109"), acting_user=staff.coder)
    assert actions.do_complete_coding(case, acting_user=staff.coder).status == CaseStatus.CODED


def test_the_encoder_box_finds_codes_as_the_coder_types(case, staff, client_for):
    client = client_for(staff.coder)
    swapped = client.get("/coding/work/encoder/", {"q": "chf", "system": "icd10cm", "encounter": case.encounter_id,
                                                   "inpatient": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-hit="I50.9"' in swapped and "<html" not in swapped
    assert f"/coding/work/encounter/{case.encounter_id}/codes/" in swapped
    page = client.get("/coding/work/encoder/", {"q": "type 2 diabetes", "encounter": case.encounter_id})
    assert 'data-hit="E11.9"' in page.content.decode() and "<html" in page.content.decode()
    assert client_for(factories.make_user("billing")).get("/coding/work/encoder/", {"q": "chf"}).status_code == 403
