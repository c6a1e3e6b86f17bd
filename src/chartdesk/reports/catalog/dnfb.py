"""Discharged, not final billed (DNFB): finished encounters with no claim sent yet, by reason.

At the end of each period (or now, for the running one) an encounter is in DNFB when it was
discharged before that moment and no claim of it had been submitted. Its reason is the first step
it had not passed then:

- query pending: not coded, and a physician query was open;
- not coded: not coded, no open query;
- not charged: coded, no active charge recorded yet;
- held by scrubber edit: charged, its claim stopped by the scrubber (status "needs work");
- claim not sent: charged, claim drafted or ready but not submitted (or not yet created).

Days are counted from the discharge date to the period's end; dollars are the active charges
recorded by then (inpatient stays are usually charged after coding, so theirs are often zero).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Min, Prefetch, Q
from django.urls import reverse

from chartdesk.billing.models import Charge, ChargeStatus, ClaimStatus
from chartdesk.charts.models import Encounter, EncounterStatus
from chartdesk.coding.workflow.models import PhysicianQuery
from chartdesk.coding.workflow.queue import WAITING_STATUSES
from chartdesk.reports.framework import (
    Breakdown,
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

REASONS = (
    ("not_coded", "Not coded"),
    ("query_pending", "Query pending"),
    ("not_charged", "Not charged"),
    ("scrubber_hold", "Held by scrubber edit"),
    ("claim_not_sent", "Claim not sent"),
)
REASON_LABELS = dict(REASONS)


@dataclass(frozen=True)
class Waiting:
    encounter: Any
    reason: str
    days: int
    dollars: Decimal


def _candidates(filters: Filters, first: Period, last: Period) -> list[Any]:
    """Encounters that may be in DNFB at some period end: discharged before the last end, not billed
    before the first period starts; with their case, queries, charges and claims prefetched."""
    encounters = (
        Encounter.objects.filter(status=EncounterStatus.FINISHED, discharge_at__lt=last.ends_at)
        .annotate(billed_at=Min("claims__submitted_at"))
    )
    encounters = filter_encounters(encounters, filters)
    return list(
        encounters.filter(Q(billed_at__isnull=True) | Q(billed_at__gte=first.starts_at))
        .select_related("patient", "coding_case")
        .prefetch_related(
            Prefetch("coding_case__queries", queryset=PhysicianQuery.objects.only("case_id", "asked_at",
                                                                                  "answered_at")),
            Prefetch("charges", queryset=Charge.objects.filter(status=ChargeStatus.ACTIVE)),
            "claims",
        )
        .order_by("discharge_at", "pk")
    )


def _case(encounter: Any) -> Any:
    try:
        return encounter.coding_case
    except Encounter.coding_case.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        return None


def state_at(encounter: Any, at: datetime) -> Waiting | None:
    """Where `encounter` stood at `at`: None when not yet discharged or already final billed."""
    if encounter.discharge_at >= at or (encounter.billed_at is not None and encounter.billed_at < at):
        return None
    case = _case(encounter)
    coded = (case is not None and case.coded_at is not None and case.coded_at < at
             and case.status not in WAITING_STATUSES)
    charges = [charge for charge in encounter.charges.all() if charge.created_at < at]
    dollars = sum((charge.amount for charge in charges), Decimal("0.00"))
    if not coded:
        queries = case.queries.all() if case is not None else []
        open_query = any(query.asked_at < at and (query.answered_at is None or query.answered_at >= at)
                         for query in queries)
        reason = "query_pending" if open_query else "not_coded"
    elif not charges:
        reason = "not_charged"
    elif any(claim.status == ClaimStatus.SCRUBBED and claim.created_at < at for claim in encounter.claims.all()):
        reason = "scrubber_hold"
    else:
        reason = "claim_not_sent"
    days = (local_day(at) - local_day(encounter.discharge_at)).days
    return Waiting(encounter, reason, days, dollars)


def waiting_at(filters: Filters, period: Period, candidates: list[Any] | None = None) -> list[Waiting]:
    if candidates is None:
        candidates = _candidates(filters, period, period)
    found = [state for state in (state_at(encounter, period.ends_at) for encounter in candidates) if state]
    if filters.get("reason"):
        found = [state for state in found if state.reason == filters.get("reason")]
    return found


@register
class DnfbReport(Report):
    slug = "dnfb"
    title = "Discharged, not final billed (DNFB)"
    summary = "Encounters discharged and not yet billed at each period's end: how many, days and dollars, by reason."
    permissions = ("reports.view_department_reports", "billing.view_billing_reports",
                   "coding_workflow.view_coding_reports")
    filters = ("service", "location", "payer", "provider", "reason")
    series_keys = ("encounters", "dollars", "days", *REASON_LABELS)

    def choices(self, name: str) -> list[tuple[str, str]]:
        return list(REASONS) if name == "reason" else super().choices(name)

    def compute(self, filters: Filters) -> ReportResult:
        spans = filters.periods()
        candidates = _candidates(filters, spans[0], spans[-1])
        snapshots = [waiting_at(filters, period, candidates) for period in spans]
        series = [
            Series("encounters", "DNFB encounters", [len(rows) for rows in snapshots]),
            Series("dollars", "DNFB dollars", [sum((row.dollars for row in rows), Decimal("0.00"))
                                               for rows in snapshots], unit="dollars", plotted=False),
            Series("days", "DNFB days (added up)", [sum(row.days for row in rows) for rows in snapshots],
                   unit="days", plotted=False),
        ]
        series += [Series(key, label, [sum(1 for row in rows if row.reason == key) for rows in snapshots])
                   for key, label in REASONS]
        last = snapshots[-1]
        breakdown_rows = []
        for key, label in REASONS:
            rows = [row for row in last if row.reason == key]
            days = sum(row.days for row in rows)
            breakdown_rows.append((key, label, [len(rows), days, round(days / len(rows), 1) if rows else None,
                                                sum((row.dollars for row in rows), Decimal("0.00"))]))
        breakdown = Breakdown(f"By reason, as of the end of {spans[-1].label}", spans[-1],
                              ["Encounters", "Days (added up)", "Average days", "Dollars"], breakdown_rows)
        return ReportResult(spans, series, breakdown)

    def drill_down(self, filters: Filters, period: Period, series_key: str) -> DrillList:
        rows = waiting_at(filters, period)
        if series_key in REASON_LABELS:
            rows = [row for row in rows if row.reason == series_key]
        title = f"DNFB at the end of {period.label}" + (
            f": {REASON_LABELS[series_key].lower()}" if series_key in REASON_LABELS else "")
        return DrillList(
            title,
            ["Account", "Patient", "MRN", "Class", "Service", "Discharged", "Reason", "Days", "Dollars"],
            [DrillRow(row.encounter.patient, row.encounter.patient_id, [
                row.encounter.account_number, row.encounter.patient.display_name, row.encounter.patient.mrn,
                row.encounter.get_encounter_class_display(), row.encounter.service,
                local_day(row.encounter.discharge_at),
                REASON_LABELS[row.reason], row.days, row.dollars,
            ], reverse("charts-encounter", kwargs={"encounter_id": row.encounter.pk})) for row in rows],
            "report_dnfb",
        )
