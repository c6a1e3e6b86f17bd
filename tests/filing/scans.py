"""Small synthetic scanned batches: PDFs with a text layer (and separator sheets), multi-page TIFFs."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile


def pdf_batch(*pages: str) -> bytes:
    """A PDF with one page per item; the item 'SEP' is a separator sheet."""
    from pypdf import PdfReader, PdfWriter
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    from chartdesk.filing.labels import separator_sheet_pdf

    writer = PdfWriter()
    for text in pages:
        if text == "SEP":
            writer.add_page(PdfReader(io.BytesIO(separator_sheet_pdf())).pages[0])
            continue
        buffer = io.BytesIO()
        page = canvas.Canvas(buffer, pagesize=letter)
        page.drawString(72, 720, text)
        page.showPage()
        page.save()
        writer.add_page(PdfReader(io.BytesIO(buffer.getvalue())).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def tiff_batch(pages: int) -> bytes:
    from PIL import Image

    frames = [Image.new("L", (60, 80), color=30 * (n + 1)) for n in range(pages)]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")
