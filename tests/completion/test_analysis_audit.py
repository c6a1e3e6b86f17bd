"""A change that analysis makes to a patient's record shows in that patient's own audit trail, in bulk
runs too; analysis that changes nothing for a patient leaves their trail alone."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.audit.reports import ReportQuery, events_for_patient, find_patient
from chartdesk.audit.verify import verify_chain
from chartdesk.charts.actions import do_sign_document
from chartdesk.charts.models import DocumentType
from chartdesk.completion.analysis import SYSTEM_ACTOR, analyse_encounters
from chartdesk.completion.models import ChartCompletion, ChartStatus
from tests.completion.conftest import discharge, note
from tests.support import factories


def analysis_events(patient: Any) -> list[AuditEvent]:
    key = find_patient(patient_id=patient.pk)
    assert key is not None
    return [event for event in events_for_patient(key, ReportQuery()).order_by("sequence")
            if event.detail.get("change") == "deficiency analysis"]


def discharged_stay(patient: Any, registrar: Any, attending: Any) -> Any:
    stay = factories.make_encounter(patient, "inpatient", admit_at=timezone.now() - timedelta(days=5),
                                    acting_user=registrar, attending=attending.provider)
    return stay


@pytest.fixture
def three_stays(users: dict[str, Any], attending: Any) -> dict[str, Any]:
    """Garcia: nothing written (two deficiencies); Okafor: two stays, nothing written; Lindqvist: complete."""
    registrar = users["registrar"]
    garcia = factories.make_patient()
    okafor = factories.make_patient("Chidi", "Okafor", date(1975, 6, 1), "M")
    lindqvist = factories.make_patient("Astrid", "Lindqvist", date(1990, 2, 2))
    stays = {"garcia": discharged_stay(garcia, registrar, attending),
             "okafor": discharged_stay(okafor, registrar, attending),
             "okafor-again": discharged_stay(okafor, registrar, attending),
             "lindqvist": discharged_stay(lindqvist, registrar, attending)}
    complete = stays["lindqvist"]
    for kind, days in ((DocumentType.HISTORY_AND_PHYSICAL, 0), (DocumentType.DISCHARGE_SUMMARY, 5)):
        do_sign_document(note(complete, attending, kind, days_after_admit=days), acting_user=attending)
    for stay in stays.values():
        discharge(stay, registrar)
    return stays


def test_a_bulk_run_writes_one_event_per_changed_patient_naming_each_encounter(three_stays):
    summary = analyse_encounters([stay.pk for stay in three_stays.values()])

    assert summary.opened == 6
    [garcia_event] = analysis_events(three_stays["garcia"].patient)
    assert (garcia_event.username, garcia_event.object_type, garcia_event.object_id) == (
        SYSTEM_ACTOR, "chart_completion", str(three_stays["garcia"].pk))
    assert garcia_event.patient_mrn == three_stays["garcia"].patient.mrn
    assert sorted(garcia_event.detail["encounters"][str(three_stays["garcia"].pk)]["opened"]) == [
        "Discharge summary missing (from 720 h after discharge)",
        "History and physical missing (from 720 h before to 24 h after admission)"]
    [okafor_event] = analysis_events(three_stays["okafor"].patient)
    assert sorted(okafor_event.detail["encounters"]) == sorted(
        [str(three_stays["okafor"].pk), str(three_stays["okafor-again"].pk)])
    assert verify_chain().intact


def test_a_patient_whose_record_analysis_found_complete_gets_no_event(three_stays):
    analyse_encounters([stay.pk for stay in three_stays.values()])
    assert ChartCompletion.objects.get(encounter=three_stays["lindqvist"]).status == ChartStatus.COMPLETE
    assert analysis_events(three_stays["lindqvist"].patient) == []


def test_reanalysis_that_changes_nothing_writes_nothing(three_stays):
    ids = [stay.pk for stay in three_stays.values()]
    analyse_encounters(ids)
    written = AuditEvent.objects.count()
    analyse_encounters(ids)
    assert AuditEvent.objects.count() == written


def test_a_deficiency_completed_in_a_later_run_shows_in_that_patients_trail_only(three_stays, attending):
    ids = [stay.pk for stay in three_stays.values()]
    analyse_encounters(ids)
    garcia_stay = three_stays["garcia"]
    do_sign_document(note(garcia_stay, attending, DocumentType.HISTORY_AND_PHYSICAL), acting_user=attending)
    analyse_encounters(ids, acting_user=attending)

    first, second = analysis_events(garcia_stay.patient)
    assert second.detail["encounters"][str(garcia_stay.pk)]["completed"] == [
        "History and physical missing (from 720 h before to 24 h after admission)"]
    assert second.username == attending.username
    assert len(analysis_events(three_stays["okafor"].patient)) == 1
