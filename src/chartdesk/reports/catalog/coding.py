"""The coding backlog and coder productivity and accuracy.

Backlog: at each period's end, the finished encounters discharged before then and not yet coded
(no case, or a case still ready, in progress or on hold for a query): how many, the oldest and the
average days waiting since discharge. "Coded" counts the cases completed in the period.

Productivity and accuracy: the figures of `coding.workflow.reports.coder_figures` (coding time less
the time on hold for queries; accuracy = reviewed codes neither changed nor removed by the
second-level reviewer / reviewed codes), added up over the coders of each period.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.urls import reverse

from chartdesk.charts.models import Encounter, EncounterStatus
from chartdesk.coding.workflow.models import CodingCase
from chartdesk.coding.workflow.queue import WAITING_STATUSES
from chartdesk.coding.workflow.reports import coder_figures
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


def _encounters(filters: Filters) -> Any:
    encounters = filter_encounters(Encounter.objects.filter(status=EncounterStatus.FINISHED), filters)
    if filters.get("coder"):
        encounters = encounters.filter(coding_case__assigned_to_id=int(filters.get("coder")))
    return encounters


def waiting_at(filters: Filters, at: datetime) -> list[Any]:
    """Encounters discharged before `at` whose coding was not complete at `at`."""
    not_coded_then = (Q(coding_case__isnull=True) | Q(coding_case__status__in=WAITING_STATUSES)
                      | Q(coding_case__coded_at__gte=at) | Q(coding_case__coded_at__isnull=True))
    return list(_encounters(filters).filter(discharge_at__lt=at).filter(not_coded_then)
                .select_related("patient", "coding_case__assigned_to").order_by("discharge_at", "pk"))


def _coded_in(filters: Filters, period: Period) -> Any:
    return _encounters(filters).filter(coding_case__coded_at__gte=period.starts_at,
                                       coding_case__coded_at__lt=period.ends_at)


def _days(encounter: Any, at: datetime) -> int:
    return (local_day(at) - local_day(encounter.discharge_at)).days


def _case(encounter: Any) -> CodingCase | None:
    try:
        return encounter.coding_case
    except Encounter.coding_case.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        return None


def _encounter_rows(encounters: list[Any], at: datetime | None) -> list[DrillRow]:
    """One row per encounter; the last cell is the days waiting at `at`, or the day it was coded."""
    rows = []
    for encounter in encounters:
        case = _case(encounter)
        coder = case.assigned_to if case is not None else None
        last: Any = _days(encounter, at) if at is not None else (
            local_day(case.coded_at) if case is not None and case.coded_at else "")
        rows.append(DrillRow(encounter.patient, encounter.patient_id, [
            encounter.account_number, encounter.patient.display_name, encounter.patient.mrn,
            encounter.get_encounter_class_display(), encounter.service, local_day(encounter.discharge_at),
            case.get_status_display() if case is not None else "Ready to code",
            (coder.get_full_name() or coder.username) if coder is not None else "unassigned", last,
        ], reverse("coding-work-encounter", kwargs={"encounter_id": encounter.pk})))
    return rows


@register
class CodingBacklogReport(Report):
    slug = "coding-backlog"
    title = "Coding backlog"
    summary = "Finished encounters waiting for coding at each period's end, their days waiting, and encounters coded."
    permissions = ("reports.view_department_reports", "coding_workflow.view_coding_reports",
                   "coding_workflow.view_coding_queue")
    filters = ("service", "location", "payer", "provider", "coder")
    series_keys = ("waiting", "coded", "oldest_days", "average_days")

    def compute(self, filters: Filters) -> ReportResult:
        spans = filters.periods()
        snapshots = [waiting_at(filters, period.ends_at) for period in spans]
        ages = [[_days(encounter, period.ends_at) for encounter in rows]
                for period, rows in zip(spans, snapshots, strict=True)]
        return ReportResult(spans, [
            Series("waiting", "Waiting for coding", [len(rows) for rows in snapshots]),
            Series("coded", "Coded in the period", [_coded_in(filters, period).count() for period in spans]),
            Series("oldest_days", "Oldest (days)", [max(values) if values else None for values in ages],
                   unit="days", plotted=False),
            Series("average_days", "Average days waiting",
                   [round(sum(values) / len(values), 1) if values else None for values in ages],
                   unit="days", plotted=False),
        ])

    def drill_down(self, filters: Filters, period: Period, series_key: str) -> DrillList:
        columns = ["Account", "Patient", "MRN", "Class", "Service", "Discharged", "Coding", "Coder"]
        if series_key == "coded":
            encounters = list(_coded_in(filters, period).select_related("patient", "coding_case__assigned_to")
                              .order_by("discharge_at", "pk"))
            return DrillList(f"Encounters coded in {period.label}", [*columns, "Coded"],
                             _encounter_rows(encounters, None), "report_coding_coded")
        return DrillList(f"Waiting for coding at the end of {period.label}", [*columns, "Days waiting"],
                         _encounter_rows(waiting_at(filters, period.ends_at), period.ends_at), "report_coding_backlog")


@register
class CoderProductivityReport(Report):
    slug = "coder-productivity"
    title = "Coder productivity and accuracy"
    summary = "Encounters and codes per hour of coding, and accuracy from second-level review, per period."
    permissions = ("reports.view_department_reports", "coding_workflow.view_coding_reports")
    filters = ("coder",)
    series_keys = ("encounters_per_hour", "accuracy", "encounters", "codes", "hours", "reviewed_codes")

    def _figures(self, filters: Filters, period: Period) -> list[Any]:
        lines = coder_figures(period.starts_at, period.ends_at)
        if filters.get("coder"):
            lines = [line for line in lines if str(line.coder.pk) == filters.get("coder")]
        return lines

    def compute(self, filters: Filters) -> ReportResult:
        spans = filters.periods()
        per_period = [self._figures(filters, period) for period in spans]
        encounters = [sum(line.encounters for line in lines) for lines in per_period]
        codes = [sum(line.codes for line in lines) for lines in per_period]
        hours = [sum(line.hours for line in lines) for lines in per_period]
        reviewed = [sum(line.reviewed_codes for line in lines) for lines in per_period]
        kept = [sum(max(line.reviewed_codes - line.changed - line.removed, 0) for line in lines)
                for lines in per_period]
        return ReportResult(spans, [
            Series("encounters_per_hour", "Encounters per hour",
                   [round(count / spent, 2) if spent else None for count, spent in zip(encounters, hours, strict=True)],
                   unit="per hour"),
            Series("accuracy", "Accuracy (%)",
                   [round(100 * good / total, 1) if total else None
                    for good, total in zip(kept, reviewed, strict=True)],
                   unit="percent"),
            Series("encounters", "Encounters coded", encounters, plotted=False),
            Series("codes", "Codes submitted", codes, plotted=False),
            Series("hours", "Coding hours", [round(spent, 2) for spent in hours], unit="hours", plotted=False),
            Series("reviewed_codes", "Reviewed codes", reviewed, plotted=False),
        ], notes=["Accuracy = reviewed codes the reviewer neither changed nor removed / reviewed codes."])

    def drill_down(self, filters: Filters, period: Period, series_key: str) -> DrillList:
        cases = CodingCase.objects.filter(coded_at__gte=period.starts_at, coded_at__lt=period.ends_at,
                                          coded_by__isnull=False)
        if filters.get("coder"):
            cases = cases.filter(coded_by_id=int(filters.get("coder")))
        if series_key in {"accuracy", "reviewed_codes"}:
            cases = cases.filter(reviewed_at__isnull=False)
        cases = cases.select_related("encounter__patient", "coded_by").order_by("coded_at", "pk")
        return DrillList(
            f"Encounters coded in {period.label}",
            ["Account", "Patient", "MRN", "Coder", "Coded", "Codes", "Reviewed"],
            [DrillRow(case.encounter.patient, case.encounter.patient_id, [
                case.encounter.account_number, case.encounter.patient.display_name, case.encounter.patient.mrn,
                case.coded_by.get_full_name() or case.coded_by.username,  # type: ignore[union-attr]
                local_day(case.coded_at), case.codes_submitted,  # type: ignore[arg-type]
                local_day(case.reviewed_at) if case.reviewed_at else "",
            ], reverse("coding-work-encounter", kwargs={"encounter_id": case.encounter_id})) for case in cases],
            "report_coder_productivity",
        )
