"""Scanning and indexing: a batch comes off the scanner, is split into documents, each is indexed to a
patient, encounter and document type, a second person checks it, and approved pages become a
document in the chart through charts' own do_upload_document (with its SHA-256).

Splitting: a batch is split automatically at barcode separator sheets (labels.separator_sheet_pdf
prints them), found by the PDF text layer or, on image-only pages and TIFF frames, by decoding the
barcode in the page image (barcodes.py). A page whose barcode cannot be read stays a content page
and the batch lists it. Without separators the clerk splits by hand by giving the first page of
each document. Separator pages themselves are never filed.

A misfiled document is corrected by marking the chart document "entered in error" (charts'
do_retract_document, with the reason) and filing the same pages on the right patient.
"""

from __future__ import annotations

import io
import logging
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts import files
from chartdesk.charts.actions import do_retract_document, do_upload_document
from chartdesk.charts.models import DocumentType, Encounter, EncounterStatus
from chartdesk.core.errors import ChartdeskError, NotFound, PermissionRefused
from chartdesk.core.permissions import require_permission
from chartdesk.filing.barcodes import find_separators
from chartdesk.filing.models import BatchStatus, ScanBatch, ScannedDocument, ScanStatus
from chartdesk.patients.access import restriction_allows
from chartdesk.patients.models import Patient, PatientStatus

SCAN = "filing.scan_documents"
REVIEW = "filing.review_scans"

NOT_A_SCAN = "The file {name} is {kind}; a scanned batch is a multi-page PDF or TIFF."
WRONG_PAGE_COUNT = "The file {name} holds {found} pages but {expected} were fed into the scanner: rescan the batch."
ONLY_SEPARATORS = "The batch {name} holds only separator sheets."
ALREADY_SPLIT = "This batch is already split into documents."
SPLIT_EMPTY = "Give the first page of each document, e.g. 1, 4, 9."
SPLIT_NOT_NUMBER = "'{value}' is not a page number."
SPLIT_MUST_START_AT_1 = "The first document must start on page 1."
SPLIT_OUT_OF_RANGE = "Page {page} is past the last page ({last})."
SPLIT_NOT_INCREASING = "The pages must increase: {page} does not come after {previous}."
NOT_INDEXABLE = "These pages are {status}; only pages not yet indexed or rejected can be indexed."
NOT_AWAITING_QA = "These pages are {status}, not awaiting a quality check."
SAME_PERSON = "The quality check needs a second person: you indexed these pages."
TYPE_UNKNOWN = "Choose the document type from the list."
TITLE_REQUIRED = "Give the document a title."
SERVICE_DATE_REQUIRED = "Give the service date."
SERVICE_DATE_IN_FUTURE = "The service date {when} is after today."
ENCOUNTER_OTHER_PATIENT = "The encounter {number} belongs to another patient."
ENCOUNTER_RETRACTED = "The encounter {number} was entered in error."
PATIENT_MERGED = "This patient was merged into MRN {mrn}; index to the surviving chart."
REASON_REQUIRED = "Give the reason."
NOT_FILED = "Only pages already filed in a chart can be refiled."
SAME_PATIENT = "These pages are already filed on this patient; choose the correct patient."

log = logging.getLogger(__name__)


def _reason(text: str | None) -> str:
    reason = (text or "").strip()
    if not reason:
        raise ChartdeskError(REASON_REQUIRED, field="reason")
    return reason[:300]


# ----------------------------------------------------------------------------- pages


def separator_pages(content: bytes, content_type: str) -> list[int]:
    """1-based numbers of the separator sheets of a PDF or TIFF batch (text layer or barcode image)."""
    return find_separators(content, content_type).separators


def runs_between_separators(page_count: int, separators: list[int]) -> list[tuple[int, int]]:
    """The (first, last) page runs that separator sheets delimit, separators left out."""
    runs, start = [], 1
    for page in [*separators, page_count + 1]:
        if page > start:
            runs.append((start, page - 1))
        start = page + 1
    return runs


def extract_pages(content: bytes, content_type: str, first: int, last: int) -> tuple[bytes, str]:
    """Pages first..last (1-based, inclusive) of a batch as a file of their own, and its extension."""
    if content_type == files.PDF.content_type:
        from pypdf import PdfReader, PdfWriter

        reader = PdfReader(io.BytesIO(content), strict=False)
        writer = PdfWriter()
        for index in range(first - 1, last):
            writer.add_page(reader.pages[index])
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue(), "pdf"
    from PIL import Image

    with Image.open(io.BytesIO(content)) as image:
        frames = []
        for index in range(first - 1, last):
            image.seek(index)
            frames.append(image.copy())
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    return out.getvalue(), "tif"


# A thumbnail is only for telling pages apart while splitting and indexing: small enough that a
# page of a 100-page batch loads quickly, large enough to make out a form's layout and headings.
THUMBNAIL_WIDTH = 160


def page_thumbnail(content: bytes, content_type: str, page: int) -> bytes:
    """A PNG of page `page` (1-based) of a batch, THUMBNAIL_WIDTH pixels wide; rendered each time
    (nothing cached outside the stored batch). Refuses a page the batch does not have."""
    from PIL import Image

    if content_type == files.PDF.content_type:
        import pypdfium2

        document = pypdfium2.PdfDocument(content)
        try:
            if not 1 <= page <= len(document):
                raise ChartdeskError(f"The batch has no page {page}.", field="page")
            pdf_page = document[page - 1]
            try:
                width = pdf_page.get_width() or 1
                image = pdf_page.render(scale=THUMBNAIL_WIDTH / width, grayscale=True).to_pil()
            finally:
                pdf_page.close()
        finally:
            document.close()
    else:
        with Image.open(io.BytesIO(content)) as frames:
            if not 1 <= page <= getattr(frames, "n_frames", 1):
                raise ChartdeskError(f"The batch has no page {page}.", field="page")
            frames.seek(page - 1)
            image = frames.convert("L")
        image.thumbnail((THUMBNAIL_WIDTH, THUMBNAIL_WIDTH * 2))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def read_batch(batch: ScanBatch) -> bytes:
    """The stored bytes of a batch, checked against its SHA-256."""
    import hashlib
    import hmac

    from django.core.files.storage import default_storage

    with default_storage.open(batch.file.name, "rb") as stored:
        content = stored.read()
    if not hmac.compare_digest(hashlib.sha256(content).hexdigest(), batch.sha256):
        raise ChartdeskError(f"The stored batch {batch.file_name} does not match its checksum; rescan it.")
    return content


# ----------------------------------------------------------------------------- batches


def do_upload_scan_batch(upload: Any, *, acting_user: Any, expected_pages: int | None = None, note: str = "",
                         name: str | None = None) -> ScanBatch:
    """Store a scanned batch (checked by content: a PDF or TIFF that opens, with the expected page count)
    and split it at separator sheets when it has them."""
    require_permission(acting_user, SCAN, "upload scanned batches")
    checked = files.check_upload(upload, name=name)
    if checked.kind not in (files.PDF, files.TIFF):
        raise ChartdeskError(NOT_A_SCAN.format(name=checked.name, kind=checked.kind.label), field="upload")
    if expected_pages is not None and expected_pages != checked.page_count:
        raise ChartdeskError(WRONG_PAGE_COUNT.format(name=checked.name, found=checked.page_count,
                                                     expected=expected_pages), field="upload")
    found = find_separators(checked.content, checked.content_type)
    separators = found.separators
    runs = runs_between_separators(checked.page_count, separators) if separators else []
    if separators and not runs:
        raise ChartdeskError(ONLY_SEPARATORS.format(name=checked.name), field="upload")
    with transaction.atomic():
        batch = ScanBatch.objects.create(
            file=files.store_file(checked), file_name=checked.name, content_type=checked.content_type,
            sha256=checked.sha256, page_count=checked.page_count, note=(note or "").strip()[:200],
            uploaded_by=acting_user, status=BatchStatus.INDEXING if runs else BatchStatus.SPLITTING,
            unreadable_barcode_pages=found.unreadable,
        )
        ScannedDocument.objects.bulk_create([ScannedDocument(batch=batch, first_page=first, last_page=last)
                                             for first, last in runs])
        record_event(AuditAction.CREATE, user=acting_user, object_type="scan_batch", object_id=batch.pk,
                     detail={"file_name": checked.name, "sha256": checked.sha256, "pages": checked.page_count,
                             "separators": separators, "documents": len(runs),
                             "unreadable_barcode_pages": found.unreadable})
    return batch


def parse_split(text: str, page_count: int) -> list[int]:
    """'1, 4, 9' -> [1, 4, 9], checked: starts at 1, increasing, within the batch."""
    parts = [part.strip() for part in (text or "").replace(";", ",").replace(" ", ",").split(",") if part.strip()]
    if not parts:
        raise ChartdeskError(SPLIT_EMPTY, field="starts")
    starts: list[int] = []
    for part in parts:
        if not part.isdecimal():
            raise ChartdeskError(SPLIT_NOT_NUMBER.format(value=part[:20]), field="starts")
        page = int(part)
        if page > page_count:
            raise ChartdeskError(SPLIT_OUT_OF_RANGE.format(page=page, last=page_count), field="starts")
        if starts and page <= starts[-1]:
            raise ChartdeskError(SPLIT_NOT_INCREASING.format(page=page, previous=starts[-1]), field="starts")
        starts.append(page)
    if starts[0] != 1:
        raise ChartdeskError(SPLIT_MUST_START_AT_1, field="starts")
    return starts


def do_split_batch(batch: ScanBatch, *, starts: str | list[int], acting_user: Any) -> list[ScannedDocument]:
    """Split a batch by hand: each number is the first page of a document."""
    require_permission(acting_user, SCAN, "split scanned batches")
    with transaction.atomic():
        locked = ScanBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != BatchStatus.SPLITTING:
            raise ChartdeskError(ALREADY_SPLIT)
        pages = parse_split(starts if isinstance(starts, str) else ",".join(str(s) for s in starts),
                            locked.page_count)
        ends = [start - 1 for start in pages[1:]] + [locked.page_count]
        documents = ScannedDocument.objects.bulk_create(
            [ScannedDocument(batch=locked, first_page=first, last_page=last) for first, last in zip(pages, ends,
                                                                                                   strict=True)]
        )
        locked.status = BatchStatus.INDEXING
        locked.save(update_fields=["status"])
        record_event(AuditAction.UPDATE, user=acting_user, object_type="scan_batch", object_id=locked.pk,
                     detail={"change": "split by hand", "starts": pages})
    return documents


# ----------------------------------------------------------------------------- indexing and QA


def _checked_index(patient: Patient, encounter: Encounter | None, document_type: str, title: str,
                   service_date: Any, user: Any) -> tuple[str, date]:
    if not restriction_allows(user, patient):
        raise NotFound("patient")
    if patient.status == PatientStatus.MERGED:
        survivor = patient.merged_into
        raise ChartdeskError(PATIENT_MERGED.format(mrn=survivor.mrn if survivor else "unknown"), field="mrn")
    if document_type not in DocumentType.values:
        raise ChartdeskError(TYPE_UNKNOWN, field="document_type")
    title = (title or "").strip()[:200]
    if not title:
        raise ChartdeskError(TITLE_REQUIRED, field="title")
    if not isinstance(service_date, date):
        raise ChartdeskError(SERVICE_DATE_REQUIRED, field="service_date")
    if service_date > timezone.localdate():
        raise ChartdeskError(SERVICE_DATE_IN_FUTURE.format(when=service_date.isoformat()), field="service_date")
    if encounter is not None:
        if encounter.patient_id != patient.pk:
            raise ChartdeskError(ENCOUNTER_OTHER_PATIENT.format(number=encounter.account_number),
                                 field="account_number")
        if encounter.status == EncounterStatus.ENTERED_IN_ERROR:
            raise ChartdeskError(ENCOUNTER_RETRACTED.format(number=encounter.account_number),
                                 field="account_number")
    return title, service_date


def do_index_scanned_document(scanned: ScannedDocument, *, patient: Patient, document_type: str, title: str,
                              service_date: date, acting_user: Any, encounter: Encounter | None = None
                              ) -> ScannedDocument:
    """Index a run of pages to a patient, encounter and document type; it then waits for a second person."""
    require_permission(acting_user, SCAN, "index scanned documents")
    title, service_date = _checked_index(patient, encounter, document_type, title, service_date, acting_user)
    with transaction.atomic():
        locked = ScannedDocument.objects.select_for_update().get(pk=scanned.pk)
        if locked.status not in (ScanStatus.UNINDEXED, ScanStatus.REJECTED):
            raise ChartdeskError(NOT_INDEXABLE.format(status=locked.get_status_display().lower()))
        locked.patient, locked.encounter = patient, encounter
        locked.document_type, locked.title, locked.service_date = document_type, title, service_date
        locked.status = ScanStatus.AWAITING_QA
        locked.indexed_at, locked.indexed_by = timezone.now(), acting_user
        locked.rejection_reason = ""
        locked.save()
        record_event(AuditAction.UPDATE, user=acting_user, patient=patient, object_type="scanned_document",
                     object_id=locked.pk, detail={"change": "indexed", "document_type": document_type,
                                                  "encounter_id": encounter.pk if encounter else None,
                                                  "pages": [locked.first_page, locked.last_page]})
    return locked


def _locked_for_qa(scanned: ScannedDocument, user: Any) -> ScannedDocument:
    locked = (ScannedDocument.objects.select_for_update(of=("self",))
              .select_related("batch", "patient", "encounter").get(pk=scanned.pk))
    if locked.status != ScanStatus.AWAITING_QA:
        raise ChartdeskError(NOT_AWAITING_QA.format(status=locked.get_status_display().lower()))
    if locked.indexed_by_id == user.pk:
        raise PermissionRefused(SAME_PERSON)
    assert locked.patient is not None
    if not restriction_allows(user, locked.patient):
        raise NotFound("scanned document")
    return locked


def _finish_batch_if_done(batch: ScanBatch) -> None:
    open_pages = batch.documents.exclude(status__in=(ScanStatus.APPROVED, ScanStatus.REFILED)).exists()
    if not open_pages and batch.status != BatchStatus.DONE:
        batch.status = BatchStatus.DONE
        batch.save(update_fields=["status"])


def _file_pages(scanned: ScannedDocument, patient: Patient, encounter: Encounter | None, user: Any) -> Any:
    content, extension = extract_pages(read_batch(scanned.batch), scanned.batch.content_type,
                                       scanned.first_page, scanned.last_page)
    upload = io.BytesIO(content)
    assert scanned.service_date is not None  # indexing sets it before anything is filed
    upload.name = f"scan-{scanned.batch_id}-p{scanned.first_page}-{scanned.last_page}.{extension}"  # type: ignore[attr-defined]
    return do_upload_document(patient, upload=upload, document_type=scanned.document_type, title=scanned.title,
                              service_date=scanned.service_date, encounter=encounter, acting_user=user)


def do_approve_scanned_document(scanned: ScannedDocument, *, acting_user: Any) -> ScannedDocument:
    """The second person approves: the pages become a document in the chart, stored with their SHA-256."""
    require_permission(acting_user, REVIEW, "approve scanned documents")
    with transaction.atomic():
        locked = _locked_for_qa(scanned, acting_user)
        assert locked.patient is not None
        document = _file_pages(locked, locked.patient, locked.encounter, acting_user)
        locked.document = document
        locked.status = ScanStatus.APPROVED
        locked.reviewed_at, locked.reviewed_by = timezone.now(), acting_user
        locked.save(update_fields=["document", "status", "reviewed_at", "reviewed_by"])
        record_event(AuditAction.UPDATE, user=acting_user, patient=locked.patient, object_type="scanned_document",
                     object_id=locked.pk, detail={"change": "approved", "document_id": document.pk,
                                                  "sha256": document.current_version.file_sha256})
        _finish_batch_if_done(locked.batch)
    return locked


def do_reject_scanned_document(scanned: ScannedDocument, *, reason: str, acting_user: Any) -> ScannedDocument:
    """The second person rejects the index with a reason; the pages go back to be indexed again."""
    require_permission(acting_user, REVIEW, "reject scanned documents")
    reason = _reason(reason)
    with transaction.atomic():
        locked = _locked_for_qa(scanned, acting_user)
        locked.status = ScanStatus.REJECTED
        locked.rejection_reason = reason
        locked.reviewed_at, locked.reviewed_by = timezone.now(), acting_user
        locked.save(update_fields=["status", "rejection_reason", "reviewed_at", "reviewed_by"])
        record_event(AuditAction.UPDATE, user=acting_user, patient=locked.patient, object_type="scanned_document",
                     object_id=locked.pk, detail={"change": "rejected", "reason": reason})
    return locked


def do_refile_scanned_document(scanned: ScannedDocument, *, reason: str, patient: Patient, acting_user: Any,
                               encounter: Encounter | None = None) -> ScannedDocument:
    """Correct a misfile: the chart document is marked entered in error and the same pages are filed
    on the right patient; the new filing is linked to the old one."""
    require_permission(acting_user, REVIEW, "refile scanned documents")
    reason = _reason(reason)
    with transaction.atomic():
        locked = (ScannedDocument.objects.select_for_update(of=("self",)).select_related("batch", "document")
                  .get(pk=scanned.pk))
        if locked.status != ScanStatus.APPROVED or locked.document is None:
            raise ChartdeskError(NOT_FILED)
        if locked.patient_id == patient.pk:
            raise ChartdeskError(SAME_PATIENT, field="mrn")
        _checked_index(patient, encounter, locked.document_type, locked.title, locked.service_date, acting_user)
        do_retract_document(locked.document, reason=f"Misfiled scan: {reason}", acting_user=acting_user)
        refiled = ScannedDocument.objects.create(
            batch=locked.batch, first_page=locked.first_page, last_page=locked.last_page, status=ScanStatus.APPROVED,
            patient=patient, encounter=encounter, document_type=locked.document_type, title=locked.title,
            service_date=locked.service_date, indexed_at=timezone.now(), indexed_by=acting_user,
            reviewed_at=timezone.now(), reviewed_by=acting_user, refiled_from=locked,
        )
        refiled.document = _file_pages(refiled, patient, encounter, acting_user)
        refiled.save(update_fields=["document"])
        locked.status = ScanStatus.REFILED
        locked.save(update_fields=["status"])
        for moved_to in (locked.patient, patient):
            record_event(AuditAction.UPDATE, user=acting_user, patient=moved_to, object_type="scanned_document",
                         object_id=locked.pk, detail={"change": "refiled", "reason": reason,
                                                      "from_patient_id": locked.patient_id,
                                                      "to_patient_id": patient.pk,
                                                      "retracted_document_id": locked.document_id,
                                                      "new_document_id": refiled.document.pk})
    return refiled
