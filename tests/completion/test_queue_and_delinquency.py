"""The provider's queue, HIM's decisions, reminders by age and delinquency transitions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.models import DocumentStatus, DocumentType
from chartdesk.completion import actions, notices
from chartdesk.completion.access import access_deficiency_by_id, access_queue_for_user, delinquency_rate
from chartdesk.completion.analysis import analyse_encounter
from chartdesk.completion.models import (
    ChartCompletion,
    ChartStatus,
    CoSignature,
    Deficiency,
    DeficiencyReminder,
    DeficiencyStatus,
)
from chartdesk.core.errors import ChartdeskError, NotFound, PermissionRefused
from tests.completion.conftest import discharge, note


@pytest.fixture
def unsigned_hp(stay: Any, users: dict[str, Any], attending: Any) -> Deficiency:
    """A discharged stay whose H&P is written but unsigned; the attending owes a signature."""
    note(stay, attending, DocumentType.HISTORY_AND_PHYSICAL, title="Admission H&P")
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    return Deficiency.objects.get(encounter=stay, rule__code="signature")


def test_the_providers_queue_holds_their_own_deficiencies_oldest_first(unsigned_hp, attending, surgeon):
    queue = access_queue_for_user(attending)
    assert [d.description for d in queue] == [
        "Discharge summary missing (from 720 h after discharge)", "History and physical not signed"
    ]
    assert access_queue_for_user(surgeon) == []


def test_signing_from_the_queue_signs_the_document_and_completes_the_deficiency(unsigned_hp, attending):
    done = actions.do_sign_from_queue(unsigned_hp, acting_user=attending, expected_revision=revision(unsigned_hp))
    assert done.status == DeficiencyStatus.COMPLETED
    assert unsigned_hp.document.__class__.objects.get(pk=unsigned_hp.document_id).status == DocumentStatus.FINAL
    assert AuditEvent.objects.filter(action="sign", object_id=str(unsigned_hp.document_id)).count() == 1


def test_another_provider_cannot_work_someone_elses_deficiency(unsigned_hp, surgeon):
    with pytest.raises(PermissionRefused):
        actions.do_sign_from_queue(unsigned_hp, acting_user=surgeon, expected_revision=revision(unsigned_hp))
    with pytest.raises(NotFound):
        access_deficiency_by_id(surgeon, unsigned_hp.pk)
    assert Deficiency.objects.get(pk=unsigned_hp.pk).status == DeficiencyStatus.OPEN


def test_a_clerk_cannot_open_the_queue(users, unsigned_hp):
    with pytest.raises(NotFound):
        access_queue_for_user(users["registrar"])
    with pytest.raises(PermissionRefused):
        actions.do_dispute_deficiency(unsigned_hp, reason="no", acting_user=users["registrar"])


def test_dictation_needed_is_for_missing_documents_only(unsigned_hp, attending):
    missing_summary = Deficiency.objects.get(rule__code="inpatient-discharge-summary")
    assert actions.do_mark_dictation_needed(missing_summary, acting_user=attending).status == "dictation_needed"
    with pytest.raises(ChartdeskError, match="asks for a signature"):
        actions.do_mark_dictation_needed(unsigned_hp, acting_user=attending)


def test_a_dispute_needs_a_reason_and_him_can_reject_it(unsigned_hp, attending, users):
    with pytest.raises(ChartdeskError, match="reason"):
        actions.do_dispute_deficiency(unsigned_hp, reason="  ", acting_user=attending)
    disputed = actions.do_dispute_deficiency(unsigned_hp, reason="Not my patient", acting_user=attending)
    assert (disputed.status, disputed.note) == ("disputed", "Not my patient")
    reopened = actions.do_uphold_deficiency(disputed, reason="You were attending", acting_user=users["him_manager"])
    assert reopened.status == DeficiencyStatus.OPEN


def test_him_resolving_the_last_deficiencies_completes_the_record(unsigned_hp, users):
    him = users["him_manager"]
    actions.do_resolve_deficiency(unsigned_hp, reason="Signed on paper, scanned", acting_user=him)
    summary = Deficiency.objects.get(rule__code="inpatient-discharge-summary")
    closed = actions.do_mark_not_applicable(summary, reason="Died in ED before admission order", acting_user=him)
    assert (closed.status, closed.closed_by) == (DeficiencyStatus.NOT_APPLICABLE, him)
    assert ChartCompletion.objects.get(encounter=unsigned_hp.encounter).status == ChartStatus.COMPLETE
    # Analysis does not reopen what HIM closed by hand.
    analyse_encounter(unsigned_hp.encounter)
    assert Deficiency.objects.filter(status="open").count() == 0


def test_a_provider_cannot_resolve_and_him_must_give_a_reason(unsigned_hp, attending, users):
    with pytest.raises(PermissionRefused):
        actions.do_resolve_deficiency(unsigned_hp, reason="Fine", acting_user=attending)
    with pytest.raises(ChartdeskError, match="reason"):
        actions.do_mark_not_applicable(unsigned_hp, reason="", acting_user=users["him_manager"])


def test_cosigning_from_the_queue_records_a_cosignature(stay, users, attending, nurse_practitioner):
    from chartdesk.charts.actions import do_sign_document

    do_sign_document(note(stay, nurse_practitioner, DocumentType.PROGRESS_NOTE, days_after_admit=1),
                     acting_user=nurse_practitioner)
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    cosign = Deficiency.objects.get(rule__code="cosignature-np-pa")
    done = actions.do_sign_from_queue(cosign, acting_user=attending, expected_revision=revision(cosign))
    assert done.status == DeficiencyStatus.COMPLETED
    recorded = CoSignature.objects.get()
    assert recorded.provider == attending.provider
    assert recorded.attestation.startswith("Co-signed. Electronically signed by Ada Lovelace, MD")


def test_reminders_go_out_by_age_once_per_step(unsigned_hp):
    opened = unsigned_hp.opened_at
    assert notices.do_send_reminders(now=opened + timedelta(days=2)).reminders == 0
    assert notices.do_send_reminders(now=opened + timedelta(days=3, hours=1)).reminders == 2  # both deficiencies
    assert notices.do_send_reminders(now=opened + timedelta(days=4)).reminders == 0
    # Ten days on, the day-7 step is due; the day-3 reminder is not sent again.
    assert notices.do_send_reminders(now=opened + timedelta(days=10)).reminders == 2
    assert sorted(DeficiencyReminder.objects.filter(deficiency=unsigned_hp).values_list("age_days", flat=True)) == [
        3, 7]


def test_a_record_becomes_delinquent_after_the_configured_days_and_complete_when_finished(unsigned_hp, users,
                                                                                           attending):
    completion = ChartCompletion.objects.get(encounter=unsigned_hp.encounter)
    discharged = completion.discharge_at
    assert actions.do_update_delinquency(now=discharged + timedelta(days=29)) == 0
    assert ChartCompletion.objects.get(pk=completion.pk).status == ChartStatus.INCOMPLETE
    assert actions.do_update_delinquency(now=discharged + timedelta(days=30, minutes=1)) == 1
    delinquent = ChartCompletion.objects.get(pk=completion.pk)
    assert (delinquent.status, delinquent.delinquent_since) == (ChartStatus.DELINQUENT,
                                                                 discharged + timedelta(days=30))
    him = users["him_manager"]
    for deficiency in Deficiency.objects.filter(status="open"):
        actions.do_resolve_deficiency(deficiency, reason="Completed on paper", acting_user=him)
    finished = ChartCompletion.objects.get(pk=completion.pk)
    assert finished.status == ChartStatus.COMPLETE
    assert finished.delinquent_since == discharged + timedelta(days=30)  # history kept for the monthly rate


def test_the_delinquency_days_come_from_the_policy(unsigned_hp):
    from chartdesk.completion.models import CompletionPolicy

    CompletionPolicy.objects.filter(id=1).update(delinquent_after_days=14)
    discharged = ChartCompletion.objects.get().discharge_at
    assert actions.do_update_delinquency(now=discharged + timedelta(days=14, hours=1)) == 1


def test_monthly_delinquency_rate_is_delinquent_records_over_average_monthly_discharges(unsigned_hp):
    completion = ChartCompletion.objects.get()
    actions.do_update_delinquency(now=completion.discharge_at + timedelta(days=31))
    month = timezone.localdate(completion.discharge_at + timedelta(days=31)).replace(day=1)
    rate = delinquency_rate(month)
    assert rate.delinquent_records == 1
    assert rate.average_monthly_discharges == pytest.approx(1 / 12)
    assert rate.rate_percent == 1200.0


def test_signing_a_document_in_the_chart_reanalyses_on_commit(unsigned_hp, attending,
                                                              django_capture_on_commit_callbacks):
    from chartdesk.charts.actions import do_sign_document

    with django_capture_on_commit_callbacks(execute=True):
        do_sign_document(unsigned_hp.document, acting_user=attending)
    assert Deficiency.objects.get(pk=unsigned_hp.pk).status == DeficiencyStatus.COMPLETED


def test_discharge_triggers_analysis_on_commit(stay, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        discharge(stay, users["registrar"])
    assert Deficiency.objects.filter(encounter=stay).count() == 2


def revision(deficiency):
    """The document revision the provider is shown on the deficiency's signing screen."""
    return type(deficiency.document).objects.get(pk=deficiency.document_id).revision
