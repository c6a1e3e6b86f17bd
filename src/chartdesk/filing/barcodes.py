"""Finding separator sheets in a scanned batch, by the text layer or by the barcode in the page image.

A PDF page whose text layer carries the separator's words or code is a separator (production
scanners add the text layer by OCR; that is the cheap path). A PDF page without a text layer is
rendered (pypdfium2) and its barcodes are decoded (zxing-cpp); so is every frame of a TIFF batch
(Pillow). A page on which the decoder finds a Code 128 symbol that fails its checksum is a damaged
or smudged barcode: it is not taken for a separator (a guess could split a document in two, or
swallow its first page), it stays a content page, and the batch reports it so the clerk checks
the split by hand.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from chartdesk.charts import files, upload_limits
from chartdesk.filing.labels import SEPARATOR_CODE, SEPARATOR_TEXT

# Separator sheets are printed with large bars (labels.separator_sheet_pdf), so 100 dpi is plenty
# and keeps rendering an image-only page at a few milliseconds.
RENDER_DPI = upload_limits.RENDER_DPI  # the resolution upload checks size pages for


@dataclass
class SeparatorScan:
    """What the split found: the separator sheets, and pages whose barcode could not be read."""

    separators: list[int] = field(default_factory=list)
    unreadable: list[int] = field(default_factory=list)

    def read_image(self, number: int, image: Any) -> None:
        """Decode page `number` from its image and note it as a separator, unreadable, or neither."""
        separator, damaged = _decode(image)
        if separator:
            self.separators.append(number)
        elif damaged:
            self.unreadable.append(number)


def _decode(image: Any) -> tuple[bool, bool]:
    """(a separator barcode was read, a barcode was seen but could not be read) for one page image."""
    import zxingcpp

    grey = image if image.mode == "L" else image.convert("L")
    found = zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.Code128),
                                   return_errors=True)
    separator = any(barcode.valid and barcode.text.strip().upper() == SEPARATOR_CODE for barcode in found)
    damaged = any(not barcode.valid for barcode in found)
    return separator, damaged and not separator


def _is_separator_text(text: str) -> bool:
    upper = text.upper()
    return SEPARATOR_TEXT in upper or SEPARATOR_CODE in upper


def _pdf_pages(content: bytes) -> Iterator[tuple[str, Any]]:
    """Each page's text layer, and a callable that renders the page (only called when needed)."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(content)
    except pypdfium2.PdfiumError:  # pypdf opened it (check_upload); without pdfium the clerk splits by hand
        return
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                text_page = page.get_textpage()
                try:
                    text = text_page.get_text_bounded() or ""
                finally:
                    text_page.close()
            except pypdfium2.PdfiumError:  # a page whose text layer cannot be read has none
                text = ""
            yield text, page
            page.close()
    finally:
        document.close()


def _scan_pdf(content: bytes, found: SeparatorScan) -> None:
    for number, (text, page) in enumerate(_pdf_pages(content), start=1):
        if text.strip():
            if _is_separator_text(text):
                found.separators.append(number)
            continue
        found.read_image(number, page.render(scale=RENDER_DPI / 72, grayscale=True).to_pil())


def _scan_tiff(content: bytes, found: SeparatorScan) -> None:
    from PIL import Image, ImageSequence

    with Image.open(io.BytesIO(content)) as image:
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            found.read_image(number, frame)


def find_separators(content: bytes, content_type: str) -> SeparatorScan:
    """The separator sheets (1-based page numbers) of a PDF or TIFF batch, and the pages with a barcode
    that could not be read (treated as content pages)."""
    found = SeparatorScan()
    if content_type == files.PDF.content_type:
        _scan_pdf(content, found)
    elif content_type == files.TIFF.content_type:
        _scan_tiff(content, found)
    return found
