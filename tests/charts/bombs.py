"""Small files that decode into huge ones, written for the tests (nothing from outside)."""

from __future__ import annotations

import io
import zlib


def pdf_file(objects: list[bytes]) -> bytes:
    """A PDF whose objects are numbered from 1 in order, with a correct cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def one_page_pdf(*, contents: bytes = b"", media_box: bytes = b"0 0 612 792", resources: bytes = b"<< >>",
                 extra: list[bytes] | None = None) -> bytes:
    """Catalog, pages, one page whose content stream is object 4; `extra` objects follow from 5."""
    return pdf_file([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [" + media_box + b"] /Resources " + resources
        + b" /Contents 4 0 R >>",
        contents or stream(b"", b"BT ET"),
        *(extra or []),
    ])


def flate_bomb(decoded_mb: int) -> bytes:
    """A zlib stream of `decoded_mb` MB of spaces (about 1,000 to 1). After a full flush the compressor
    starts afresh, so each further megabyte compresses to the same bytes: compress one, repeat it."""
    megabyte = b" " * (1024 * 1024)
    compressor = zlib.compressobj(9)
    first = compressor.compress(megabyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(megabyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()[:-4]  # the final block, without the checksum of the two megabytes seen
    checksum = 1
    for _ in range(decoded_mb):
        checksum = zlib.adler32(megabyte, checksum)
    return first + repeat * (decoded_mb - 1) + end + checksum.to_bytes(4, "big")


def flate_bomb_pdf(decoded_mb: int) -> bytes:
    """One page whose content stream inflates to `decoded_mb` MB of spaces."""
    return one_page_pdf(contents=stream(b"/Filter /FlateDecode", flate_bomb(decoded_mb)))


def huge_image_pdf(width: int, height: int) -> bytes:
    """One page drawing an embedded JPEG that claims `width` x `height` pixels."""
    return one_page_pdf(
        contents=stream(b"", b"q 612 0 0 792 0 0 cm /Im1 Do Q"),
        resources=b"<< /XObject << /Im1 5 0 R >> >>",
        extra=[stream(b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                      b"/BitsPerComponent 8 /Filter /DCTDecode" % (width, height), b"\xff\xd8\xff\xd9")],
    )
