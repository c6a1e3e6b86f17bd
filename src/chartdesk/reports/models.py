"""The reports app's models: `DepartmentReports` only carries its permissions (Django ties permissions
to a model; it has no table, managed = False); `ScheduledReport` is a report emailed on a schedule."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DepartmentReports(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = "department report"
        permissions = [
            ("view_department_reports", "See the HIM department's reports, plots, drill-downs and exports"),
        ]

    def __str__(self) -> str:
        return "department reports"


class Cadence(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    PDF = "pdf", "PDF"


class ScheduledReport(models.Model):
    """A report's table emailed on a schedule (`reports.scheduling`). Only the aggregate table is sent:
    a drill-down list names patients and never goes by email. Switched off, never deleted, so the
    audit trail of its sends keeps pointing at it."""

    report_slug = models.CharField(max_length=60)
    query = models.CharField(max_length=1000, blank=True, help_text="The report page's filters as a querystring.")
    format = models.CharField(max_length=4, choices=ExportFormat.choices, default=ExportFormat.XLSX)
    recipients = models.JSONField(default=list)
    cadence = models.CharField(max_length=10, choices=Cadence.choices)
    weekday = models.PositiveSmallIntegerField(null=True, blank=True)  # 0 = Monday (weekly)
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)  # 1-28 (monthly)
    active = models.BooleanField(default=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scheduled_reports")
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "scheduled report"
        verbose_name_plural = "scheduled reports"
        ordering = ["report_slug", "pk"]
        default_permissions = ()  # managed by whoever may open the report (reports.scheduling)

    def __str__(self) -> str:
        return f"{self.report_slug} ({self.cadence}) to {', '.join(self.recipients)}"
