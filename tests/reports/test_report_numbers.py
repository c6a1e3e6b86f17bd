"""Each report's numbers on the department of conftest.py, where the answer is counted by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chartdesk.reports.framework import Filters, all_reports, periods, report_of

FEB_MAR = Filters(date(2025, 2, 1), date(2025, 3, 31), "month")
FEB, MAR = "2025-02-01", "2025-03-01"


def values(slug: str, filters: Filters = FEB_MAR) -> dict[str, list[object]]:
    report = report_of(slug)
    assert report is not None
    return {series.key: series.values for series in report.compute(filters).series}


def test_every_report_declares_the_series_it_computes(department):
    for report in all_reports():
        result = report.compute(FEB_MAR)
        assert tuple(series.key for series in result.series) == report.series_keys, report.slug


def test_periods_by_day_week_and_month_cover_the_range():
    assert [p.key for p in periods(date(2025, 3, 30), date(2025, 4, 2), "day")] == [
        "2025-03-30", "2025-03-31", "2025-04-01", "2025-04-02"]
    weeks = periods(date(2025, 3, 5), date(2025, 3, 18), "week")  # Wednesday 5 March to Tuesday 18 March
    assert [(p.start.isoformat(), p.end.isoformat()) for p in weeks] == [
        ("2025-03-03", "2025-03-10"), ("2025-03-10", "2025-03-17"), ("2025-03-17", "2025-03-24")]
    months = periods(date(2024, 12, 15), date(2025, 2, 1), "month")
    assert [p.label for p in months] == ["2024-12", "2025-01", "2025-02"]


def test_dnfb_counts_days_and_dollars_by_reason_at_each_month_end(department):
    figures = values("dnfb")
    # End of February: only E (discharged 20 Feb, charged $200, claim not sent until 15 Mar): 9 days.
    # End of March: A (29 days, not coded), B (22, query pending), C (27, not charged), D (31, $150,
    # held by the scrubber); E was billed on 15 March and F discharged in April.
    assert figures["encounters"] == [1, 4]
    assert figures["dollars"] == [Decimal("200.00"), Decimal("150.00")]
    assert figures["days"] == [9, 29 + 22 + 27 + 31]
    assert figures["not_coded"] == [0, 1]
    assert figures["query_pending"] == [0, 1]
    assert figures["not_charged"] == [0, 1]
    assert figures["scrubber_hold"] == [0, 1]
    assert figures["claim_not_sent"] == [1, 0]


def test_dnfb_breakdown_by_reason_at_the_end_of_the_range(department):
    breakdown = report_of("dnfb").compute(FEB_MAR).breakdown  # type: ignore[union-attr]
    rows = {key: values for key, _, values in breakdown.rows}
    assert rows["not_coded"] == [1, 29, 29.0, Decimal("0.00")]
    assert rows["scrubber_hold"] == [1, 31, 31.0, Decimal("150.00")]
    assert rows["claim_not_sent"] == [0, 0, None, Decimal("0.00")]


def test_dnfb_filters_by_service_and_reason(department):
    surgery = Filters(FEB_MAR.since, FEB_MAR.until, "month", {"service": "Surgery"})
    assert values("dnfb", surgery)["encounters"] == [0, 1]  # only B
    held = Filters(FEB_MAR.since, FEB_MAR.until, "month", {"reason": "scrubber_hold"})
    assert values("dnfb", held)["encounters"] == [0, 1]


def test_dnfb_drill_down_lists_the_encounters_behind_the_number(department):
    report = report_of("dnfb")
    march = FEB_MAR.period_of(MAR)
    drill = report.drill_down(FEB_MAR, march, "encounters")  # type: ignore[union-attr,arg-type]
    assert [row.cells[0] for row in drill.rows] == ["ACC-D", "ACC-A", "ACC-C", "ACC-B"]
    query = report.drill_down(FEB_MAR, march, "query_pending")  # type: ignore[union-attr,arg-type]
    assert [row.cells[0] for row in query.rows] == ["ACC-B"]


def test_delinquency_rate_is_delinquent_records_over_average_monthly_discharges(completions):
    three = Filters(date(2025, 3, 1), date(2025, 3, 31), "month", {"window": "3"})
    figures = values("delinquency", three)
    # Discharges of the completion records: January 2, February 4, March 3 = 9 over 3 months = 3 a month.
    # Delinquent at the end of March: the two January records (one completed only in April).
    assert figures["delinquent"] == [2]
    assert figures["discharges"] == [3]
    assert figures["average_discharges"] == [3.0]
    assert figures["rate"] == [pytest.approx(66.7)]
    twelve = Filters(date(2025, 3, 1), date(2025, 3, 31), "month")
    assert values("delinquency", twelve)["rate"] == [pytest.approx(round(100 * 2 / (9 / 12), 1))]


def test_roi_turnaround_counts_released_requests_and_late_ones(release_requests):
    figures = values("roi-turnaround")
    # March: R1 (10 days, on time) and R2 (32 days, due 3 March, late). Received: R2 in February; R1, R3 in March.
    assert figures["released"] == [0, 2]
    assert figures["average_days"] == [None, 21.0]
    assert figures["median_days"] == [None, 21.0]
    assert figures["late"] == [0, 1]
    assert figures["received"] == [1, 2]
    attorneys = Filters(FEB_MAR.since, FEB_MAR.until, "month", {"requester": "attorney"})
    assert values("roi-turnaround", attorneys)["average_days"] == [None, 32.0]


def test_coding_backlog_at_each_month_end(department):
    figures = values("coding-backlog")
    # End of February: nothing waits (E was coded on 22 Feb). End of March: A (no case) and B (on hold).
    assert figures["waiting"] == [0, 2]
    assert figures["oldest_days"] == [None, 29]
    assert figures["average_days"] == [None, 25.5]
    assert figures["coded"] == [1, 2]  # E in February; C and D in March


def test_coder_productivity_and_accuracy(department):
    figures = values("coder-productivity")
    # March: C took 3 hours (3 codes), D half an hour (2 codes; the reviewer changed one of them).
    assert figures["encounters"] == [1, 2]
    assert figures["codes"] == [1, 5]
    assert figures["hours"] == [0, 3.5]
    assert figures["encounters_per_hour"] == [None, round(2 / 3.5, 2)]
    assert figures["accuracy"] == [None, 50.0]
