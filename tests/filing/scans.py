"""Small synthetic scanned batches: PDFs with a text layer (and separator sheets), multi-page TIFFs."""

from __future__ import annotations

import io
from typing import Any

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


SCAN_DPI = 100


def page_images(*pages: str, damaged: tuple[int, ...] = ()) -> list[Any]:
    """Each page as a greyscale image, as a scanner without OCR gives it: 'SEP' is our own separator
    sheet rasterised; a 1-based page number in `damaged` gets a smudge across its barcode."""
    import pypdfium2
    from PIL import Image, ImageDraw

    from chartdesk.filing.labels import separator_sheet_pdf

    separator = pypdfium2.PdfDocument(separator_sheet_pdf())
    sheet = separator[0].render(scale=SCAN_DPI / 72, grayscale=True).to_pil().convert("L")
    separator.close()
    images = []
    for number, text in enumerate(pages, start=1):
        if text == "SEP":
            image = sheet.copy()
        else:
            image = Image.new("L", sheet.size, color=255)
            ImageDraw.Draw(image).text((100, 100), text, fill=0)
        if number in damaged:
            _smudge_barcode(image)
        images.append(image)
    return images


def _smudge_barcode(image: Any) -> None:
    """A 4-pixel ink line down the middle of the bars merges two of them: the symbol still scans as
    Code 128 but fails its checksum, as a pen stroke or a fold across the sheet does on paper."""
    import zxingcpp
    from PIL import ImageDraw

    [barcode] = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128)
    corners = barcode.position
    middle = (corners.top_left.x + corners.top_right.x) // 2
    ImageDraw.Draw(image).rectangle([middle, 0, middle + 4, image.size[1]], fill=0)


def image_only_pdf(*pages: str, damaged: tuple[int, ...] = ()) -> bytes:
    """A PDF of page images and no text layer, like a scanner that does no OCR."""
    images = page_images(*pages, damaged=damaged)
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=SCAN_DPI)
    return out.getvalue()


def image_tiff(*pages: str, damaged: tuple[int, ...] = ()) -> bytes:
    """A multi-page TIFF of page images, one frame per page."""
    images = page_images(*pages, damaged=damaged)
    out = io.BytesIO()
    images[0].save(out, format="TIFF", save_all=True, append_images=images[1:], compression="tiff_deflate",
                   dpi=(SCAN_DPI, SCAN_DPI))
    return out.getvalue()
