"""Scheduled reports as users reach them: the desk page per role, sending through `chartdesk reports
send-due` and the job, each attachment parsed, each send audited, bad input refused naming the field."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from chartdesk.audit.models import AuditAction, AuditEvent, AuditOutcome
from chartdesk.reports.models import ScheduledReport
from tests.support import factories

ROLES_WHO_MAY = {"him_manager", "coder", "billing", "roi"}
ROLES = sorted(ROLES_WHO_MAY | {"registrar", "provider", "privacy_officer", "front_desk", "transcriptionist",
                                "administrator"})
QUERY = "since=2025-02-01&until=2025-03-31&grain=month"


def _post(client, **fields):
    data = {"report_slug": "dnfb", "query": QUERY, "format": "xlsx", "recipients": "cfo@example.org",
            "cadence": "daily", "weekday": "", "day_of_month": "", **fields}
    return client.post("/reports/scheduled/", data)


def _send() -> str:
    out = io.StringIO()
    call_command("reports", "send-due", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("role", ROLES)
def test_the_page_opens_to_those_who_may_open_a_report(role, db, client_for):
    response = client_for(factories.make_user(role)).get("/reports/scheduled/")
    assert response.status_code == (200 if role in ROLES_WHO_MAY else 403)


def test_a_coder_schedules_only_the_reports_a_coder_may_open(department, client_for):
    client = client_for(department.coder)
    refused = _post(client, report_slug="delinquency")
    assert refused.status_code == 400
    assert "report_slug" in refused.context["form"].errors
    assert ScheduledReport.objects.count() == 0
    assert _post(client, report_slug="coding-backlog", query="grain=week").status_code == 302
    schedule = ScheduledReport.objects.get()
    assert (schedule.report_slug, schedule.owner, schedule.query) == ("coding-backlog", department.coder, "grain=week")


def test_send_due_emails_the_xlsx_table_once_per_period_and_audits_it(department, client_for):
    assert _post(client_for(department.manager), recipients="cfo@example.org, him@example.org").status_code == 302
    assert _send().startswith("1 scheduled reports sent")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["cfo@example.org", "him@example.org"]
    file_name, content, mime = message.attachments[0]
    assert file_name == "dnfb-2025-02-01-2025-03-31.xlsx"
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Period"
    assert [row[0] for row in rows[1:]] == ["2025-02", "2025-03"]
    assert rows[2][1] == 4  # the DNFB encounters of March, as on the report page
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="scheduled_report").get()
    assert event.user == department.manager
    assert event.detail["report"] == "dnfb"
    assert event.detail["filters"] == QUERY
    assert event.detail["recipients"] == ["cfo@example.org", "him@example.org"]
    assert ScheduledReport.objects.get().last_sent_at is not None

    assert _send().startswith("0 scheduled reports sent")  # the same day again: nothing
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="scheduled_report").count() == 1


def test_csv_and_pdf_attachments_parse(department, client_for):
    client = client_for(department.manager)
    _post(client, format="csv")
    _post(client, format="pdf", report_slug="roi-turnaround")
    _send()
    by_type = {attachment[0].rsplit(".", 1)[1]: attachment for message in mail.outbox
               for attachment in message.attachments}
    content = by_type["csv"][1]  # Django hands text/* attachments back as text
    rows = list(csv.reader(io.StringIO(content if isinstance(content, str) else content.decode())))
    assert rows[0][0] == "Period" and [row[0] for row in rows[1:]] == ["2025-02", "2025-03"]
    assert rows[2][1] == "4"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(by_type["pdf"][1])).pages)
    assert "Release-of-information turnaround" in text and "2025-03" in text
    assert by_type["pdf"][2] == "application/pdf"


def test_weekly_and_monthly_go_on_their_own_day_only(department, client_for):
    client = client_for(department.manager)
    today = timezone.localdate()
    _post(client, cadence="weekly", weekday=str(today.weekday()))
    _post(client, cadence="weekly", weekday=str((today.weekday() + 1) % 7), recipients="later@example.org")
    _post(client, cadence="monthly", day_of_month=str(min(today.day, 28)) if today.day <= 28 else "1",
          recipients="month@example.org")
    _send()
    sent_to = sorted(address for message in mail.outbox for address in message.to)
    # The monthly one falls today (or, after the 28th, fell on the 1st, before it was made: not due).
    expected = ["cfo@example.org"] + (["month@example.org"] if today.day <= 28 else [])
    assert sent_to == expected


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"report_slug": "no-such-report"}, "report_slug", "valid choice"),
    ({"query": "since=2025-02-01&until=2025-03-31&grain=hour"}, "query", "grain"),
    ({"query": "since=2025-04-01&until=2025-03-01"}, "query", "until"),
    ({"query": "coder=1"}, "query", "no filter 'coder'"),
    ({"query": QUERY + "&period=2025-03-01&series=encounters"}, "query", "never emailed"),
    ({"recipients": "cfo@example.org, not-an-address"}, "recipients", "'not-an-address' is not an email"),
    ({"recipients": " , "}, "recipients", "at least one"),
    ({"cadence": "hourly"}, "cadence", "valid choice"),
    ({"cadence": "weekly"}, "weekday", "weekday"),
    ({"cadence": "monthly", "day_of_month": "31"}, "day_of_month", "1 to 28"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(fields, field, words, department, client_for):
    response = _post(client_for(department.manager), **fields)
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert words.lower() in errors.lower(), response.context["form"].errors
    assert ScheduledReport.objects.count() == 0
    assert not AuditEvent.objects.filter(object_type="scheduled_report").exists()


def test_the_job_sends_the_due_reports_and_only_the_manager_starts_it(department, client_for, run_jobs):
    _post(client_for(department.coder), report_slug="coding-backlog")
    assert client_for(department.coder).post("/reports/scheduled/send-due/").status_code == 403
    assert client_for(department.manager).post("/reports/scheduled/send-due/").status_code == 302
    run_jobs()
    assert [message.to for message in mail.outbox] == [["cfo@example.org"]]
    assert mail.outbox[0].attachments[0][0].startswith("coding-backlog-")


def test_a_schedule_whose_owner_lost_the_report_is_not_sent(department, client_for):
    _post(client_for(department.coder), report_slug="coding-backlog")
    department.coder.groups.clear()  # moved off coding: no report of theirs any more
    output = _send()
    assert "not sent: its owner may no longer open the report" in output
    assert mail.outbox == []
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_type="scheduled_report")
    assert event.outcome == AuditOutcome.DENIED


def test_switching_off_by_owner_or_manager_only(department, client_for):
    _post(client_for(department.coder), report_slug="coding-backlog")
    schedule = ScheduledReport.objects.get()
    url = f"/reports/scheduled/{schedule.pk}/active/"
    assert client_for(department.biller).post(url, {"active": "0"}).status_code == 404
    assert client_for(department.coder).post("/reports/scheduled/x/active/", {"active": "0"}).status_code == 404
    assert ScheduledReport.objects.get().active
    assert client_for(department.coder).post(url, {"active": "0"}).status_code == 302
    assert not ScheduledReport.objects.get().active
    assert _send().startswith("0 scheduled reports sent") and mail.outbox == []
    assert client_for(department.manager).post(url, {"active": "1"}).status_code == 302
    assert ScheduledReport.objects.get().active


def test_a_mail_server_that_cannot_be_reached_leaves_the_report_due(department, client_for, settings):
    _post(client_for(department.manager))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2  # nothing listens
    output = _send()
    assert "not sent: the mail was not sent" in output
    assert ScheduledReport.objects.get().last_sent_at is None
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="scheduled_report").exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert _send().startswith("1 scheduled reports sent") and len(mail.outbox) == 1
