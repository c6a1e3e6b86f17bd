"""Reminder digests and delinquency notices: who gets what, by email (Django's locmem outbox in tests)
and in-app, nothing twice, and nothing in an email beyond MRNs and counts. Clocks are frozen by
passing `now` (the run's moment) explicitly."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.models import DocumentType
from chartdesk.completion.analysis import analyse_encounter
from chartdesk.completion.models import CompletionNotice, CompletionPolicy, Deficiency, DeficiencyReminder, NoticeKind
from chartdesk.completion.notices import do_send_completion_notices, do_send_reminders
from chartdesk.core.errors import PermissionRefused
from tests.completion.conftest import discharge, fresh, note
from tests.support import factories


def with_email(user: Any, address: str) -> Any:
    user.email = address
    user.save(update_fields=["email"])
    return fresh(user)


@pytest.fixture
def open_chart(stay: Any, users: dict[str, Any], attending: Any) -> Any:
    """Dr Lovelace's discharged stay with an unsigned H&P and no discharge summary: two deficiencies."""
    with_email(attending, "ada@example.org")
    note(stay, attending, DocumentType.HISTORY_AND_PHYSICAL, title="Admission H&P")
    discharge(stay, users["registrar"])
    analyse_encounter(stay)
    stay.refresh_from_db()
    return stay


@pytest.fixture
def opened_at(open_chart: Any) -> Any:
    return Deficiency.objects.filter(encounter=open_chart).earliest("opened_at").opened_at


def run(capture: Any, moment: Any) -> Any:
    with capture(execute=True):
        return do_send_completion_notices(now=moment)


def test_a_provider_gets_one_digest_of_all_their_deficiencies_when_a_step_is_reached(
        open_chart, opened_at, django_capture_on_commit_callbacks):
    assert run(django_capture_on_commit_callbacks, opened_at + timedelta(days=2)).digests == 0
    assert mail.outbox == []

    result = run(django_capture_on_commit_callbacks, opened_at + timedelta(days=3, hours=1))

    assert (result.digests, result.reminders, result.emailed) == (1, 2, 1)
    [email] = mail.outbox
    assert email.to == ["ada@example.org"]
    assert email.subject == "Chartdesk: 1 record to complete (2 deficiencies)"
    mrn = open_chart.patient.mrn
    assert f"{mrn}" in email.body and "2 deficiencies to complete on 1 record" in email.body


def test_the_email_carries_the_mrn_and_counts_but_no_name_date_or_document_type(
        open_chart, opened_at, django_capture_on_commit_callbacks):
    run(django_capture_on_commit_callbacks, opened_at + timedelta(days=3))
    [email] = mail.outbox
    patient = open_chart.patient
    for withheld in (patient.family_name, patient.given_name, patient.birth_date.isoformat(),
                     f"{patient.birth_date:%m/%d/%Y}", "History and physical", "Discharge summary", "H&P",
                     open_chart.account_number, f"{open_chart.admit_at:%Y-%m-%d}"):
        assert withheld not in email.body and withheld not in email.subject, withheld
    stored = CompletionNotice.objects.get()
    assert (stored.body, stored.emailed_to, stored.kind) == (email.body, "ada@example.org", NoticeKind.REMINDER)


def test_running_again_sends_nothing_twice_and_the_next_step_sends_one_more_digest(
        open_chart, opened_at, django_capture_on_commit_callbacks):
    day_3 = opened_at + timedelta(days=3)
    run(django_capture_on_commit_callbacks, day_3)
    assert run(django_capture_on_commit_callbacks, day_3 + timedelta(hours=1)).digests == 0
    assert run(django_capture_on_commit_callbacks, opened_at + timedelta(days=6)).digests == 0
    assert len(mail.outbox) == 1
    assert run(django_capture_on_commit_callbacks, opened_at + timedelta(days=7)).digests == 1
    assert len(mail.outbox) == 2
    steps = DeficiencyReminder.objects.filter(deficiency__encounter=open_chart).values_list("age_days", flat=True)
    assert sorted(steps) == [3, 3, 7, 7]
    assert set(Deficiency.objects.filter(encounter=open_chart).values_list("reminders_sent", flat=True)) == {2}


def test_two_records_of_one_provider_make_one_digest_and_each_provider_gets_their_own(
        open_chart, opened_at, users, attending, surgeon, django_capture_on_commit_callbacks):
    with_email(surgeon, "grace@example.org")
    second = factories.make_encounter(factories.make_patient("Chidi", "Okafor"), "inpatient",
                                      admit_at=timezone.now() - timedelta(days=4), acting_user=users["registrar"],
                                      attending=attending.provider)
    discharge(second, users["registrar"])
    analyse_encounter(second)
    third = factories.make_encounter(factories.make_patient("Astrid", "Lindqvist"), "inpatient",
                                     admit_at=timezone.now() - timedelta(days=4), acting_user=users["registrar"],
                                     attending=surgeon.provider)
    discharge(third, users["registrar"])
    analyse_encounter(third)

    result = run(django_capture_on_commit_callbacks, opened_at + timedelta(days=3, hours=2))

    assert result.digests == 2
    by_address = {email.to[0]: email for email in mail.outbox}
    assert sorted(by_address) == ["ada@example.org", "grace@example.org"]
    assert by_address["ada@example.org"].subject == "Chartdesk: 2 records to complete (4 deficiencies)"
    assert second.patient.mrn in by_address["ada@example.org"].body
    assert third.patient.mrn not in by_address["ada@example.org"].body
    assert by_address["grace@example.org"].subject == "Chartdesk: 1 record to complete (2 deficiencies)"


def test_a_provider_without_an_email_address_gets_the_notice_in_app_only(
        open_chart, opened_at, attending, client, django_capture_on_commit_callbacks):
    with_email(attending, "")
    result = run(django_capture_on_commit_callbacks, opened_at + timedelta(days=3))
    assert (result.digests, result.emailed, result.in_app_only, mail.outbox) == (1, 0, 1, [])
    notice = CompletionNotice.objects.get(recipient=attending)
    client.force_login(attending)
    queue = client.get(reverse("completion-queue")).content.decode()
    sent = timezone.localtime(notice.sent_at).strftime("%Y-%m-%d %H:%M")
    assert f"Reminder of charts to complete</strong> sent {sent}" in queue
    assert "your account has no email address" in queue
    home = client.get(reverse("core-home")).content.decode()
    assert f"sent {sent}" in home and "2 deficiencies on 1 record" in home


def test_the_digest_is_in_the_audit_trail_of_the_patient_it_names(open_chart, opened_at,
                                                                    django_capture_on_commit_callbacks):
    run(django_capture_on_commit_callbacks, opened_at + timedelta(days=3))
    notice = CompletionNotice.objects.get()
    event = AuditEvent.objects.get(object_type="completion_notice", object_id=str(notice.pk))
    assert (event.patient_id, event.detail["recipient"], event.detail["emailed"]) == (
        open_chart.patient_id, notice.recipient.username, True)


def test_him_is_told_once_when_a_record_becomes_delinquent(open_chart, users, attending,
                                                          django_capture_on_commit_callbacks):
    him = with_email(users["him_manager"], "him@example.org")
    CompletionPolicy.objects.update_or_create(id=1, defaults={"reminder_days": "3,7,14,30"})
    discharged = open_chart.discharge_at
    before = run(django_capture_on_commit_callbacks, discharged + timedelta(days=29))
    assert before.delinquency_notices == 0
    mail.outbox.clear()

    result = run(django_capture_on_commit_callbacks, discharged + timedelta(days=30, hours=2))

    assert (result.newly_delinquent, result.delinquency_notices) == (1, 1)
    [notice] = [email for email in mail.outbox if email.to == ["him@example.org"]]
    assert notice.subject == "Chartdesk: 1 record became delinquent"
    assert open_chart.patient.mrn in notice.body and "Ada Lovelace, MD" in notice.body
    assert open_chart.patient.family_name not in notice.body
    assert CompletionNotice.objects.get(recipient=him, kind=NoticeKind.DELINQUENCY).records == 1
    # The provider's day-30 digest marks the record delinquent.
    [digest] = [email for email in mail.outbox if email.to == ["ada@example.org"]]
    assert "DELINQUENT" in digest.body
    mail.outbox.clear()
    again = run(django_capture_on_commit_callbacks, discharged + timedelta(days=31))
    assert (again.delinquency_notices, [m for m in mail.outbox if m.to == ["him@example.org"]]) == (0, [])


def test_a_failed_email_leaves_the_in_app_notice_and_says_why(open_chart, opened_at,
                                                              django_capture_on_commit_callbacks):
    # Nothing listens on port 1 of this machine: the real SMTP backend fails to connect.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                           EMAIL_PORT=1, EMAIL_TIMEOUT=5):
        result = run(django_capture_on_commit_callbacks, opened_at + timedelta(days=3))
    notice = CompletionNotice.objects.get()
    assert result.digests == 1 and notice.email_problem != ""
    assert run(django_capture_on_commit_callbacks, opened_at + timedelta(days=3, hours=1)).digests == 0


def test_only_him_or_the_scheduled_run_may_send(open_chart, attending, users):
    with pytest.raises(PermissionRefused):
        do_send_reminders(acting_user=attending)
    assert do_send_reminders(acting_user=users["him_manager"]).digests == 0  # nothing due yet


def test_the_cron_command_sends_each_digest_once(open_chart, django_capture_on_commit_callbacks):
    Deficiency.objects.filter(encounter=open_chart).update(opened_at=timezone.now() - timedelta(days=3, hours=1))
    outputs = []
    for _ in range(2):
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("completion", "send-reminders", stdout=out)
        outputs.append(out.getvalue())
    assert outputs[0].startswith("1 reminder digests (2 deficiency reminders)")
    assert outputs[1].startswith("0 reminder digests (0 deficiency reminders)")
    assert [email.to for email in mail.outbox] == [["ada@example.org"]]


def test_a_restricted_charts_mrn_is_not_emailed_to_a_provider_who_cannot_open_it(
        open_chart, opened_at, users, django_capture_on_commit_callbacks):
    from chartdesk.patients.actions import do_set_restriction

    do_set_restriction(open_chart.patient, restriction="vip", note="board member", acting_user=users["him_manager"])
    run(django_capture_on_commit_callbacks, opened_at + timedelta(days=3))
    [email] = mail.outbox
    assert open_chart.patient.mrn not in email.body
    assert "2 more deficiencies are on restricted charts you cannot open" in email.body
    assert not AuditEvent.objects.filter(object_type="completion_notice").exists()
