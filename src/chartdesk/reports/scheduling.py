"""Scheduled reports: a report's table emailed to a list of addresses daily, weekly or monthly.

Only a report's aggregate table is sent (CSV, XLSX or the printable PDF, built by `exports` exactly
as the report page builds its downloads). A drill-down list names patients, and email leaves the
desk's access control and audit behind, so a schedule for one is refused. The filters are the report
page's querystring, checked by the page's own form; without `since`/`until` each send covers the
page's default range (this month and the five before it) as of the day it is sent.

A schedule is due once per period of its cadence: on or after its day (every day; its weekday; its
day of the month), if it has not been sent since that day began. `do_send_due_reports` sends every
due one once, under a row lock, so a second run in the same period (or two at once) sends nothing.
Each send is audited as an `export` naming the report, filters, format and recipients.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction, AuditOutcome
from chartdesk.core.errors import ChartdeskError, NotFound, PermissionRefused
from chartdesk.core.locking import lock_row
from chartdesk.reports import exports
from chartdesk.reports.framework import Report, month_start, next_month, report_of
from chartdesk.reports.models import Cadence, ExportFormat, ScheduledReport

MAX_RECIPIENTS = 20
# Parameters of a drill-down list or of a download: a schedule sends the report's table, nothing else.
NOT_SCHEDULABLE = {"period", "series", "format"}
DRILL_DOWN_REFUSED = ("Only a report's table of numbers is sent by email: a drill-down list (period, series) names "
                      "patients and is never emailed. Remove '{name}' from the filters.")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def schedulable_reports(user: Any) -> list[Report]:
    from chartdesk.reports.framework import all_reports

    return [report for report in all_reports() if report.allowed(user)]


def _report(slug: str, user: Any) -> Report:
    report = report_of(slug)
    if report is None:
        raise ChartdeskError(f"There is no report '{slug}'.", field="report_slug")
    if not report.allowed(user):
        raise PermissionRefused(f"You may not open the report '{report.title}', so you may not schedule it.")
    return report


def _query(report: Report, query: str) -> str:
    """The filters checked by the report page's form; returns them in a canonical order."""
    from chartdesk.reports.report_views import ReportFilterForm, default_query

    data = QueryDict(query.lstrip("?"), mutable=True)
    for name in sorted(set(data) & NOT_SCHEDULABLE):
        raise ChartdeskError(DRILL_DOWN_REFUSED.format(name=name), field="query")
    unknown = sorted(set(data) - {"since", "until", "grain", *report.filters})
    if unknown:
        raise ChartdeskError(f"The report '{report.title}' has no filter {', '.join(repr(n) for n in unknown)}.",
                             field="query")
    checked = data.copy()
    for name, value in default_query(report).items():
        checked.setdefault(name, value)
    form = ReportFilterForm(report, checked)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items())
        raise ChartdeskError(f"The filters are not valid ({problems}).", field="query")
    return urlencode([(name, value) for name in ("since", "until", "grain", *report.filters)
                      for value in data.getlist(name) if value])


def _recipients(recipients: list[str] | str) -> list[str]:
    if isinstance(recipients, str):
        recipients = [part for part in recipients.replace(";", ",").replace("\n", ",").split(",")]
    found = [address.strip() for address in recipients if address.strip()]
    if not found:
        raise ChartdeskError("Give at least one recipient's email address.", field="recipients")
    if len(found) > MAX_RECIPIENTS:
        raise ChartdeskError(f"At most {MAX_RECIPIENTS} recipients.", field="recipients")
    for address in found:
        try:
            validate_email(address)
        except ValidationError:
            raise ChartdeskError(f"'{address}' is not an email address.", field="recipients") from None
    return list(dict.fromkeys(found))


def _cadence(cadence: str, weekday: int | None, day_of_month: int | None) -> tuple[int | None, int | None]:
    if cadence not in Cadence.values:
        raise ChartdeskError(f"The cadence must be one of {', '.join(Cadence.values)}, not '{cadence}'.",
                             field="cadence")
    if cadence == Cadence.WEEKLY:
        if weekday is None or not 0 <= weekday <= 6:
            raise ChartdeskError("A weekly report needs its weekday (0 = Monday to 6 = Sunday).", field="weekday")
        return weekday, None
    if cadence == Cadence.MONTHLY:
        # Day 28 at the latest: every month has it, so no month is skipped.
        if day_of_month is None or not 1 <= day_of_month <= 28:
            raise ChartdeskError("A monthly report needs its day of the month, 1 to 28.", field="day_of_month")
        return None, day_of_month
    return None, None


def do_create_scheduled_report(*, acting_user: Any, report_slug: str, query: str, format: str,
                               recipients: list[str] | str, cadence: str, weekday: int | None = None,
                               day_of_month: int | None = None) -> ScheduledReport:
    report = _report(report_slug, acting_user)
    if format not in ExportFormat.values:
        raise ChartdeskError(f"The format must be one of {', '.join(ExportFormat.values)}, not '{format}'.",
                             field="format")
    canonical = _query(report, query)
    addresses = _recipients(recipients)
    weekday, day_of_month = _cadence(cadence, weekday, day_of_month)
    with transaction.atomic():
        schedule = ScheduledReport.objects.create(
            report_slug=report.slug, query=canonical, format=format, recipients=addresses, cadence=cadence,
            weekday=weekday, day_of_month=day_of_month, owner=acting_user)
        record_event(AuditAction.CREATE, user=acting_user, object_type="scheduled_report", object_id=schedule.pk,
                     detail={"report": report.slug, "filters": canonical, "format": format,
                             "recipients": addresses, "cadence": cadence, "weekday": weekday,
                             "day_of_month": day_of_month})
    return schedule


def may_manage(user: Any, schedule: ScheduledReport) -> bool:
    return bool(schedule.owner_id == user.pk or user.has_perm("reports.view_department_reports"))


def do_set_scheduled_report_active(*, acting_user: Any, schedule_id: int, active: bool) -> ScheduledReport:
    """Switch a schedule off (or on again); its owner or the HIM manager may."""
    with transaction.atomic():
        schedule = ScheduledReport.objects.select_for_update().filter(pk=schedule_id).first()
        if schedule is None or not may_manage(acting_user, schedule):
            raise NotFound("scheduled report")
        if active:
            _report(schedule.report_slug, acting_user)
        schedule.active = active
        schedule.save(update_fields=["active"])
        record_event(AuditAction.UPDATE, user=acting_user, object_type="scheduled_report", object_id=schedule.pk,
                     detail={"report": schedule.report_slug, "active": active})
    return schedule


def last_due_day(schedule: ScheduledReport, today: date) -> date:
    """The latest day on or before `today` on which the schedule falls."""
    if schedule.cadence == Cadence.WEEKLY:
        return today - timedelta(days=(today.weekday() - (schedule.weekday or 0)) % 7)
    if schedule.cadence == Cadence.MONTHLY:
        day = schedule.day_of_month or 1
        this_month = today.replace(day=day)
        if this_month <= today:
            return this_month
        return (month_start(today) - timedelta(days=1)).replace(day=day)
    return today


def is_due(schedule: ScheduledReport, today: date) -> bool:
    due_day = last_due_day(schedule, today)
    if due_day < timezone.localtime(schedule.created_at).date():
        return False  # its first day has not come yet
    return schedule.last_sent_at is None or timezone.localtime(schedule.last_sent_at).date() < due_day


def describe(schedule: ScheduledReport) -> str:
    if schedule.cadence == Cadence.WEEKLY:
        return f"Weekly on {WEEKDAYS[schedule.weekday or 0]}"
    if schedule.cadence == Cadence.MONTHLY:
        return f"Monthly on day {schedule.day_of_month}"
    return "Daily"


def next_due_day(schedule: ScheduledReport, today: date) -> date:
    if is_due(schedule, today):
        return today
    if schedule.cadence == Cadence.WEEKLY:
        return last_due_day(schedule, today) + timedelta(days=7)
    if schedule.cadence == Cadence.MONTHLY:
        return next_month(today).replace(day=schedule.day_of_month or 1)
    return today + timedelta(days=1)


def attachment(schedule: ScheduledReport, report: Report) -> tuple[str, bytes, str]:
    """The report's table as the page's own download would build it: (file name, content, MIME type)."""
    from chartdesk.reports.report_views import ReportFilterForm, default_query, filters_text

    data = QueryDict(schedule.query, mutable=True)
    for name, value in default_query(report).items():
        data.setdefault(name, value)
    form = ReportFilterForm(report, data)
    if not form.is_valid():
        raise ChartdeskError(f"The filters of scheduled report {schedule.pk} are no longer valid: "
                             f"{form.errors.as_text()}", field="query")
    filters = form.filters()
    result = report.compute(filters)
    name = f"{report.slug}-{filters.since.isoformat()}-{filters.until.isoformat()}"
    if schedule.format == ExportFormat.PDF:
        return (f"{name}.pdf", exports.pdf_bytes(report.title, report.summary, filters_text(report, filters),
                                                 result, result.notes), "application/pdf")
    header, rows = exports.report_table(result)
    if schedule.format == ExportFormat.CSV:
        return f"{name}.csv", exports.as_csv(header, rows, name).content, "text/csv"
    return f"{name}.xlsx", exports.xlsx_bytes(report.title, header, rows), exports.XLSX_TYPE


@dataclass
class SendRun:
    sent: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def _send_one(schedule_id: int, today: date) -> str | None:
    """Send one schedule if it is still due; returns why it was not sent, or None when sent or not due."""
    with transaction.atomic():
        schedule = ScheduledReport.objects.filter(pk=schedule_id, active=True).select_related("owner").first()
        if schedule is None:
            return None
        schedule = lock_row(schedule, "owner")  # two runs at once: the second waits, then finds it sent
        if not schedule.active or not is_due(schedule, today):
            return None
        report = report_of(schedule.report_slug)
        owner = schedule.owner
        if report is None or not owner.is_active or not report.allowed(owner):
            why = ("the report no longer exists" if report is None
                   else "its owner may no longer open the report")
            record_event(AuditAction.EXPORT, user=owner, object_type="scheduled_report", object_id=schedule.pk,
                         outcome=AuditOutcome.DENIED,
                         detail={"report": schedule.report_slug, "why": why, "recipients": schedule.recipients})
            return why
        file_name, content, mime = attachment(schedule, report)
        message = EmailMessage(
            subject=f"{report.title} ({describe(schedule).lower()})",
            body=(f"{report.title}: {report.summary}\n\nAttached: {file_name}. Filters: {schedule.query or 'default'}."
                  f"\nScheduled by {owner.get_full_name() or owner.username}; the report holds no patient's data."),
            from_email=settings.DEFAULT_FROM_EMAIL, to=schedule.recipients)
        message.attach(file_name, content, mime)
        schedule.last_sent_at = timezone.now()
        schedule.save(update_fields=["last_sent_at"])
        record_event(AuditAction.EXPORT, user=owner, object_type="scheduled_report", object_id=schedule.pk,
                     detail={"report": report.slug, "filters": schedule.query, "format": schedule.format,
                             "recipients": schedule.recipients, "file": file_name})
        # Sent last, inside the transaction: a mail server refusing the message rolls back the
        # "sent" mark and its audit event, so the next run tries again.
        message.send(fail_silently=False)
    return None


def do_send_due_reports(today: date | None = None) -> SendRun:
    """Send every active scheduled report that is due today, each once."""
    today = today or timezone.localdate()
    run = SendRun()
    for schedule in ScheduledReport.objects.filter(active=True).order_by("pk"):
        if not is_due(schedule, today):
            continue
        before = schedule.last_sent_at
        try:
            why = _send_one(schedule.pk, today)
        except (OSError, smtplib.SMTPException) as failure:
            # The mail server refused or could not be reached: the schedule stays unsent (its
            # transaction rolled back) and goes at the next run; the others are still sent.
            why = f"the mail was not sent ({type(failure).__name__}: {failure}); it goes at the next run"
        if why:
            run.refused.append((schedule.pk, why))
        elif ScheduledReport.objects.filter(pk=schedule.pk).exclude(last_sent_at=before).exists():
            run.sent.append(schedule.pk)
    return run


def do_start_send_due_job(*, acting_user: Any) -> Any:
    """Queue the send of every due report as a job (the desk's "send due now")."""
    from chartdesk.core.permissions import require_permission
    from chartdesk.jobs.actions import do_start_job
    from chartdesk.reports.tasks import send_due_reports

    require_permission(acting_user, "reports.view_department_reports", "send the scheduled reports")
    return do_start_job(send_due_reports, title="Send due scheduled reports", acting_user=acting_user,
                        about_type="scheduled_reports")
