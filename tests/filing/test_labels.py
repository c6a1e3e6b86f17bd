"""Folder label sheets (colour bands, barcode), out-guides and separator sheets are real PDFs."""

from __future__ import annotations

import io
from datetime import timedelta

from django.utils import timezone
from pypdf import PdfReader

from chartdesk.filing import labels
from chartdesk.filing.actions import do_check_out_chart, do_create_paper_chart
from chartdesk.filing.order import FilingSystem
from chartdesk.patients.mrn import mrn_for_serial
from tests.support import factories


def text_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_colour_bands_follow_the_digits_the_system_files_by():
    mrn = mrn_for_serial(123456)  # files as 0-12-34-56
    assert labels.colour_digits(FilingSystem.TERMINAL_DIGIT, mrn) == "56"
    assert labels.colour_digits(FilingSystem.MIDDLE_DIGIT, mrn) == "34"
    assert labels.colour_digits(FilingSystem.ALPHABETIC, mrn, "Garcia") == "GA"


def test_a_label_sheet_holds_twelve_labels_a_page_with_filing_number_and_barcode_text(file_room, users):
    clerk = users["registrar"]
    charts = [do_create_paper_chart(factories.make_patient(f"Pat{n}", "Label"), file_room=file_room,
                                    acting_user=clerk) for n in range(13)]
    pages = text_of(labels.label_sheet_pdf(charts))
    assert len(pages) == 2
    first = charts[0]
    assert labels.filing_label(FilingSystem.TERMINAL_DIGIT, first.patient.mrn) in pages[0]
    assert first.barcode in pages[0]
    assert charts[12].barcode in pages[1]


def test_the_out_guide_names_the_borrower_and_due_date(chart, users):
    loan = do_check_out_chart(chart, borrower="Dr. Ada Lovelace", department="Cardiology", purpose="Clinic visit",
                              due_at=timezone.now() + timedelta(days=2), acting_user=users["registrar"])
    [page] = text_of(labels.out_guide_pdf(chart, loan))
    assert "OUT" in page and "Dr. Ada Lovelace" in page and f"Due back: {loan.due_at:%Y-%m-%d}" in page


def test_the_separator_sheet_is_recognised_by_the_splitter():
    from chartdesk.filing.scanning import separator_pages

    assert separator_pages(labels.separator_sheet_pdf(), "application/pdf") == [1]
