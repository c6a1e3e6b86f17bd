"""Release-of-information turnaround: days from receipt to release, and how many were released late.

Turnaround of a released request is the calendar days from the day it was received to the day it
was released (in the site's time zone). A request is late when released after its due date (the
date after any extension: 30 days for the right of access under 45 CFR 164.524, plus one 30-day
extension). Requests are counted in the period they were released; "received" counts those logged
in the period.
"""

from __future__ import annotations

from statistics import median
from typing import Any

from django.urls import reverse

from chartdesk.disclosures.models import Purpose, ReleaseRequest, RequesterType
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


def _requests(filters: Filters) -> Any:
    requests = ReleaseRequest.objects.select_related("patient")
    if filters.get("requester"):
        requests = requests.filter(requester_type=filters.get("requester"))
    if filters.get("purpose"):
        requests = requests.filter(purpose=filters.get("purpose"))
    return requests


def turnaround_days(request: ReleaseRequest) -> int:
    assert request.released_at is not None
    return (local_day(request.released_at) - request.received_on).days


def is_late(request: ReleaseRequest) -> bool:
    return request.due_on is not None and request.released_at is not None and local_day(
        request.released_at) > request.due_on


@register
class RoiTurnaroundReport(Report):
    slug = "roi-turnaround"
    title = "Release-of-information turnaround"
    summary = "Requests released per period, days from receipt to release, and the share released late."
    permissions = ("reports.view_department_reports", "disclosures.work_requests")
    filters = ("requester", "purpose")
    series_keys = ("average_days", "median_days", "released", "late", "received")

    def choices(self, name: str) -> list[tuple[str, str]]:
        if name == "requester":
            return list(RequesterType.choices)
        if name == "purpose":
            return list(Purpose.choices)
        return super().choices(name)

    def compute(self, filters: Filters) -> ReportResult:
        spans = filters.periods()
        requests = _requests(filters)
        released = list(requests.filter(released_at__gte=spans[0].starts_at, released_at__lt=spans[-1].ends_at))
        received = list(requests.filter(received_on__gte=spans[0].start, received_on__lt=spans[-1].end)
                        .values_list("received_on", flat=True))
        by_period: list[list[ReleaseRequest]] = [
            [request for request in released
             if period.starts_at <= request.released_at < period.ends_at]  # type: ignore[operator]
            for period in spans
        ]
        days = [[turnaround_days(request) for request in rows] for rows in by_period]
        return ReportResult(spans, [
            Series("average_days", "Average turnaround (days)",
                   [round(sum(values) / len(values), 1) if values else None for values in days], unit="days"),
            Series("median_days", "Median turnaround (days)", [median(values) if values else None for values in days],
                   unit="days"),
            Series("released", "Released", [len(rows) for rows in by_period], plotted=False),
            Series("late", "Released late", [sum(1 for request in rows if is_late(request)) for rows in by_period],
                   plotted=False),
            Series("received", "Received", [sum(1 for day in received if period.start <= day < period.end)
                                            for period in spans], plotted=False),
        ], notes=["Turnaround = release date - receipt date, in calendar days; late = released after the due date."])

    def drill_down(self, filters: Filters, period: Period, series_key: str) -> DrillList:
        requests = _requests(filters)
        if series_key == "received":
            rows = list(requests.filter(received_on__gte=period.start, received_on__lt=period.end))
            title = f"Requests received in {period.label}"
        else:
            rows = list(requests.filter(released_at__gte=period.starts_at, released_at__lt=period.ends_at))
            title = f"Requests released in {period.label}"
            if series_key == "late":
                rows = [request for request in rows if is_late(request)]
                title = f"Requests released late in {period.label}"
        return DrillList(
            title,
            ["Request", "Patient", "MRN", "Requester", "Purpose", "Received", "Due", "Released", "Days"],
            [DrillRow(request.patient, request.patient_id, [
                request.number, request.patient.display_name, request.patient.mrn,
                request.get_requester_type_display(), request.get_purpose_display(), request.received_on,
                request.due_on or "", local_day(request.released_at) if request.released_at else "",
                turnaround_days(request) if request.released_at else "",
            ], reverse("disclosures-request", kwargs={"request_id": request.pk}))
             for request in sorted(rows, key=lambda request: (request.received_on, request.pk))],
            "report_roi_turnaround",
        )
