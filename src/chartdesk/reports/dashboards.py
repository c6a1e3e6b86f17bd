"""The home page's dashboards, one per kind of work, built from the same reports as the report pages.

- The manager's department at a glance: each report's latest figure and its trend over six months,
  the plot beside its numbers, each linking to the report.
- The coder's own work: encounters assigned to them and waiting, what they coded this month, and the
  whole coding backlog.
- The biller's: DNFB now, by reason, in encounters and dollars (each linking to its list).
- The ROI specialist's: open requests by due date (overdue, due within a week, later).

Counts only: no patient is named here, so nothing here is a view of patient data to audit; the lists
behind the numbers are the drill-down pages, which are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from chartdesk.disclosures.models import OPEN_REQUEST_STATUSES, ReleaseRequest
from chartdesk.reports.framework import Filters, Report, month_start, report_of

GLANCE = ("dnfb", "coding-backlog", "delinquency", "roi-turnaround", "coder-productivity", "denial-rate",
          "days-in-ar", "case-mix", "duplicate-rate")


@dataclass(frozen=True)
class Tile:
    report: Report
    headline: str  # the first series' label
    value: str
    url: str
    plot_url: str
    plot_description: str
    rows: list[tuple[str, str]]  # (period, value) of the plotted series: the numbers beside the plot


def _recent_months() -> Filters:
    today = timezone.localdate()
    return Filters(month_start(month_start(today) - timedelta(days=150)), today, "month")


def _query(filters: Filters, **extra: str) -> str:
    return urlencode({"since": filters.since.isoformat(), "until": filters.until.isoformat(),
                      "grain": filters.grain, **filters.dimensions, **extra})


def department_glance(user: Any) -> list[Tile]:
    from chartdesk.reports.report_views import display

    filters = _recent_months()
    tiles = []
    for slug in GLANCE:
        report = report_of(slug)
        if report is None or not report.allowed(user):
            continue
        result = report.compute(filters)
        first = result.series[0]
        tiles.append(Tile(report, first.label, display(first.values[-1], first.unit),
                          f"{reverse(f'reports-{slug}')}?{_query(filters)}",
                          f"{reverse(f'reports-{slug}-plot')}?{_query(filters)}",
                          f"Line chart of {first.label} by month, {result.periods[0].label} to "
                          f"{result.periods[-1].label}. The numbers are in the table beside it.",
                          [(period.label, display(value, first.unit))
                           for period, value in zip(result.periods, first.values, strict=True)]))
    return tiles


def coder_work(user: Any) -> dict[str, Any]:
    from chartdesk.coding.workflow.models import CodingCase
    from chartdesk.reports.catalog.coding import waiting_at

    filters = _recent_months()
    mine = Filters(filters.since, filters.until, "month", {"coder": str(user.pk)})
    now = timezone.now()
    this_month = filters.periods()[-1]
    return {
        "assigned_waiting": len(waiting_at(mine, now)),
        "backlog": len(waiting_at(Filters(filters.since, filters.until), now)),
        "coded_this_month": CodingCase.objects.filter(coded_by=user, coded_at__gte=this_month.starts_at).count(),
        "mine_url": f"{reverse('reports-coding-backlog')}?{_query(mine)}",
        "backlog_url": f"{reverse('reports-coding-backlog')}?{_query(filters)}",
    }


def biller_dnfb(user: Any) -> dict[str, Any]:
    from chartdesk.reports.report_views import display

    report = report_of("dnfb")
    assert report is not None
    today = timezone.localdate()
    filters = Filters(today, today, "day")
    result = report.compute(filters)
    assert result.breakdown is not None
    drill = reverse("reports-dnfb-list")
    period = result.breakdown.period.key
    return {
        "rows": [{"label": label, "encounters": values[0], "days": values[1], "dollars": display(values[3], "dollars"),
                  "url": f"{drill}?{_query(filters, period=period, series=key)}"}
                 for key, label, values in result.breakdown.rows],
        "report_url": f"{reverse('reports-dnfb')}?{_query(_recent_months())}",
    }


def roi_due(user: Any) -> dict[str, int]:
    today = timezone.localdate()
    open_requests = ReleaseRequest.objects.filter(status__in=OPEN_REQUEST_STATUSES)
    return {
        "overdue": open_requests.filter(due_on__lt=today).count(),
        "due_this_week": open_requests.filter(due_on__gte=today, due_on__lte=today + timedelta(days=7)).count(),
        "later": open_requests.filter(due_on__gt=today + timedelta(days=7)).count(),
        "no_due_date": open_requests.filter(due_on__isnull=True).count(),
    }
