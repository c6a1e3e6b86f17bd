"""The report pages: the list of reports, each report (filters, trend plot, table, exports) and the
drill-down list behind every number (and its exports, audited like the list itself).

One URL per report (`reports/<slug>/`), each declaring the report's own permissions, so the URL walk
sees every report's permission and a coder cannot open the delinquency report by changing the slug.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from chartdesk.core.permissions import requires_any
from chartdesk.core.templatetags.desk import desk_date, money
from chartdesk.patients.access import record_list_view, rows_open_to
from chartdesk.reports import exports
from chartdesk.reports.framework import (
    FILTER_LABELS,
    GRAINS,
    MAX_PERIODS,
    Filters,
    Report,
    ReportResult,
    all_reports,
    month_start,
    periods,
)
from chartdesk.reports.plots import plots_of

FORMATS = ("csv", "xlsx")


class ReportFilterForm(forms.Form):
    since = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    grain = forms.ChoiceField(label="By")

    def __init__(self, report: Report, data: Any) -> None:
        super().__init__(data)
        self.report = report
        self.fields["grain"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in GRAINS if value in report.grains]
        for name in report.filters:
            self.fields[name] = forms.ChoiceField(label=FILTER_LABELS[name], required=False,
                                                  choices=[("", "All")] + report.choices(name))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until, grain = cleaned.get("since"), cleaned.get("until"), cleaned.get("grain")
        if since and until:
            if since > until:
                self.add_error("until", "The end of the range must not be before its start.")
            elif grain and len(periods(since, until, grain)) > MAX_PERIODS:
                self.add_error("grain", f"That range has more than {MAX_PERIODS} periods by {grain}: "
                                        "choose a longer period or a shorter range.")
        return cleaned

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(data["since"], data["until"], data["grain"],
                       {name: data[name] for name in self.report.filters if data.get(name)})


def default_query(report: Report) -> dict[str, str]:
    today = timezone.localdate()
    since = month_start(month_start(today) - timedelta(days=150))  # this month and the five before it
    grain = report.default_grain if report.default_grain in report.grains else report.grains[0]
    return {"since": since.isoformat(), "until": today.isoformat(), "grain": grain}


def _bound_form(request: HttpRequest, report: Report) -> ReportFilterForm:
    data = request.GET.copy()
    for name, value in default_query(report).items():
        data.setdefault(name, value)
    return ReportFilterForm(report, data)


def _filter_query(filters: Filters) -> dict[str, str]:
    return {"since": filters.since.isoformat(), "until": filters.until.isoformat(), "grain": filters.grain,
            **filters.dimensions}


def display(value: Any, unit: str = "") -> str:
    if value is None or value == "":
        return "—"
    if unit == "dollars" or isinstance(value, Decimal):
        return money(value)
    if isinstance(value, date):
        return desk_date(value)
    return str(value)


def _table(report: Report, filters: Filters, result: ReportResult) -> list[dict[str, Any]]:
    drill = reverse(f"reports-{report.slug}-list")
    query = _filter_query(filters)
    rows = []
    for index, period in enumerate(result.periods):
        cells = [{"text": display(series.values[index], series.unit),
                  "url": f"{drill}?{urlencode({**query, 'period': period.key, 'series': series.key})}"}
                 for series in result.series]
        rows.append({"label": period.label, "cells": cells})
    return rows


def _breakdown(report: Report, filters: Filters, result: ReportResult) -> dict[str, Any] | None:
    if result.breakdown is None:
        return None
    drill = reverse(f"reports-{report.slug}-list")
    query = {**_filter_query(filters), "period": result.breakdown.period.key}
    return {
        "title": result.breakdown.title,
        "columns": result.breakdown.columns,
        "rows": [{"label": label, "url": f"{drill}?{urlencode({**query, 'series': key})}",
                  "cells": [display(value, "dollars" if column == "Dollars" else "")
                            for column, value in zip(result.breakdown.columns, values, strict=True)]}
                 for key, label, values in result.breakdown.rows],
    }


def filters_text(report: Report, filters: Filters) -> str:
    """The filters in words, for the printed report."""
    chosen = [f"{FILTER_LABELS[name]}: {dict(report.choices(name)).get(value, value)}"
              for name, value in filters.dimensions.items()]
    return "; ".join([f"{desk_date(filters.since)} to {desk_date(filters.until)} by {filters.grain}", *chosen])


def _export_links(request: HttpRequest, *, with_pdf: bool = False) -> list[tuple[str, str]]:
    query = request.GET.copy()
    links = []
    for kind in (*FORMATS, "pdf") if with_pdf else FORMATS:
        query["format"] = kind
        links.append((kind.upper(), f"{request.path}?{query.urlencode()}"))
    return links


def report_view(report: Report) -> Callable[[HttpRequest], HttpResponse]:
    @requires_any(*report.permissions)
    def view(request: HttpRequest) -> HttpResponse:
        form = _bound_form(request, report)
        context: dict[str, Any] = {"report": report, "form": form}
        if not form.is_valid():
            return render(request, "reports/report.html", context, status=400)
        filters = form.filters()
        result = report.compute(filters)
        kind = request.GET.get("format", "")
        name = f"{report.slug}-{filters.since.isoformat()}-{filters.until.isoformat()}"
        if kind == "pdf":
            return exports.as_pdf(exports.pdf_bytes(report.title, report.summary, filters_text(report, filters),
                                                    result, result.notes), name)
        if kind in FORMATS:
            header, rows = exports.report_table(result)
            return (exports.as_csv(header, rows, name) if kind == "csv"
                    else exports.as_xlsx(report.title, header, rows, name))
        context.update(result=result, plots=plots_of(report.title, result),
                       table=_table(report, filters, result), breakdown=_breakdown(report, filters, result),
                       exports=_export_links(request, with_pdf=True))
        return render(request, "reports/report.html", context)

    view.__name__ = f"report_{report.slug.replace('-', '_')}"
    return view


def drill_down_view(report: Report) -> Callable[[HttpRequest], HttpResponse]:
    @requires_any(*report.permissions)
    def view(request: HttpRequest) -> HttpResponse:
        form = _bound_form(request, report)
        if not form.is_valid():
            return render(request, "reports/report.html", {"report": report, "form": form}, status=400)
        filters = form.filters()
        period = filters.period_of(request.GET.get("period", ""))
        series_key = request.GET.get("series", "")
        if period is None or series_key not in report.series_keys:
            raise Http404("No such point in this report.")
        drill = report.drill_down(filters, period, series_key)
        shown = rows_open_to(request.user, drill.rows)
        kind = request.GET.get("format", "")
        record_list_view(request.user, drill.audit_name, shown, report=report.slug, period=period.key,
                         series=series_key, filters=filters.dimensions, export=kind if kind in FORMATS else "")
        if kind in FORMATS:
            header, rows = exports.drill_table(drill)
            rows = [list(row.cells) for row in shown]
            name = f"{report.slug}-{series_key}-{period.key}"
            return (exports.as_csv(header, rows, name) if kind == "csv"
                    else exports.as_xlsx(report.title, header, rows, name))
        back = f"{reverse(f'reports-{report.slug}')}?{urlencode(_filter_query(filters))}"
        return render(request, "reports/drill_down.html", {
            "report": report, "drill": drill, "back": back, "hidden": len(drill.rows) - len(shown),
            "rows": [{"url": row.url, "cells": [display(cell) for cell in row.cells]} for row in shown],
            "exports": _export_links(request),
        })

    view.__name__ = f"report_{report.slug.replace('-', '_')}_list"
    return view


def plot_view(report: Report) -> Callable[[HttpRequest], HttpResponse]:
    """The report's first plot as an SVG document, for pages that show several reports (the manager's
    home): the page comes back at once and the browser fetches the plots beside their tables."""

    @requires_any(*report.permissions)
    def view(request: HttpRequest) -> HttpResponse:
        form = _bound_form(request, report)
        if not form.is_valid():
            raise Http404("No such plot.")
        plot = plots_of(report.title, report.compute(form.filters()))[0]
        response = HttpResponse(plot.svg, content_type="image/svg+xml")
        response["Cache-Control"] = "private, max-age=300"
        # The SVG is its own document, shown only as an image (no script runs in one): its shapes are
        # styled by matplotlib's `style` attributes, which the desk's policy would refuse, and it
        # loads nothing. This policy (set before the middleware's default) allows exactly that.
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return response

    view.__name__ = f"report_{report.slug.replace('-', '_')}_plot"
    return view


def _any_report_permission() -> tuple[str, ...]:
    return tuple(sorted({permission for report in all_reports() for permission in report.permissions}))


@requires_any(*_any_report_permission())
def reports_index(request: HttpRequest) -> HttpResponse:
    """The reports this user's permissions open."""
    reports = [report for report in all_reports() if report.allowed(request.user)]
    return render(request, "reports/index.html", {"reports": reports})
