"""Medical record delinquency rate, as The Joint Commission defines it.

For each month: the records delinquent at the month's end (past the completion deadline of the
medical staff rules and still incomplete then) divided by the average monthly discharges, averaged
over the months ending with that month (12 by default, as on the Joint Commission's medical record
statistics form; 3 may be chosen). The counting is `completion.access.delinquency_rate`, the same
figure the chart completion pages show.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from chartdesk.completion.access import delinquency_rate
from chartdesk.completion.models import ChartCompletion
from chartdesk.reports.framework import (
    DrillList,
    DrillRow,
    Filters,
    Period,
    Report,
    ReportResult,
    Series,
    filter_encounters,
    local_day,
    register,
)

WINDOWS = (("12", "12 months"), ("3", "3 months"))


def _records(filters: Filters) -> Any:
    return filter_encounters(ChartCompletion.objects.all(), filters, prefix="encounter__")


def _window(filters: Filters) -> int:
    return int(filters.get("window") or "12")


@register
class DelinquencyReport(Report):
    slug = "delinquency"
    title = "Delinquency rate"
    summary = "Records delinquent at each month's end against average monthly discharges (The Joint Commission)."
    permissions = ("reports.view_department_reports", "completion.manage_deficiencies")
    filters = ("service", "location", "provider", "window")
    grains = ("month",)
    series_keys = ("rate", "delinquent", "discharges", "average_discharges")

    def choices(self, name: str) -> list[tuple[str, str]]:
        return list(WINDOWS) if name == "window" else super().choices(name)

    def compute(self, filters: Filters) -> ReportResult:
        spans = filters.periods()
        months = [delinquency_rate(period.start, averaged_over_months=_window(filters), records=_records(filters))
                  for period in spans]
        return ReportResult(spans, [
            Series("rate", "Delinquency rate (%)", [month.rate_percent for month in months], unit="percent"),
            Series("delinquent", "Delinquent records", [month.delinquent_records for month in months],
                   plotted=False),
            Series("discharges", "Discharges in the month", [month.discharges for month in months], plotted=False),
            Series("average_discharges", f"Average monthly discharges ({_window(filters)} months)",
                   [round(month.average_monthly_discharges, 2) for month in months], plotted=False),
        ], notes=[f"Rate = delinquent records at the month's end / average monthly discharges over the "
                  f"{_window(filters)} months ending with it, times 100."])

    def drill_down(self, filters: Filters, period: Period, series_key: str) -> DrillList:
        end = period.ends_at
        records = _records(filters).select_related("patient", "encounter")
        if series_key == "discharges":
            rows = records.filter(discharge_at__gte=period.starts_at, discharge_at__lt=end)
            title = f"Records of discharges in {period.label}"
        else:
            rows = records.filter(delinquent_since__lt=end).exclude(completed_at__lt=end)
            title = f"Records delinquent at the end of {period.label}"
        return DrillList(
            title,
            ["Account", "Patient", "MRN", "Service", "Discharged", "Delinquent since", "Status"],
            [DrillRow(record.patient, record.patient_id, [
                record.encounter.account_number, record.patient.display_name, record.patient.mrn,
                record.encounter.service, local_day(record.discharge_at),
                local_day(record.delinquent_since) if record.delinquent_since else "",
                record.get_status_display(),
            ], reverse("charts-encounter", kwargs={"encounter_id": record.encounter_id}))
             for record in rows.order_by("discharge_at", "pk")],
            "report_delinquency",
        )
