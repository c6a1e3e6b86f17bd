"""The desk pages of scheduled reports: the user's schedules with a form to add one, switching one
off or on, and (HIM manager) sending the due ones now as a job. The page is open to anyone who may
open some report; each schedule is checked against its own report's permissions (`scheduling`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.forms import record_id
from chartdesk.core.permissions import requires, requires_any
from chartdesk.core.refusals import add_refusal, form_status, refusal_status
from chartdesk.reports.models import Cadence, ExportFormat, ScheduledReport
from chartdesk.reports.report_views import _any_report_permission
from chartdesk.reports.scheduling import (
    WEEKDAYS,
    describe,
    do_create_scheduled_report,
    do_set_scheduled_report_active,
    do_start_send_due_job,
    next_due_day,
    schedulable_reports,
)


class ScheduleForm(forms.Form):
    report_slug = forms.ChoiceField(label="Report")
    query = forms.CharField(label="Filters (the report page's querystring)", required=False, max_length=1000,
                            help_text="e.g. grain=week&service=Medicine; without since/until each send covers "
                                      "this month and the five before it.")
    format = forms.ChoiceField(label="Format", choices=ExportFormat.choices)
    recipients = forms.CharField(label="Recipients (email addresses, comma-separated)", max_length=2000)
    cadence = forms.ChoiceField(label="Cadence", choices=Cadence.choices)
    weekday = forms.TypedChoiceField(label="Weekday (weekly)", required=False, coerce=int, empty_value=None,
                                     choices=[("", "—"), *[(str(i), name) for i, name in enumerate(WEEKDAYS)]])
    day_of_month = forms.IntegerField(label="Day of the month (monthly, 1 to 28)", required=False)

    def __init__(self, user: Any, data: Any = None) -> None:
        super().__init__(data)
        self.fields["report_slug"].choices = [  # type: ignore[attr-defined]
            (report.slug, report.title) for report in schedulable_reports(user)]


def _visible(user: Any) -> list[ScheduledReport]:
    rows = ScheduledReport.objects.select_related("owner")
    if not user.has_perm("reports.view_department_reports"):
        rows = rows.filter(owner=user)
    return list(rows)


@requires_any(*_any_report_permission())
def scheduled_reports(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ScheduleForm(user, request.POST if request.method == "POST" else None)
    refused: ChartdeskError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            do_create_scheduled_report(acting_user=user, **form.cleaned_data)
        except ChartdeskError as refusal:
            refused = refusal
            add_refusal(form, refusal)
        else:
            messages.success(request, "The report is scheduled.")
            return redirect("reports-scheduled")
    today = timezone.localdate()
    schedules = [{"schedule": schedule, "cadence": describe(schedule),
                  "next": next_due_day(schedule, today) if schedule.active else None}
                 for schedule in _visible(user)]
    return render(request, "reports/scheduled.html", {
        "form": form, "schedules": schedules,
        "may_send": user.has_perm("reports.view_department_reports"),
    }, status=form_status(form, refused) if request.method == "POST" else 200)


@requires_any(*_any_report_permission())
@require_POST
def scheduled_report_active(request: HttpRequest, schedule_id: Any) -> HttpResponse:
    try:
        do_set_scheduled_report_active(acting_user=request.user, schedule_id=record_id(schedule_id, "scheduled report"),
                                       active=request.POST.get("active") == "1")
    except ChartdeskError as refusal:
        status = 404 if isinstance(refusal, NotFound) else refusal_status(refusal)
        return HttpResponse(refusal.message, status=status, content_type="text/plain")
    return redirect("reports-scheduled")


@requires("reports.view_department_reports")
@require_POST
def send_due_now(request: HttpRequest) -> HttpResponse:
    job = do_start_send_due_job(acting_user=request.user)
    messages.success(request, f"Sending the due reports (job {job.pk}).")
    return redirect("reports-scheduled")
