"""Revenue-cycle reports: denial rate and days in accounts receivable (A/R).

Denial rate: of the claims submitted in the period, the share on which a payer's remittance
recorded a denial (to date), by count; the denied dollars are the denials' amounts.

Days in A/R at a period's end: the A/R balance then (every ledger entry posted before that moment,
charges less payments and adjustments, insurance and patient together) divided by the average daily
gross charges of the 90 days before it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.urls import reverse

from chartdesk.billing.models import LEDGER_SIGN, Claim, Denial, LedgerEntry, LedgerKind
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

ZERO = Decimal("0.00")
CHARGE_DAYS = 90


def _claims(filters: Filters) -> Any:
    claims = Claim.objects.select_related("patient", "payer")
    if filters.get("payer"):
        claims = claims.filter(payer__name=filters.get("payer"))
    return claims


def _denials(filters: Filters) -> Any:
    denials = Denial.objects.all()
    if filters.get("reason"):
        denials = denials.filter(reason_code=filters.get("reason"))
    return denials


def _claim_rows(claims: list[Any], last_column: Any) -> list[DrillRow]:
    return [DrillRow(claim.patient, claim.patient_id, [
        claim.claim_number, claim.patient.display_name, claim.patient.mrn, claim.payer.name,
        local_day(claim.submitted_at) if claim.submitted_at else "", claim.total_charge, last_column(claim),
    ], reverse("billing-claim", kwargs={"claim_id": claim.pk})) for claim in claims]


@register
class DenialRateReport(Report):
    slug = "denial-rate"
    title = "Denial rate"
    summary = "Claims submitted in each period and the share a payer denied (to date), with the dollars denied."
    permissions = ("reports.view_department_reports", "billing.view_billing_reports")
    filters = ("payer", "reason")
    series_keys = ("rate", "submitted", "denied", "denied_dollars")

    def choices(self, name: str) -> list[tuple[str, str]]:
        if name == "reason":
            codes = Denial.objects.values_list("group_code", "reason_code").distinct().order_by("reason_code")
            return sorted({(reason, f"CARC {reason}") for _, reason in codes})
        return super().choices(name)

    def _submitted(self, filters: Filters, period: Period) -> list[Any]:
        return list(_claims(filters).filter(submitted_at__gte=period.starts_at, submitted_at__lt=period.ends_at)
                    .order_by("submitted_at", "pk"))

    def compute(self, filters: Filters) -> ReportResult:
        spans = filters.periods()
        denials = _denials(filters)
        submitted = [self._submitted(filters, period) for period in spans]
        denied_dollars = []
        denied_counts = []
        for claims in submitted:
            found = denials.filter(claim__in=claims)
            denied_counts.append(found.values("claim_id").distinct().count())
            denied_dollars.append(found.aggregate(total=Sum("amount"))["total"] or ZERO)
        return ReportResult(spans, [
            Series("rate", "Denial rate (%)", [round(100 * denied / len(claims), 1) if claims else None
                                               for denied, claims in zip(denied_counts, submitted, strict=True)],
                   unit="percent"),
            Series("submitted", "Claims submitted", [len(claims) for claims in submitted], plotted=False),
            Series("denied", "Claims denied", denied_counts, plotted=False),
            Series("denied_dollars", "Dollars denied", denied_dollars, unit="dollars", plotted=False),
        ], notes=["Rate = claims submitted in the period with a denial recorded / claims submitted in the period."])

    def drill_down(self, filters: Filters, period: Period, series_key: str) -> DrillList:
        claims = self._submitted(filters, period)
        reasons: dict[int, list[str]] = defaultdict(list)
        for claim_id, group, reason in _denials(filters).filter(claim__in=claims).values_list(
                "claim_id", "group_code", "reason_code"):
            reasons[claim_id].append(f"{group}-{reason}")
        if series_key != "submitted":
            claims = [claim for claim in claims if claim.pk in reasons]
        title = f"Claims {'submitted' if series_key == 'submitted' else 'denied'} of {period.label}"
        return DrillList(title, ["Claim", "Patient", "MRN", "Payer", "Submitted", "Charge", "Denials"],
                         _claim_rows(claims, lambda claim: ", ".join(reasons.get(claim.pk, []))), "report_denial_rate")


def _entries(filters: Filters) -> Any:
    entries = LedgerEntry.objects.all()
    if filters.get("payer"):
        entries = entries.filter(claim__payer__name=filters.get("payer"))
    return entries


def _balance(entries: Any) -> Decimal:
    total = ZERO
    for kind, amount in entries.values_list("kind", "amount"):
        total += LEDGER_SIGN[LedgerKind(kind)] * amount
    return total


@register
class DaysInArReport(Report):
    slug = "days-in-ar"
    title = "Days in accounts receivable"
    summary = "A/R balance at each period's end divided by the average daily charges of the 90 days before it."
    permissions = ("reports.view_department_reports", "billing.view_billing_reports")
    filters = ("payer",)
    series_keys = ("days", "balance", "daily_charges")

    def compute(self, filters: Filters) -> ReportResult:
        spans = filters.periods()
        days, balances, daily = [], [], []
        for period in spans:
            end = period.ends_at
            entries = _entries(filters).filter(posted_at__lt=end)
            balance = _balance(entries)
            charged = entries.filter(kind=LedgerKind.CHARGE, posted_at__gte=end - timedelta(days=CHARGE_DAYS)
                                     ).aggregate(total=Sum("amount"))["total"] or ZERO
            per_day = (charged / CHARGE_DAYS).quantize(Decimal("0.01"))
            balances.append(balance)
            daily.append(per_day)
            days.append(round(float(balance / per_day), 1) if per_day else None)
        return ReportResult(spans, [
            Series("days", "Days in A/R", days, unit="days"),
            Series("balance", "A/R balance", balances, unit="dollars", plotted=False),
            Series("daily_charges", f"Average daily charges ({CHARGE_DAYS} days)", daily, unit="dollars",
                   plotted=False),
        ], notes=[f"Days in A/R = A/R balance / (gross charges of the {CHARGE_DAYS} days before / {CHARGE_DAYS})."])

    def drill_down(self, filters: Filters, period: Period, series_key: str) -> DrillList:
        end = period.ends_at
        balances: dict[int, Decimal] = defaultdict(lambda: ZERO)
        entries = _entries(filters).filter(posted_at__lt=end, claim__isnull=False)
        if series_key == "daily_charges":
            entries = entries.filter(kind=LedgerKind.CHARGE, posted_at__gte=end - timedelta(days=CHARGE_DAYS))
        for claim_id, kind, amount in entries.values_list("claim_id", "kind", "amount"):
            balances[claim_id] += LEDGER_SIGN[LedgerKind(kind)] * amount
        claims = list(Claim.objects.filter(pk__in=[key for key, value in balances.items() if value])
                      .select_related("patient", "payer").order_by("submitted_at", "pk"))
        label = "Charges" if series_key == "daily_charges" else "Balance"
        return DrillList(f"Claims with a {label.lower()} at the end of {period.label}",
                         ["Claim", "Patient", "MRN", "Payer", "Submitted", "Charge", label],
                         _claim_rows(claims, lambda claim: balances[claim.pk]), "report_days_in_ar")
