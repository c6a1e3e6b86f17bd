"""Each deficiency rule finds what a finished record lacks, and stops finding it once it is supplied."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from chartdesk.charts.actions import do_retract_document, do_sign_document
from chartdesk.charts.models import DocumentType
from chartdesk.completion.analysis import analyse_encounter
from chartdesk.completion.models import ChartCompletion, ChartStatus, Deficiency, DeficiencyRule, DeficiencyStatus
from tests.completion.conftest import add_surgeon, discharge, note


def outstanding(stay: Any) -> list[tuple[str, str]]:
    return sorted(
        (deficiency.rule.code, deficiency.provider.family_name if deficiency.provider else "")
        for deficiency in Deficiency.objects.filter(encounter=stay, status="open").select_related("rule", "provider")
    )


def test_an_encounter_still_in_progress_is_not_analysed(stay):
    summary = analyse_encounter(stay)
    assert summary.encounters == 0
    assert not Deficiency.objects.exists()


def test_a_discharged_stay_without_hp_or_summary_gets_both_deficiencies_for_the_attending(stay, users):
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    assert outstanding(stay) == [("inpatient-discharge-summary", "Lovelace"), ("inpatient-hp", "Lovelace")]
    assert ChartCompletion.objects.get(encounter=stay).status == ChartStatus.INCOMPLETE


def test_an_hp_written_three_days_after_admission_is_too_late(stay, users, attending):
    late = note(stay, attending, DocumentType.HISTORY_AND_PHYSICAL, days_after_admit=3)
    do_sign_document(late, acting_user=attending)
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    assert ("inpatient-hp", "Lovelace") in outstanding(stay)


def test_an_office_hp_from_two_weeks_before_admission_counts(stay, users, attending):
    from chartdesk.charts.actions import do_create_note

    office = do_create_note(
        stay.patient, document_type=DocumentType.HISTORY_AND_PHYSICAL, title="Pre-admission H&P", text="Fit.",
        service_date=timezone.localtime(stay.admit_at).date() - timedelta(days=14), acting_user=attending,
        author=attending.provider,
    )
    do_sign_document(office, acting_user=attending)
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    assert [code for code, _ in outstanding(stay)] == ["inpatient-discharge-summary"]


def test_an_unsigned_document_gets_a_signature_deficiency_that_signing_completes(stay, users, attending):
    hp = note(stay, attending, DocumentType.HISTORY_AND_PHYSICAL)
    summary = note(stay, attending, DocumentType.DISCHARGE_SUMMARY, days_after_admit=5)
    do_sign_document(summary, acting_user=attending)
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    signature = Deficiency.objects.get(encounter=stay, rule__code="signature")
    assert (signature.document_id, signature.status, signature.description) == (
        hp.pk, DeficiencyStatus.OPEN, "History and physical not signed")
    do_sign_document(hp, acting_user=attending)
    analyse_encounter(stay)
    signature.refresh_from_db()
    assert signature.status == DeficiencyStatus.COMPLETED
    completion = ChartCompletion.objects.get(encounter=stay)
    assert completion.status == ChartStatus.COMPLETE
    assert completion.completed_at is not None


def test_a_document_by_a_nurse_practitioner_needs_the_attendings_cosignature(stay, users, attending,
                                                                               nurse_practitioner):
    progress = note(stay, nurse_practitioner, DocumentType.PROGRESS_NOTE, days_after_admit=1)
    do_sign_document(progress, acting_user=nurse_practitioner)
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    cosign = Deficiency.objects.get(encounter=stay, rule__code="cosignature-np-pa")
    assert cosign.provider == attending.provider
    assert cosign.description == "Progress note by a NP needs the attending's co-signature"


def test_a_document_by_a_physician_needs_no_cosignature(stay, users, attending):
    do_sign_document(note(stay, attending, DocumentType.PROGRESS_NOTE, days_after_admit=1), acting_user=attending)
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    assert not Deficiency.objects.filter(rule__code="cosignature-np-pa").exists()


def test_a_recorded_surgeon_owes_an_operative_report(stay, users, surgeon):
    add_surgeon(stay, surgeon, users["registrar"])
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    assert ("operative-report", "Hopper") in outstanding(stay)
    report = note(stay, surgeon, DocumentType.OPERATIVE_REPORT, days_after_admit=1, title="Appendectomy")
    analyse_encounter(stay)
    assert ("operative-report", "Hopper") not in outstanding(stay)
    assert ("signature", "Hopper") in outstanding(stay)  # the report itself is still unsigned
    assert Deficiency.objects.get(rule__code="signature").document_id == report.pk


def test_without_a_surgeon_no_operative_report_is_required(stay, users):
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    assert "operative-report" not in [code for code, _ in outstanding(stay)]


def test_a_rule_made_inactive_stops_opening_deficiencies(stay, users):
    DeficiencyRule.objects.filter(code="inpatient-hp").update(active=False)
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    assert [code for code, _ in outstanding(stay)] == ["inpatient-discharge-summary"]


def test_a_rule_can_be_added_as_data_for_another_encounter_class(patient, users, attending):
    from tests.support import factories

    DeficiencyRule.objects.create(code="er-consult", name="ED consult note", kind="required_document",
                                  encounter_class="emergency", document_type=DocumentType.CONSULT_NOTE,
                                  anchor="admission", hours_after=48)
    visit = factories.make_encounter(patient, "emergency", admit_at=timezone.now() - timedelta(hours=6),
                                     acting_user=users["registrar"], attending=attending.provider)
    discharge(visit, users["registrar"])
    analyse_encounter(visit)
    assert outstanding(visit) == [("er-consult", "Lovelace")]


def test_retracting_the_only_hp_reopens_its_deficiency(stay, users, attending):
    hp = do_sign_document(note(stay, attending, DocumentType.HISTORY_AND_PHYSICAL), acting_user=attending)
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    assert ("inpatient-hp", "Lovelace") not in outstanding(stay)
    do_retract_document(hp, reason="Filed on the wrong patient", acting_user=users["registrar"])
    analyse_encounter(stay)
    assert ("inpatient-hp", "Lovelace") in outstanding(stay)


def test_analysing_twice_changes_nothing_the_second_time(stay, users):
    discharge(stay, users["registrar"])
    first = analyse_encounter(stay)
    second = analyse_encounter(stay)
    assert (first.opened, second.opened, second.completed, second.changed_charts) == (2, 0, 0, [])
    assert Deficiency.objects.count() == 2
