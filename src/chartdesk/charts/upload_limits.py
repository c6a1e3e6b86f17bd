"""The one guard against decompression bombs, run on every uploaded PDF and image before anything
decodes it (chart uploads, scanned batches, scanned authorization forms all pass `check_upload`).

A small file can expand enormously when decoded: a 1 MB PDF holding a Flate stream of 1 GB of
zeros, a PNG of 100,000 x 100,000 pixels, a TIFF of 50,000 frames, a PDF page a hundred feet wide
that separator reading would render. Every reader downstream (pypdf for page counts, splitting and
text; pypdfium2 rendering pages for zxing-cpp; Pillow for TIFF frames and release packets) decodes
one stream, page or frame at a time, so the limits are per stream and per page, plus a page count:

- pages (PDF pages, TIFF frames): settings.UPLOAD_MAX_PAGES;
- pixels of one image, frame, embedded PDF image, or PDF page rendered at RENDER_DPI:
  settings.UPLOAD_MAX_PIXELS;
- decoded bytes of one PDF stream: settings.UPLOAD_MAX_DECODED_BYTES, measured by inflating each
  Flate stream through zlib with a cap (never more than the limit is produced), before pypdf or
  pdfium reads the file.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from chartdesk.core.errors import ChartdeskError

# Separator reading renders image-only pages at this resolution (filing.barcodes uses it); a page is
# checked at the size it would be rendered.
RENDER_DPI = 100

TOO_MANY_PAGES = "The file {name} has {pages:,} pages; the most accepted is {limit:,}. Split it and upload the parts."
TOO_MANY_PIXELS = (
    "The file {name} holds {what} of {width:,} x {height:,} pixels; the most accepted is {limit:,} pixels "
    "({limit_mp:.0f} megapixels). Scan it at a lower resolution."
)
STREAM_TOO_LARGE = (
    "The PDF {name} holds a compressed stream (object at byte {offset:,}) that expands to more than {limit}: "
    "it would exhaust the server's memory. Print it to a new PDF and upload that."
)
STREAM_UNCHECKABLE = (
    "The PDF {name} holds a {filter} stream (object at byte {offset:,}) that could expand to more than {limit}; "
    "it cannot be checked without decoding it. Print it to a new PDF and upload that."
)

STREAM_START = re.compile(rb">>\s*stream(?:\r\n|\n|\r)")
FILTERS = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)")
NAME = re.compile(rb"/([A-Za-z0-9]+)")
IMAGE_SUBTYPE = re.compile(rb"/Subtype\s*/Image\b")
IMAGE_CODECS = {b"DCTDecode", b"JPXDecode", b"CCITTFaxDecode", b"JBIG2Decode"}
# The most a byte of input can become: RunLength repeats one byte 128 times; an LZW code of at least
# 9 bits can stand for up to 4,096 bytes.
EXPANSION_BOUND = {b"RunLengthDecode": 128, b"LZWDecode": 4096 * 8 // 9}
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class RawStream:
    offset: int  # where its object starts in the file, for the message
    dictionary: bytes
    data: bytes


def _limit_text(limit: int) -> str:
    return f"{limit / (1024 * 1024):,.0f} MB"


def check_pages(name: str, pages: int) -> None:
    if pages > settings.UPLOAD_MAX_PAGES:
        raise ChartdeskError(TOO_MANY_PAGES.format(name=name, pages=pages, limit=settings.UPLOAD_MAX_PAGES),
                             field="upload")


def check_pixels(name: str, what: str, width: float, height: float) -> None:
    limit = settings.UPLOAD_MAX_PIXELS
    if width * height > limit:
        raise ChartdeskError(TOO_MANY_PIXELS.format(name=name, what=what, width=int(width), height=int(height),
                                                    limit=limit, limit_mp=limit / 1_000_000), field="upload")


def raw_streams(content: bytes) -> Iterator[RawStream]:
    """Every `<< ... >> stream ... endstream` of a PDF as bytes, found by scanning, without parsing the
    file (parsing already inflates its cross-reference and object streams)."""
    for match in STREAM_START.finditer(content):
        object_start = content.rfind(b" obj", 0, match.start())
        dictionary_start = content.find(b"<<", object_start if object_start >= 0 else 0, match.start())
        dictionary = content[max(dictionary_start, 0):match.start() + 2]
        end = content.find(b"endstream", match.end())
        data = content[match.end():end if end >= 0 else len(content)]
        yield RawStream(max(object_start, 0), dictionary, data)


def _resolve_number(content: bytes, dictionary: bytes, key: bytes) -> int:
    """A number in the dictionary, following one indirect reference (`/Width 12 0 R`)."""
    reference = re.search(rb"/" + key + rb"\s+(\d+)\s+(\d+)\s+R", dictionary)
    if reference:
        target = re.search(rb"\b" + reference.group(1) + rb"\s+" + reference.group(2) + rb"\s+obj\s*(\d+)", content)
        return int(target.group(1)) if target else 0
    direct = re.search(rb"/" + key + rb"\s+(\d+)", dictionary)
    return int(direct.group(1)) if direct else 0


def _inflated_size(data: bytes, limit: int) -> int:
    """How many bytes zlib inflates `data` to, stopping once past `limit`; a damaged stream counts what
    it gave before the damage (the PDF readers report the damage themselves)."""
    inflater = zlib.decompressobj()
    size, pending = 0, data
    try:
        while pending and size <= limit:
            size += len(inflater.decompress(pending, CHUNK))
            pending = inflater.unconsumed_tail
            if inflater.eof:
                break
    except zlib.error:
        pass
    return size


def _undo_ascii(filter_name: bytes, data: bytes) -> bytes | None:
    try:
        if filter_name == b"ASCIIHexDecode":
            return binascii.unhexlify(re.sub(rb"\s", b"", data).rstrip(b">"))
        return base64.a85decode(data.strip(), adobe=data.strip().startswith(b"<~"))
    except (ValueError, binascii.Error):
        return None


def _decoded_size(name: str, stream: RawStream, limit: int) -> int:
    found = FILTERS.search(stream.dictionary)
    filters = NAME.findall(found.group(1)) if found else []
    data = stream.data
    for filter_name in filters:
        if filter_name in {b"ASCIIHexDecode", b"ASCII85Decode"}:
            undone = _undo_ascii(filter_name, data)
            if undone is None:
                return 0
            data = undone
        elif filter_name == b"FlateDecode":
            return _inflated_size(data, limit)
        elif filter_name in EXPANSION_BOUND:
            if len(data) * EXPANSION_BOUND[filter_name] > limit:
                raise ChartdeskError(STREAM_UNCHECKABLE.format(name=name, filter=filter_name.decode(),
                                                               offset=stream.offset, limit=_limit_text(limit)),
                                     field="upload")
            return len(data) * EXPANSION_BOUND[filter_name]
        else:
            return len(data)  # image codecs: their pixels are checked from /Width and /Height
    return len(data)


def check_pdf_streams(content: bytes, name: str) -> None:
    """Refuse a PDF with a stream that decodes past the limit or an embedded image of too many
    pixels, before any PDF library reads it."""
    limit = settings.UPLOAD_MAX_DECODED_BYTES
    for stream in raw_streams(content):
        if IMAGE_SUBTYPE.search(stream.dictionary):
            width = _resolve_number(content, stream.dictionary, b"Width")
            height = _resolve_number(content, stream.dictionary, b"Height")
            check_pixels(name, "an embedded image", width, height)
        if _decoded_size(name, stream, limit) > limit:
            raise ChartdeskError(STREAM_TOO_LARGE.format(name=name, offset=stream.offset, limit=_limit_text(limit)),
                                 field="upload")


def check_pdf_pages(reader: Any, name: str) -> None:
    """With the streams known to be safe, pypdf has opened the file: check the page count and the
    size every page would be rendered at."""
    pages = reader.pages
    check_pages(name, len(pages))
    for number, page in enumerate(pages, start=1):
        box = page.mediabox
        check_pixels(name, f"page {number}, rendered at {RENDER_DPI} dpi, an image",
                     float(box.width) / 72 * RENDER_DPI, float(box.height) / 72 * RENDER_DPI)


def check_image_frames(image: Any, name: str) -> int:
    """The number of frames of an opened (not yet decoded) Pillow image, once each frame's size and
    the frame count are within the limits; seeking reads a frame's header, not its pixels."""
    frames = int(getattr(image, "n_frames", 1))
    check_pages(name, frames)
    for frame in range(frames):
        image.seek(frame)
        width, height = image.size
        check_pixels(name, f"frame {frame + 1}, an image" if frames > 1 else "an image", width, height)
    image.seek(0)
    return frames

