"""Scanned batches: split at separator sheets or by hand, indexed, checked by a second person, filed;
bad scans refused without a trace; misfiles corrected by entered-in-error and refiling."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.files import read_verified
from chartdesk.charts.models import Document, DocumentStatus, DocumentType
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.filing import scanning
from chartdesk.filing.models import BatchStatus, ScanBatch, ScannedDocument, ScanStatus
from tests.filing.scans import image_only_pdf, image_tiff, pdf_batch, tiff_batch, upload
from tests.support import factories


@pytest.fixture
def second_clerk(db: Any) -> Any:
    return factories.make_user("registrar")


def index(scanned: ScannedDocument, patient: Any, clerk: Any, title: str = "Outside records") -> ScannedDocument:
    return scanning.do_index_scanned_document(
        scanned, patient=patient, document_type=DocumentType.SCANNED_PAPER, title=title,
        service_date=timezone.localdate() - timedelta(days=3), acting_user=clerk,
    )


def test_a_pdf_batch_splits_itself_at_separator_sheets(users):
    batch = scanning.do_upload_scan_batch(
        upload("batch.pdf", pdf_batch("SEP", "consent p1", "SEP", "letter p1", "letter p2")),
        expected_pages=5, acting_user=users["registrar"])
    assert batch.status == BatchStatus.INDEXING
    assert [(d.first_page, d.last_page) for d in batch.documents.all()] == [(2, 2), (4, 5)]


def test_an_image_only_pdf_splits_at_the_separator_barcodes_in_the_page_images(users):
    batch = scanning.do_upload_scan_batch(
        upload("scan.pdf", image_only_pdf("SEP", "consent p1", "consent p2", "SEP", "letter p1")),
        expected_pages=5, acting_user=users["registrar"])
    assert batch.status == BatchStatus.INDEXING
    assert [(d.first_page, d.last_page) for d in batch.documents.all()] == [(2, 3), (5, 5)]
    assert batch.unreadable_barcode_pages == []


def test_a_multi_page_tiff_splits_at_the_separator_barcodes_in_its_frames(users):
    batch = scanning.do_upload_scan_batch(
        upload("scan.tif", image_tiff("SEP", "referral", "SEP", "lab p1", "lab p2", "lab p3")),
        acting_user=users["registrar"])
    assert batch.status == BatchStatus.INDEXING
    assert [(d.first_page, d.last_page) for d in batch.documents.all()] == [(2, 2), (4, 6)]


@pytest.mark.parametrize("make", [image_only_pdf, image_tiff], ids=["image-only pdf", "tiff"])
def test_a_separator_with_a_damaged_barcode_stays_a_content_page_and_the_batch_reports_it(users, make):
    batch = scanning.do_upload_scan_batch(
        upload("scan." + ("pdf" if make is image_only_pdf else "tif"),
               make("SEP", "consent", "SEP", "letter", damaged=(3,))),
        acting_user=users["registrar"])
    assert [(d.first_page, d.last_page) for d in batch.documents.all()] == [(2, 4)]
    assert batch.unreadable_barcode_pages == [3]
    event = AuditEvent.objects.filter(object_type="scan_batch", object_id=str(batch.pk)).get()
    assert (event.detail["separators"], event.detail["unreadable_barcode_pages"]) == ([1], [3])


def test_the_batch_page_warns_of_an_unreadable_barcode(users, client):
    batch = scanning.do_upload_scan_batch(upload("scan.tif", image_tiff("SEP", "consent", "SEP", "letter",
                                                                        damaged=(3,))),
                                          acting_user=users["registrar"])
    client.force_login(users["registrar"])
    page = client.get(reverse("filing-batch", kwargs={"scan_batch_id": batch.pk})).content.decode()
    assert "A barcode could not be read on page 3" in page


def test_a_text_page_is_not_rendered_and_a_plain_image_page_is_content(users):
    batch = scanning.do_upload_scan_batch(upload("scan.tif", image_tiff("referral", "lab")),
                                          acting_user=users["registrar"])
    assert (batch.status, batch.unreadable_barcode_pages) == (BatchStatus.SPLITTING, [])


def test_a_tiff_batch_is_split_by_hand(users):
    clerk = users["registrar"]
    batch = scanning.do_upload_scan_batch(upload("batch.tif", tiff_batch(5)), acting_user=clerk)
    assert (batch.status, batch.page_count, batch.documents.count()) == (BatchStatus.SPLITTING, 5, 0)
    with pytest.raises(ChartdeskError, match="must start on page 1"):
        scanning.do_split_batch(batch, starts="2, 4", acting_user=clerk)
    with pytest.raises(ChartdeskError, match="4 does not come after 4"):
        scanning.do_split_batch(batch, starts="1, 4, 4", acting_user=clerk)
    with pytest.raises(ChartdeskError, match="Page 9 is past the last page"):
        scanning.do_split_batch(batch, starts="1, 9", acting_user=clerk)
    documents = scanning.do_split_batch(batch, starts="1, 4", acting_user=clerk)
    assert [(d.first_page, d.last_page) for d in documents] == [(1, 3), (4, 5)]


def test_a_corrupt_pdf_is_refused_and_nothing_is_stored(users):
    good = pdf_batch("page 1", "page 2")
    with pytest.raises(ChartdeskError, match="damaged or incomplete"):
        scanning.do_upload_scan_batch(upload("cut.pdf", good[: len(good) // 2]), acting_user=users["registrar"])
    with pytest.raises(ChartdeskError, match="is not a PDF, TIFF"):
        scanning.do_upload_scan_batch(upload("noise.pdf", b"\x00\x01garbage" * 50), acting_user=users["registrar"])
    assert not ScanBatch.objects.exists()


def test_a_batch_with_the_wrong_page_count_is_refused(users):
    with pytest.raises(ChartdeskError, match="holds 3 pages but 4 were fed into the scanner"):
        scanning.do_upload_scan_batch(upload("b.pdf", pdf_batch("a", "b", "c")), expected_pages=4,
                                      acting_user=users["registrar"])
    assert not ScanBatch.objects.exists()


def test_a_png_is_not_a_scanned_batch(users):
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (10, 10)).save(out, format="PNG")
    with pytest.raises(ChartdeskError, match="a scanned batch is a multi-page PDF or TIFF"):
        scanning.do_upload_scan_batch(upload("photo.png", out.getvalue()), acting_user=users["registrar"])


def test_a_second_person_approves_and_the_pages_become_a_chart_document_with_their_sha256(
        users, patient, second_clerk):
    clerk = users["registrar"]
    batch = scanning.do_upload_scan_batch(upload("b.pdf", pdf_batch("SEP", "lab p1", "lab p2")), acting_user=clerk)
    scanned = index(batch.documents.get(), patient, clerk, title="Outside lab results")
    with pytest.raises(PermissionRefused, match="second person"):
        scanning.do_approve_scanned_document(scanned, acting_user=clerk)
    approved = scanning.do_approve_scanned_document(scanned, acting_user=second_clerk)
    document = Document.objects.get(pk=approved.document_id)
    version = document.current_version
    stored = read_verified(version, user=second_clerk)
    assert (document.patient, document.title, version.page_count) == (patient, "Outside lab results", 2)
    assert version.file_sha256 == hashlib.sha256(stored).hexdigest()
    assert ScanBatch.objects.get(pk=batch.pk).status == BatchStatus.DONE


def test_a_rejected_index_goes_back_with_its_reason_and_can_be_indexed_again(users, patient, second_clerk):
    clerk = users["registrar"]
    batch = scanning.do_upload_scan_batch(upload("b.pdf", pdf_batch("SEP", "x")), acting_user=clerk)
    scanned = index(batch.documents.get(), patient, clerk)
    rejected = scanning.do_reject_scanned_document(scanned, reason="Wrong date of service", acting_user=second_clerk)
    assert (rejected.status, rejected.rejection_reason) == (ScanStatus.REJECTED, "Wrong date of service")
    assert index(rejected, patient, clerk).status == ScanStatus.AWAITING_QA
    assert not Document.objects.exists()


def test_indexing_to_another_patients_encounter_is_refused(users, patient):
    clerk = users["registrar"]
    other = factories.make_patient("Omar", "Other")
    visit = factories.make_encounter(other, acting_user=clerk)
    batch = scanning.do_upload_scan_batch(upload("b.pdf", pdf_batch("SEP", "x")), acting_user=clerk)
    with pytest.raises(ChartdeskError, match="belongs to another patient") as refused:
        scanning.do_index_scanned_document(batch.documents.get(), patient=patient, encounter=visit,
                                           document_type=DocumentType.CONSENT, title="Consent",
                                           service_date=timezone.localdate(), acting_user=clerk)
    assert refused.value.field == "account_number"


def test_a_coder_cannot_upload_or_approve(users):
    with pytest.raises(PermissionRefused):
        scanning.do_upload_scan_batch(upload("b.pdf", pdf_batch("x")), acting_user=users["coder"])


def test_a_misfile_is_entered_in_error_and_refiled_on_the_right_patient(users, patient, second_clerk):
    clerk = users["registrar"]
    right = factories.make_patient("Rita", "Right")
    batch = scanning.do_upload_scan_batch(upload("b.pdf", pdf_batch("SEP", "consent")), acting_user=clerk)
    filed = scanning.do_approve_scanned_document(index(batch.documents.get(), patient, clerk),
                                                 acting_user=second_clerk)
    refiled = scanning.do_refile_scanned_document(filed, reason="Belongs to Rita Right", patient=right,
                                                  acting_user=second_clerk)
    wrong_document = Document.objects.get(pk=filed.document_id)
    assert wrong_document.status == DocumentStatus.ENTERED_IN_ERROR
    assert wrong_document.retraction_reason == "Misfiled scan: Belongs to Rita Right"
    assert (refiled.document.patient, refiled.refiled_from) == (right, ScannedDocument.objects.get(pk=filed.pk))
    assert refiled.document.current_version.file_sha256 == wrong_document.current_version.file_sha256
    assert ScannedDocument.objects.get(pk=filed.pk).status == ScanStatus.REFILED
