"""Case-mix index and the duplicate rate of the patient index.

Case-mix index (CMI): the mean relative weight of the final MS-DRGs of the coded inpatient stays
discharged in the period (`coding.workflow.casemix.case_mix`, the figure the coding pages show).

Duplicate rate: at each period's end, the latest duplicate scan's share of active charts that sit in
an open candidate pair (AHIMA counts charts; typical rates 8-12%, well-run programmes under 1%). The
list behind it is the charts of the pairs open at that moment.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.urls import reverse

from chartdesk.coding.workflow.casemix import case_mix
from chartdesk.coding.workflow.models import CaseStatus, DrgGrouping
from chartdesk.patients.models import DuplicateCandidate, DuplicateScan
from chartdesk.reports.framework import (
    DrillList,
    DrillRow,
    Filters,
    Period,
    Report,
    ReportResult,
    Series,
    local_day,
    register,
)


@register
class CaseMixReport(Report):
    slug = "case-mix"
    title = "Case-mix index (CMI)"
    summary = "Mean MS-DRG relative weight of the coded inpatient stays discharged in each period."
    permissions = ("reports.view_department_reports", "coding_workflow.view_coding_reports")
    filters = ("service",)
    series_keys = ("cmi", "cases")

    def _line(self, filters: Filters, period: Period) -> Any:
        report = case_mix(period.starts_at, period.ends_at)
        if not filters.get("service"):
            return report.overall
        return next((line for line in report.by_service if line.label == filters.get("service")), None)

    def compute(self, filters: Filters) -> ReportResult:
        spans = filters.periods()
        lines = [self._line(filters, period) for period in spans]
        return ReportResult(spans, [
            Series("cmi", "Case-mix index", [line.cmi if line and line.cases else None for line in lines],
                   unit="index"),
            Series("cases", "Coded stays", [line.cases if line else 0 for line in lines], plotted=False),
        ], notes=["CMI = sum of the final MS-DRG relative weights / number of coded inpatient stays."])

    def drill_down(self, filters: Filters, period: Period, series_key: str) -> DrillList:
        rows = (DrgGrouping.objects.filter(case__status=CaseStatus.CODED,
                                           case__encounter__discharge_at__gte=period.starts_at,
                                           case__encounter__discharge_at__lt=period.ends_at)
                .select_related("case__encounter__patient").order_by("case_id", "pk"))
        if filters.get("service"):
            rows = rows.filter(case__encounter__service=filters.get("service"))
        final: dict[int, DrgGrouping] = {}
        for row in rows:
            final[row.case_id] = row  # the last grouping of each case is its final DRG
        stays = list(final.values())
        return DrillList(
            f"Coded stays discharged in {period.label}",
            ["Account", "Patient", "MRN", "Service", "Discharged", "MS-DRG", "Weight"],
            [DrillRow(row.case.encounter.patient, row.case.encounter.patient_id, [
                row.case.encounter.account_number, row.case.encounter.patient.display_name,
                row.case.encounter.patient.mrn, row.case.encounter.service,
                local_day(row.case.encounter.discharge_at),  # type: ignore[arg-type]
                f"{row.drg} {row.title}", row.weight or Decimal(0),
            ], reverse("coding-work-encounter", kwargs={"encounter_id": row.case.encounter_id})) for row in stays],
            "report_case_mix",
        )


@register
class DuplicateRateReport(Report):
    slug = "duplicate-rate"
    title = "Duplicate rate of the patient index"
    summary = "Share of active charts in an open candidate pair, from the latest scan before each period's end."
    permissions = ("reports.view_department_reports", "patients.merge_patients")
    series_keys = ("rate", "charts_in_pairs", "charts")

    def compute(self, filters: Filters) -> ReportResult:
        spans = filters.periods()
        scans = [DuplicateScan.objects.filter(started_at__lt=period.ends_at).order_by("-started_at", "-pk").first()
                 for period in spans]
        return ReportResult(spans, [
            Series("rate", "Duplicate rate (%)", [round(scan.duplicate_rate_percent, 2) if scan else None
                                                  for scan in scans], unit="percent"),
            Series("charts_in_pairs", "Charts in open pairs", [scan.patients_in_pairs if scan else None
                                                               for scan in scans], plotted=False),
            Series("charts", "Active charts scanned", [scan.patients if scan else None for scan in scans],
                   plotted=False),
        ], notes=["Rate = charts in an open candidate pair / active charts, at the latest scan before the "
                  "period's end; no scan yet shows as a dash."])

    def drill_down(self, filters: Filters, period: Period, series_key: str) -> DrillList:
        end = period.ends_at
        pairs = (DuplicateCandidate.objects.filter(first_found_at__lt=end)
                 .filter(Q(decided_at__isnull=True) | Q(decided_at__gte=end))
                 .select_related("patient_low", "patient_high").order_by("pk"))
        rows = []
        for pair in pairs:
            for patient in (pair.patient_low, pair.patient_high):
                rows.append(DrillRow(patient, patient.pk, [
                    f"pair {pair.pk}", patient.display_name, patient.mrn, f"{pair.probability:.3f}",
                    local_day(pair.first_found_at),
                ], reverse("patients-duplicate-pair", kwargs={"pair_id": pair.pk})))
        return DrillList(f"Charts in candidate pairs open at the end of {period.label}",
                         ["Pair", "Patient", "MRN", "Match probability", "First found"], rows,
                         "report_duplicate_rate")
