"""PDFs for the file room: folder label sheets (colour-code bands and a Code 128 barcode), out-guide
slips, and barcode separator sheets for scanning.

Colour coding: each digit 0-9 has a colour; a folder shows the bands of the digits it files by
first (terminal digit: the primary pair; middle digit: the middle pair; straight numeric and
alphabetic: the first two characters), so a misfiled folder breaks the colour pattern on the shelf.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from reportlab.graphics.barcode import code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from chartdesk.filing.order import FilingSystem, filing_label, sections
from chartdesk.patients.mrn import format_mrn

# The common colour-code scheme for digits (as on commercial folder labels).
DIGIT_COLOURS = {
    "0": colors.HexColor("#ee2a24"), "1": colors.HexColor("#8e8e8e"), "2": colors.HexColor("#00a650"),
    "3": colors.HexColor("#f7941d"), "4": colors.HexColor("#0072bc"), "5": colors.HexColor("#8b5e3c"),
    "6": colors.HexColor("#ec008c"), "7": colors.HexColor("#662d91"), "8": colors.HexColor("#fff200"),
    "9": colors.HexColor("#000000"),
}
SEPARATOR_TEXT = "CHARTDESK DOCUMENT SEPARATOR"
SEPARATOR_CODE = "CDSEP"

LABEL_WIDTH = 4 * inch
LABEL_HEIGHT = 1.5 * inch
COLUMNS, ROWS = 2, 6
MARGIN_X, MARGIN_Y = 0.25 * inch, 0.5 * inch


def colour_digits(system: str, mrn: str, family_name: str = "") -> str:
    """The two characters whose colours band the folder."""
    if system in (FilingSystem.TERMINAL_DIGIT, FilingSystem.MIDDLE_DIGIT):
        tertiary, secondary, primary, _ = sections(filing_label(system, mrn))
        return primary if system == FilingSystem.TERMINAL_DIGIT else secondary
    if system == FilingSystem.ALPHABETIC:
        return (family_name[:2] or "  ").upper()
    return filing_label(system, mrn)[:2]


def _band_colour(character: str) -> Any:
    if character in DIGIT_COLOURS:
        return DIGIT_COLOURS[character]
    # Letters: 13 pairs of colours repeat over the alphabet, as alphabetic colour-code systems do.
    if character.isalpha():
        return list(DIGIT_COLOURS.values())[(ord(character.upper()) - ord("A")) % 10]
    return colors.white


def _draw_label(pdf: canvas.Canvas, x: float, y: float, label: dict[str, Any]) -> None:
    pdf.setStrokeColor(colors.lightgrey)
    pdf.rect(x, y, LABEL_WIDTH, LABEL_HEIGHT)
    band_width = 0.35 * inch
    for index, character in enumerate(label["bands"]):
        pdf.setFillColor(_band_colour(character))
        pdf.rect(x + LABEL_WIDTH - (2 - index) * band_width, y, band_width, LABEL_HEIGHT, fill=1, stroke=0)
        pdf.setFillColor(colors.white if character in "0469" else colors.black)
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawCentredString(x + LABEL_WIDTH - (2 - index) * band_width + band_width / 2, y + 0.1 * inch,
                              character)
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(x + 0.15 * inch, y + LABEL_HEIGHT - 0.32 * inch, label["filing_number"])
    pdf.setFont("Helvetica", 9)
    pdf.drawString(x + 0.15 * inch, y + LABEL_HEIGHT - 0.5 * inch, label["name"][:34])
    pdf.drawString(x + 0.15 * inch, y + LABEL_HEIGHT - 0.65 * inch,
                   f"MRN {label['mrn']}  vol. {label['volume']}")
    barcode = code128.Code128(label["barcode"], barHeight=0.4 * inch, barWidth=0.011 * inch)
    barcode.drawOn(pdf, x + 0.05 * inch, y + 0.1 * inch)
    pdf.setFont("Helvetica", 7)
    pdf.drawString(x + 0.15 * inch, y + 0.02 * inch, label["barcode"])


def label_sheet_pdf(charts: Sequence[Any]) -> bytes:
    """Folder labels for paper charts, twelve to a letter page (2 x 6), in the order given."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=True)
    pdf.setTitle("Chartdesk folder labels")
    per_page = COLUMNS * ROWS
    for index, chart in enumerate(charts):
        if index and index % per_page == 0:
            pdf.showPage()
        slot = index % per_page
        column, row = slot % COLUMNS, slot // COLUMNS
        x = MARGIN_X + column * (LABEL_WIDTH + 0.25 * inch)
        y = letter[1] - MARGIN_Y - (row + 1) * LABEL_HEIGHT
        system = chart.file_room.filing_system
        patient = chart.patient
        _draw_label(pdf, x, y, {
            "bands": colour_digits(system, patient.mrn, patient.family_name),
            "filing_number": filing_label(system, patient.mrn) if system != FilingSystem.ALPHABETIC
            else f"{patient.family_name}, {patient.given_name}"[:24],
            "name": f"{patient.family_name.upper()}, {patient.given_name}",
            "mrn": format_mrn(patient.mrn),
            "volume": chart.volume,
            "barcode": chart.barcode,
        })
    if not charts:
        pdf.drawString(MARGIN_X, letter[1] - MARGIN_Y, "No charts selected.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def out_guide_pdf(chart: Any, movement: Any) -> bytes:
    """The out-guide slip that stands in the gap on the shelf while the chart is out."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(5.5 * inch, 8.5 * inch), invariant=True)
    pdf.setTitle("Out-guide")
    top = 8.5 * inch - 0.75 * inch
    pdf.setFont("Helvetica-Bold", 28)
    pdf.drawString(0.5 * inch, top, "OUT")
    pdf.setFont("Helvetica", 12)
    lines = [
        f"Chart: {chart.patient.family_name.upper()}, {chart.patient.given_name}",
        f"MRN {format_mrn(chart.patient.mrn)}  volume {chart.volume}",
        f"Filed as: {filing_label(chart.file_room.filing_system, chart.patient.mrn)}",
        f"Borrower: {movement.borrower or '-'}",
        f"Department: {movement.department or '-'}",
        f"Purpose: {movement.purpose}",
        f"Out since: {movement.at:%Y-%m-%d %H:%M}",
        f"Due back: {movement.due_at:%Y-%m-%d}" if movement.due_at else "Due back: -",
    ]
    for index, line in enumerate(lines):
        pdf.drawString(0.5 * inch, top - (index + 1.5) * 0.35 * inch, line[:60])
    code128.Code128(chart.barcode, barHeight=0.6 * inch, barWidth=0.014 * inch).drawOn(pdf, 0.4 * inch, 1 * inch)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def separator_sheet_pdf() -> bytes:
    """A barcode separator sheet: put one before each document of a batch; the split finds them."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=True)
    pdf.setFont("Helvetica-Bold", 24)
    pdf.drawCentredString(letter[0] / 2, letter[1] - 2 * inch, SEPARATOR_TEXT)
    code128.Code128(SEPARATOR_CODE, barHeight=1.2 * inch, barWidth=0.03 * inch).drawOn(pdf, 2.5 * inch, 5 * inch)
    pdf.setFont("Helvetica", 11)
    pdf.drawCentredString(letter[0] / 2, 3 * inch, "Place before each document in the batch. Not filed.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _visit_time(visit: Any) -> str:
    return visit.at_time.strftime("%H:%M") if visit.at_time else "--:--"


def pick_list_pdf(picks: Any) -> bytes:
    """The printed pick list: the charts to pull by clinic, then appointment time, with the provider
    they go to, a clinic heading on each change (the runner delivers clinic by clinic)."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=letter)
    pdf.setTitle(f"Pick list {picks.day.isoformat()}")
    top, bottom, row = letter[1] - 0.75 * inch, 0.75 * inch, 0.22 * inch
    columns = (0.75 * inch, 1.4 * inch, 3.1 * inch, 4.7 * inch, 6.2 * inch)

    def heading() -> float:
        pdf.setFont("Helvetica-Bold", 13)
        pdf.drawString(columns[0], top, f"Pick list for {picks.day.strftime('%A, %Y-%m-%d')}")
        pdf.setFont("Helvetica-Bold", 9)
        for x, title in zip(columns, ("Time", "Provider", "Patient", "Chart", "Home"), strict=True):
            pdf.drawString(x, top - 2 * row, title)
        return top - 3 * row

    y, clinic = heading(), None
    for line in picks.to_pull_by_clinic:
        visit = line.first_visit
        if y < bottom + 2 * row:
            pdf.showPage()
            y, clinic = heading(), None
        if visit.clinic != clinic:
            clinic = visit.clinic
            pdf.setFont("Helvetica-Bold", 10)
            pdf.drawString(columns[0], y, clinic or "No clinic given")
            y -= row
        pdf.setFont("Helvetica", 9)
        home = line.chart.home_location or line.chart.file_room
        cells = (_visit_time(visit), visit.provider, line.chart.patient.display_name, line.chart.barcode, str(home))
        for x, text in zip(columns, cells, strict=True):
            pdf.drawString(x, y, text[:30])
        y -= row
    if not picks.to_pull:
        pdf.setFont("Helvetica", 10)
        pdf.drawString(columns[0], y, "Nothing to pull.")
    pdf.showPage()
    pdf.save()
    return out.getvalue()
