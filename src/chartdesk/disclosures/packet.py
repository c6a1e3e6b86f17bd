"""The release packet: one PDF with a cover letter, the released documents, every page stamped, and a manifest.

Redactions remove content from the output; they never draw a box over text that stays in the file.
A text document is typeset again without the redacted phrases. A page of a stored PDF that carries a
phrase redaction is not copied: its extracted text is typeset again without the phrase (the layout is
lost, the content is gone). A withheld page is replaced by a page that says so. Images hold no text,
so only whole-page withholding applies to them.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import timezone
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen.canvas import Canvas

from chartdesk.charts.files import read_verified
from chartdesk.charts.models import Document, DocumentType
from chartdesk.disclosures.authorizations import is_right_of_access
from chartdesk.disclosures.models import AmendmentRequest, AmendmentStatus, Redaction, ReleaseRequest
from chartdesk.disclosures.restrictions import confidential_contact
from chartdesk.disclosures.selection import PART2_NOTICE, Selection

REDACTED = "[REDACTED]"
PAGE_WIDTH, PAGE_HEIGHT = LETTER
MARGIN = 54
STAMP_BAND = 30  # points kept free at the top and bottom of typeset pages for the stamps
BODY_FONT = ("Helvetica", 10)
CONFIDENTIAL_NOTICE = (
    "CONFIDENTIAL: this packet holds protected health information released under 45 CFR Part 164. "
    "If you received it in error, tell the sender and destroy it."
)


def parse_pages(spec: str) -> set[int]:
    """'2,4-5' -> {2, 4, 5}; raises ValueError naming the bad part."""
    pages: set[int] = set()
    for part in (piece.strip() for piece in spec.split(",")):
        if not part:
            continue
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            raise ValueError(f"'{part}' is not a page number or range like 4-5")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if first < 1 or last < first or last - first > 10_000:
            raise ValueError(f"'{part}' is not a valid range")
        pages.update(range(first, last + 1))
    return pages


def remove_phrases(text: str, phrases: list[str]) -> str:
    """The text with every redacted phrase replaced (whatever its case or line-wrapping whitespace)."""
    for phrase in sorted(phrases, key=len, reverse=True):
        words = [re.escape(word) for word in phrase.split()]
        if words:
            text = re.sub(r"\s+".join(words), REDACTED, text, flags=re.IGNORECASE)
    return text


def _latin(text: str) -> str:
    # The standard PDF fonts cover Latin-1; anything else is shown as '?', never dropped silently.
    return text.encode("latin-1", "replace").decode("latin-1")


class Typesetter:
    """Writes wrapped text onto Letter pages with reportlab, leaving bands for the stamps."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=LETTER, pageCompression=1)
        self.canvas.setTitle("Release packet")
        self.y = PAGE_HEIGHT - MARGIN - STAMP_BAND
        self.started = False

    def _page(self) -> None:
        if self.started:
            self.canvas.showPage()
        self.started = True
        self.y = PAGE_HEIGHT - MARGIN - STAMP_BAND

    def new_page(self) -> None:
        self._page()

    def write(self, text: str, *, font: tuple[str, int] = BODY_FONT, gap: float = 4) -> None:
        if not self.started:
            self._page()
        name, size = font
        width = PAGE_WIDTH - 2 * MARGIN
        for paragraph in _latin(text).split("\n"):
            lines = simpleSplit(paragraph, name, size, width) or [""]
            for line in lines:
                if self.y < MARGIN + STAMP_BAND:
                    self._page()
                self.canvas.setFont(name, size)
                self.canvas.drawString(MARGIN, self.y, line)
                self.y -= size * 1.35
        self.y -= gap

    def image(self, picture: Any) -> None:
        self._page()
        reader = ImageReader(picture)
        width, height = reader.getSize()
        box_w, box_h = PAGE_WIDTH - 2 * MARGIN, PAGE_HEIGHT - 2 * (MARGIN + STAMP_BAND)
        scale = min(box_w / width, box_h / height)
        self.canvas.drawImage(reader, MARGIN, MARGIN + STAMP_BAND, width * scale, height * scale)

    def finish(self) -> bytes:
        if not self.started:
            self._page()
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


@dataclass
class PacketPart:
    """One document's pages in the packet."""

    document: Document
    pdf: bytes
    redactions: int = 0
    withheld_pages: list[int] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)


@dataclass
class BuiltPacket:
    content: bytes
    page_count: int
    manifest: dict[str, Any]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _document_heading(setter: Typesetter, document: Document) -> None:
    setter.write(f"{DocumentType(document.document_type).label}: {document.title}", font=("Helvetica-Bold", 13))
    author = f" · Author: {document.author}" if document.author else ""
    setter.write(f"Service date: {document.service_date:%Y-%m-%d}{author} · Status: {document.get_status_display()}")


def _text_document(document: Document, phrases: list[str]) -> bytes:
    setter = Typesetter()
    _document_heading(setter, document)
    version = document.current_version
    setter.write(remove_phrases(version.text if version else "", phrases))
    if version is not None and version.attestation:
        setter.write(remove_phrases(version.attestation, phrases), font=("Helvetica-Oblique", 9))
    for addendum in document.addenda.all().order_by("created_at"):
        written = timezone.localtime(addendum.created_at)
        setter.write(f"Addendum of {written:%Y-%m-%d %H:%M}", font=("Helvetica-Bold", 11))
        setter.write(remove_phrases(addendum.text, phrases))
        if addendum.attestation:
            setter.write(addendum.attestation, font=("Helvetica-Oblique", 9))
    return setter.finish()


def _withheld_page(setter: Typesetter, document: Document, number: int, reason: str) -> None:
    setter.new_page()
    setter.write(f"{document.title}: page {number} withheld", font=("Helvetica-Bold", 13))
    setter.write(f"Reason: {reason}")


def _stored_pdf(document: Document, content: bytes, phrases: list[str], withheld: dict[int, str]) -> bytes:
    from pypdf import PdfReader, PdfWriter

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(content))
    # Every replaced page is typeset into one PDF (one canvas is far cheaper than one per page);
    # `replaced` maps an original page number to its pages in that PDF.
    setter = Typesetter()
    replaced: dict[int, tuple[int, int]] = {}
    for number, page in enumerate(reader.pages, start=1):
        if number in withheld:
            cleaned, heading = f"Reason: {withheld[number]}", f"{document.title}: page {number} withheld"
        elif phrases:
            text = page.extract_text() or ""
            cleaned = remove_phrases(text, phrases)
            if cleaned == text:
                continue
            heading = f"{document.title}: page {number}, typeset again without redacted content"
        else:
            continue
        setter.new_page()
        first = setter.canvas.getPageNumber()
        setter.write(heading, font=("Helvetica-Bold", 11))
        setter.write(cleaned)
        replaced[number] = (first, setter.canvas.getPageNumber())
    if not replaced:
        return content
    typeset = PdfReader(io.BytesIO(setter.finish()))
    writer = PdfWriter()
    for number, page in enumerate(reader.pages, start=1):
        if number in replaced:
            first, last = replaced[number]
            for index in range(first - 1, last):
                writer.add_page(typeset.pages[index])
        else:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _image_document(document: Document, content: bytes, withheld: dict[int, str]) -> bytes:
    from PIL import Image, ImageSequence

    setter = Typesetter()
    with Image.open(io.BytesIO(content)) as picture:
        for number, frame in enumerate(ImageSequence.Iterator(picture), start=1):
            if number in withheld:
                _withheld_page(setter, document, number, withheld[number])
                continue
            buffer = io.BytesIO()
            frame.convert("RGB" if frame.mode not in ("L", "1") else "L").save(buffer, format="PNG")
            buffer.seek(0)
            setter.image(buffer)
    return setter.finish()


def _statements_for(document: Document) -> list[str]:
    """Denied amendments with the patient's disagreement travel with the record (164.526(d)(4))."""
    statements = []
    denied = AmendmentRequest.objects.filter(document=document, status=AmendmentStatus.DENIED).order_by("decided_at")
    for amendment in denied:
        text = (f"Amendment request of {amendment.received_on:%Y-%m-%d}: {amendment.requested_change}\n"
                f"Denied ({amendment.get_denial_basis_display()}): {amendment.denial_explanation}")
        if amendment.disagreement:
            text += f"\nPatient's statement of disagreement: {amendment.disagreement}"
        if amendment.rebuttal:
            text += f"\nRebuttal: {amendment.rebuttal}"
        statements.append(text)
    return statements


def document_part(document: Document, redactions: list[Redaction], *, user: Any = None) -> PacketPart:
    phrases = [redaction.phrase for redaction in redactions if redaction.phrase.strip()]
    withheld: dict[int, str] = {}
    for redaction in redactions:
        for number in parse_pages(redaction.pages) if redaction.pages else ():
            withheld[number] = redaction.reason
    version = document.current_version
    if version is not None and version.file:
        content = read_verified(version, user=user)
        if version.content_type == "application/pdf":
            pdf = _stored_pdf(document, content, phrases, withheld)
        else:
            pdf = _image_document(document, content, withheld)
    else:
        pdf = _text_document(document, phrases)
    statements = _statements_for(document)
    if statements:
        from pypdf import PdfReader, PdfWriter

        setter = Typesetter()
        setter.write(f"Statements that travel with {document.title}", font=("Helvetica-Bold", 13))
        for statement in statements:
            setter.write(statement)
        writer = PdfWriter()
        writer.append(PdfReader(io.BytesIO(pdf)))
        writer.append(PdfReader(io.BytesIO(setter.finish())))
        merged = io.BytesIO()
        writer.write(merged)
        pdf = merged.getvalue()
    return PacketPart(document, pdf, len(redactions), sorted(withheld), statements)


def _cover_letter(request: ReleaseRequest, parts: list[PacketPart], part2: bool, today: date) -> bytes:
    setter = Typesetter()
    facility = getattr(settings, "FACILITY_NAME", "Health Information Management")
    setter.write(facility, font=("Helvetica-Bold", 14))
    setter.write(f"{today:%B %d, %Y}")
    address = request.requester_address
    if is_right_of_access(request):
        # A patient who asked for confidential communications (164.522(b)) is written to there.
        address = confidential_contact(request.patient) or address
    setter.write(f"To: {request.requester_name}\n{address}".strip())
    patient = request.patient
    # An incomplete legacy record may have no date of birth: the letter says so rather than guess.
    born = f"born {patient.birth_date:%Y-%m-%d}" if patient.birth_date else "date of birth not on file"
    setter.write(f"Re: {patient.given_name} {patient.family_name}, MRN {patient.mrn}, {born}",
                 font=("Helvetica-Bold", 11))
    detail = f" ({request.purpose_detail})" if request.purpose_detail else ""
    setter.write(f"Request {request.number} received {request.received_on:%Y-%m-%d}, purpose: "
                 f"{request.get_purpose_display()}{detail}")
    setter.write(f"Enclosed are copies of {len(parts)} document(s) from the health record, listed in the manifest "
                 "at the end of this packet.")
    if part2:
        setter.write("Notice to accompany disclosure (42 CFR 2.32)", font=("Helvetica-Bold", 11))
        setter.write(PART2_NOTICE)
    setter.write(CONFIDENTIAL_NOTICE, font=("Helvetica-Oblique", 9))
    return setter.finish()


def _manifest_pages(manifest: dict[str, Any]) -> bytes:
    setter = Typesetter()
    setter.write(f"Manifest of request {manifest['request']}", font=("Helvetica-Bold", 13))
    for entry in manifest["documents"]:
        first, last = entry["pages"]
        setter.write(f"Pages {first}-{last}: {entry['type']}: {entry['title']} ({entry['service_date']})"
                     + (f"; {entry['redactions']} redaction(s)" if entry["redactions"] else ""))
    # What was left out, and why, stays in the stored manifest and on the worksheet: printed here it
    # would tell the recipient that Part 2, psychotherapy, HIV, genetic, minor-consented or self-paid
    # records exist (42 CFR 2.13, 164.522), and list records they never asked for.
    return setter.finish()


def _stamps(request: ReleaseRequest, sizes: list[tuple[float, float]]) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pageCompression=1)
    patient = request.patient
    header = _latin(f"CONFIDENTIAL · {patient.family_name}, {patient.given_name} · MRN {patient.mrn} · "
                    f"Request {request.number}")
    total = len(sizes)
    for number, (width, height) in enumerate(sizes, start=1):
        canvas.setPageSize((width, height))
        canvas.setFont("Helvetica-Bold", 8)
        canvas.drawString(18, height - 18, header)
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(width - 18, 12, f"Page {number} of {total}")
        canvas.drawString(18, 12, "CONFIDENTIAL")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def build_packet(request: ReleaseRequest, selection: Selection, *, user: Any = None,
                 today: date | None = None) -> BuiltPacket:
    """Typeset, merge and stamp the packet of `request` from its selection."""
    from pypdf import PdfReader, PdfWriter

    today = today or timezone.localdate()
    redactions_by_document: dict[int, list[Redaction]] = {}
    for redaction in Redaction.objects.filter(request=request):
        redactions_by_document.setdefault(redaction.document_id, []).append(redaction)
    parts = [document_part(document, redactions_by_document.get(document.pk, []), user=user)
             for document in selection.included]
    part2 = selection.part2_notice_required
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(_cover_letter(request, parts, part2, today))))
    documents = []
    for part in parts:
        first = len(writer.pages) + 1
        writer.append(PdfReader(io.BytesIO(part.pdf)))
        document = part.document
        documents.append({
            "document_id": document.pk,
            "title": document.title,
            "type": DocumentType(document.document_type).label,
            "service_date": f"{document.service_date:%Y-%m-%d}",
            "version": document.current_version.number if document.current_version else None,
            "pages": [first, len(writer.pages)],
            "redactions": part.redactions,
            "withheld_pages": part.withheld_pages,
            "statements": len(part.statements),
        })
    manifest: dict[str, Any] = {
        "request": request.number,
        "patient_mrn": request.patient.mrn,
        "generated_on": f"{today:%Y-%m-%d}",
        "recipient": request.requester_name,
        "part2_notice": part2,
        "documents": documents,
        "excluded": [
            {"document_id": decision.document.pk, "title": decision.document.title, "reasons": decision.reasons}
            for decision in selection.decisions if not decision.included
        ],
    }
    writer.append(PdfReader(io.BytesIO(_manifest_pages(manifest))))
    sizes = [(float(page.mediabox.width), float(page.mediabox.height)) for page in writer.pages]
    stamps = PdfReader(io.BytesIO(_stamps(request, sizes)))
    for page, stamp in zip(writer.pages, stamps.pages, strict=True):
        page.merge_page(stamp)
    out = io.BytesIO()
    writer.write(out)
    manifest["page_count"] = len(sizes)
    return BuiltPacket(out.getvalue(), len(sizes), manifest)
