"""A report's table, or a drill-down list, as CSV (the csv module) or XLSX (openpyxl).

Both are the same rows the page shows: the header row, then one row per period (or per record).
Numbers stay numbers in the XLSX; dates are written as dates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

from django.http import HttpResponse

from chartdesk.reports.framework import DrillList, ReportResult

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_table(result: ReportResult) -> tuple[list[str], list[list[Any]]]:
    header = ["Period", *[series.label for series in result.series]]
    rows = [[period.label, *[series.values[index] for series in result.series]]
            for index, period in enumerate(result.periods)]
    return header, rows


def drill_table(drill: DrillList) -> tuple[list[str], list[list[Any]]]:
    return list(drill.columns), [list(row.cells) for row in drill.rows]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def _safe(value: str) -> str:
    # A cell starting with = + - @ is run as a formula by spreadsheet programs (CSV injection):
    # names and free text from records are quoted with a leading apostrophe.
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def as_csv(header: Sequence[str], rows: Sequence[Sequence[Any]], file_name: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(_text(value)) if isinstance(value, str) else _text(value) for value in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}.csv"'
    return response


def xlsx_bytes(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(header))
    for row in rows:
        sheet.append([_safe(value) if isinstance(value, str) else _cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_xlsx(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]], file_name: str) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(title, header, rows), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{file_name}.xlsx"'
    return response


def pdf_bytes(title: str, summary: str, filters_text: str, result: ReportResult, notes: Sequence[str]) -> bytes:
    """A printable report: title, filters, each plot, then the table of its numbers (reportlab)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from chartdesk.reports.plots import line_plot_png, plotted_by_unit
    from chartdesk.reports.report_views import display

    styles = getSampleStyleSheet()
    story: list[Any] = [Paragraph(escape(title), styles["Title"]), Paragraph(escape(summary), styles["Normal"]),
                        Paragraph(escape(filters_text), styles["Italic"]), Spacer(1, 0.15 * inch)]
    labels = [period.label for period in result.periods]
    for lines in plotted_by_unit(result).values():
        story += [Image(io.BytesIO(line_plot_png(labels, lines)), width=7.5 * inch, height=3.2 * inch),
                  Spacer(1, 0.1 * inch)]
    header = ["Period", *[series.label for series in result.series]]
    rows = [[period.label, *[display(series.values[index], series.unit) for series in result.series]]
            for index, period in enumerate(result.periods)]
    table = Table([[Paragraph(escape(cell), styles["BodyText"]) for cell in header], *rows], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef8")),
                               ("ALIGN", (1, 1), (-1, -1), "RIGHT")]))
    story += [table] + [Paragraph(escape(note), styles["Normal"]) for note in notes]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=landscape(letter), title=title, leftMargin=0.5 * inch,
                      rightMargin=0.5 * inch, topMargin=0.5 * inch, bottomMargin=0.5 * inch).build(story)
    return buffer.getvalue()


def as_pdf(pdf: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{file_name}.pdf"'
    return response
