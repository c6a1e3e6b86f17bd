"""The overlay list and a chart's case on the desk: paging, the side-by-side conflicts, the
decisions posted, per-role and per-chart access, the scan job and the count on the HIM home page."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.models import Encounter, OverlayCase, OverlayStatus
from chartdesk.charts.overlays import do_scan_overlays
from chartdesk.charts.stated import StatedPerson, do_record_stated_demographics
from chartdesk.jobs.models import Job, JobStatus
from chartdesk.patients.actions import do_add_identifier, do_set_restriction
from chartdesk.patients.merge_actions import do_merge_patients
from chartdesk.patients.schemas import IdentifierInput
from tests.support import factories

pytestmark = pytest.mark.django_db
DENIED_ROLES = ["registrar", "coder", "billing", "roi", "transcriptionist", "provider", "privacy_officer",
                "administrator"]


@pytest.fixture
def him(db):
    return factories.make_user("him_manager", username="hannah")


@pytest.fixture
def overlay(him):
    """Maria Garcia's chart with a visit that stated someone else (born 1957, male)."""
    maria = factories.make_patient("Maria", "Garcia", date(1980, 3, 15), "F")
    own = factories.make_encounter(maria, admit_at=datetime(2024, 1, 10, 9, tzinfo=UTC), acting_user=him)
    theirs = factories.make_encounter(maria, admit_at=datetime(2024, 6, 2, 9, tzinfo=UTC), acting_user=him)
    do_record_stated_demographics(own, StatedPerson.of_chart(maria), source="desk", reference="t", acting_user=him)
    _, case = do_record_stated_demographics(
        theirs, StatedPerson("Mario", "Garcia", date(1957, 11, 2), "M"), source="hl7", reference="t",
        acting_user=him)
    return case, maria, own, theirs


def case_url(case):
    return reverse("charts-overlay-case", kwargs={"case_id": case.pk})


def test_the_list_shows_the_chart_and_its_conflicting_fields_and_is_audited(overlay, him, client_for):
    case, maria, _, _ = overlay
    response = client_for(him).get(reverse("charts-overlays"))
    assert response.status_code == 200
    text = response.content.decode()
    assert f"MRN {maria.mrn}" in text and case_url(case) in text and "Date of birth, Sex" in text
    listed = AuditEvent.objects.filter(object_type="overlay_list").latest("pk")
    assert listed.detail["patient_ids"] == [maria.pk] and listed.detail["total"] == 1


def test_a_bad_page_or_sort_is_named_not_a_server_error(overlay, him, client_for):
    text = client_for(him).get(reverse("charts-overlays"), {"page": "9", "sort": "nonsense"}).content.decode()
    assert "Cannot sort by &#x27;nonsense&#x27;" in text and "There is no page 9" in text


def test_the_case_shows_the_conflicting_encounters_side_by_side(overlay, him, client_for):
    case, maria, own, theirs = overlay
    text = client_for(him).get(case_url(case)).content.decode()
    assert f"Visit {theirs.account_number} (HL7 v2 ADT): <strong>1957-11-02</strong>" in text
    assert "The chart now: <strong>1980-03-15</strong>" in text
    assert f">{own.account_number}</a>" in text and "Registration desk" in text
    assert AuditEvent.objects.filter(object_type="overlay_case", action="view", patient_id=maria.pk).exists()


def test_confirming_on_the_desk_moves_the_chosen_encounter_to_a_new_chart_and_can_be_undone(overlay, him, client_for):
    case, maria, own, theirs = overlay
    client = client_for(him)
    response = client.post(case_url(case), {"decision": "confirm", "confirm-encounters": [theirs.pk],
                                            "confirm-target_mrn": "", "confirm-reason": "Two people"})
    assert response.status_code == 302
    moved_to = Encounter.objects.get(pk=theirs.pk).patient
    assert moved_to.pk != maria.pk and moved_to.birth_date == date(1957, 11, 2)
    move = case.moves.get()
    response = client.post(case_url(case), {"decision": "undo", "undo-move": move.pk, "undo-reason": "Wrong call"})
    assert response.status_code == 302
    assert Encounter.objects.get(pk=theirs.pk).patient_id == maria.pk


def test_a_decision_with_bad_input_names_the_field_and_changes_nothing(overlay, him, client_for):
    case, maria, _, theirs = overlay
    client = client_for(him)
    response = client.post(case_url(case), {"decision": "confirm", "confirm-encounters": [theirs.pk],
                                            "confirm-target_mrn": "00000000", "confirm-reason": "x"})
    assert response.status_code == 400 and "no active chart has MRN 00000000" in response.content.decode()
    response = client.post(case_url(case), {"decision": "not_overlay", "not-note": ""})
    assert response.status_code == 400 and "Note: say why" in response.content.decode()
    response = client.post(case_url(case), {"decision": "bogus"})
    assert response.status_code == 400
    assert Encounter.objects.get(pk=theirs.pk).patient_id == maria.pk
    assert OverlayCase.objects.get().status == OverlayStatus.OPEN


def test_not_an_overlay_from_the_desk_takes_the_chart_off_the_list(overlay, him, client_for):
    case, maria, _, _ = overlay
    client = client_for(him)
    assert client.post(case_url(case), {"decision": "not_overlay", "not-note": "Same person, verified"}
                       ).status_code == 302
    assert case_url(case) not in client.get(reverse("charts-overlays")).content.decode()
    decided = client.get(reverse("charts-overlays"), {"status": "not_overlay"}).content.decode()
    assert case_url(case) in decided


@pytest.mark.parametrize("role", DENIED_ROLES)
def test_other_roles_cannot_see_or_decide_overlays(overlay, role, client_for):
    case, maria, _, theirs = overlay
    client = client_for(factories.make_user(role))
    for url in (reverse("charts-overlays"), case_url(case)):
        assert client.get(url).status_code == 403, (role, url)
    assert client.post(case_url(case), {"decision": "not_overlay", "not-note": "no"}).status_code == 403
    assert client.post(reverse("charts-overlay-scan")).status_code == 403
    assert OverlayCase.objects.get().status == OverlayStatus.OPEN and not Job.objects.exists()


def test_a_restricted_chart_is_hidden_from_a_manager_without_access(overlay, him, client_for):
    case, maria, _, _ = overlay
    do_set_restriction(maria, restriction="vip", note="board member", acting_user=him)
    client = client_for(factories.make_user("him_manager"))
    assert client.get(case_url(case)).status_code == 404
    assert case_url(case) not in client.get(reverse("charts-overlays")).content.decode()
    assert client.post(case_url(case), {"decision": "not_overlay", "not-note": "no"}).status_code == 404
    assert OverlayCase.objects.get().status == OverlayStatus.OPEN


def test_the_scan_runs_as_a_background_job_from_the_desk(overlay, him, client_for, run_jobs):
    OverlayCase.objects.all().update(status=OverlayStatus.NOT_OVERLAY, dismissed_keys=[])
    assert client_for(him).post(reverse("charts-overlay-scan")).status_code == 302
    run_jobs()
    job = Job.objects.get()
    assert job.status == JobStatus.SUCCEEDED and job.message == "1 charts checked, 1 to review"
    assert OverlayCase.objects.get().status == OverlayStatus.OPEN


def test_a_wrong_merge_leaves_two_ids_of_one_issuer_which_the_scan_lists(him, client_for):
    patient = factories.make_patient("Omar", "Haddad", identifiers=(IdentifierInput("MB", "Acme Health", "M-100"),))
    other = factories.make_patient("Omar", "Haddad", identifiers=(IdentifierInput("MB", "Acme Health", "M-200"),))
    do_merge_patients(patient, other, reason="Same name and birth date", acting_user=him)
    clean = factories.make_patient("Ruth", "Becker")
    do_add_identifier(clean, IdentifierInput("MB", "Acme Health", "M-300"), acting_user=him)
    do_scan_overlays(acting_user=him)
    text = client_for(him).get(reverse("charts-overlays")).content.decode()
    assert patient.mrn in text and clean.mrn not in text and "Identifier MB from Acme Health" in text


def test_the_manager_home_page_counts_the_overlays_to_review(overlay, him, client_for):
    text = client_for(him).get(reverse("core-home")).content.decode()
    assert "<strong>1</strong> chart may hold two people" in text
    coder_home = client_for(factories.make_user("coder")).get(reverse("core-home")).content.decode()
    assert "may hold two people" not in coder_home
