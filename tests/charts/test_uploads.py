"""Uploads are checked by their content, stored under their SHA-256, and verified every time they are read."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from chartdesk.audit.models import AuditAction, AuditEvent, AuditOutcome
from chartdesk.charts.access import access_document_file
from chartdesk.charts.actions import do_upload_document
from chartdesk.charts.files import check_upload, read_verified
from chartdesk.charts.models import Document, DocumentType, DocumentVersion
from chartdesk.core.errors import ChartdeskError
from tests.charts.conftest import image_bytes, pdf_bytes, upload


def upload_into(patient, user, file, day):
    return do_upload_document(
        patient, upload=file, document_type=DocumentType.SCANNED_PAPER, title="Outside records",
        service_date=day, acting_user=user,
    )


def stored_files(data_dir: Path) -> list[Path]:
    return [path for path in data_dir.rglob("*") if path.is_file()]


def test_a_real_pdf_is_accepted_with_its_page_count_and_sha256(patient, users, yesterday, _isolated_data_dir):
    content = pdf_bytes(pages=3)
    document = upload_into(patient, users["registrar"], upload("referral.pdf", content, "application/pdf"), yesterday)

    version = document.current_version
    assert version.number == 1
    assert version.content_type == "application/pdf"
    assert version.page_count == 3
    assert version.file_size == len(content)
    assert version.file_sha256 == hashlib.sha256(content).hexdigest()
    assert version.file_name == "referral.pdf"
    assert version.file.name == f"documents/sha256/{version.file_sha256[:2]}/{version.file_sha256[2:4]}/" \
                                f"{version.file_sha256}.pdf"
    assert default_storage.open(version.file.name).read() == content
    assert document.status == "preliminary"


@pytest.mark.parametrize(
    ("name", "image_format", "content_type", "frames"),
    [("scan.png", "PNG", "image/png", 1), ("photo.jpg", "JPEG", "image/jpeg", 1), ("fax.tif", "TIFF", "image/tiff", 3)],
)
def test_png_jpeg_and_multi_page_tiff_are_accepted(patient, users, yesterday, name, image_format, content_type, frames):
    content = image_bytes(image_format, frames=frames)
    document = upload_into(patient, users["registrar"], upload(name, content), yesterday)

    assert document.current_version.content_type == content_type
    assert document.current_version.page_count == frames


def test_a_file_without_an_extension_is_judged_by_its_content(patient, users, yesterday):
    document = upload_into(patient, users["registrar"], upload("scan", image_bytes("PNG")), yesterday)
    assert document.current_version.content_type == "image/png"
    assert document.current_version.file.name.endswith(".png")


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.pdf", image_bytes("PNG"), "The file scan.pdf is named as a PDF document but its content is a PNG image"),
        ("invoice.pdf", EXE, "The file invoice.pdf is not a PDF, TIFF, PNG or JPEG file (its content is a Windows "
                             "program)."),
        ("cut.pdf", pdf_bytes()[:300], "The PDF cut.pdf is damaged or incomplete and cannot be opened (it ends before "
                                       "its end-of-file marker)."),
        ("empty.pdf", b"", "The file empty.pdf is empty."),
        ("notes.txt", b"Patient seen today.", "The file notes.txt is not a PDF, TIFF, PNG or JPEG file (its content "
                                              "is plain text)."),
        ("scan.docx", image_bytes("PNG"), "The file scan.docx has the extension .docx; only PDF, TIFF, PNG and JPEG "
                                          "are accepted."),
        ("cut.png", image_bytes("PNG")[:60], "The PNG image cut.png is damaged or incomplete"),
    ],
)
def test_bad_uploads_are_refused_with_a_message_and_nothing_is_saved(
    patient, users, yesterday, _isolated_data_dir, name, content, message
):
    with pytest.raises(ChartdeskError) as refused:
        upload_into(patient, users["registrar"], upload(name, content, "application/pdf"), yesterday)

    assert refused.value.message.startswith(message)
    assert refused.value.field == "upload"
    assert Document.objects.count() == 0
    assert DocumentVersion.objects.count() == 0
    assert stored_files(_isolated_data_dir) == []


def test_an_encrypted_pdf_is_refused(patient, users, yesterday):
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    content = io.BytesIO()
    writer.write(content)

    with pytest.raises(ChartdeskError, match="password-protected or encrypted"):
        upload_into(patient, users["registrar"], upload("locked.pdf", content.getvalue()), yesterday)
    assert Document.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused(patient, users, yesterday, settings, _isolated_data_dir):
    settings.MAX_UPLOAD_BYTES = 1024
    with pytest.raises(ChartdeskError) as refused:
        upload_into(patient, users["registrar"], upload("big.pdf", pdf_bytes() + b"%" * 2000), yesterday)

    assert refused.value.message.startswith("The file big.pdf is ")
    assert "the largest file accepted is 1 KB" in refused.value.message
    assert Document.objects.count() == 0
    assert stored_files(_isolated_data_dir) == []


def test_the_size_limit_holds_even_when_the_upload_does_not_say_its_size(settings):
    import io

    settings.MAX_UPLOAD_BYTES = 100
    with pytest.raises(ChartdeskError, match="is over 100 bytes"):
        check_upload(io.BytesIO(b"%PDF-" + b"x" * 200), name="stream.pdf")


def test_the_same_file_uploaded_twice_is_stored_once(patient, users, yesterday, _isolated_data_dir):
    content = pdf_bytes()
    first = upload_into(patient, users["registrar"], upload("a.pdf", content), yesterday)
    second = upload_into(patient, users["registrar"], upload("b.pdf", content), yesterday)

    assert first.current_version.file.name == second.current_version.file.name
    assert len(stored_files(_isolated_data_dir)) == 1


def test_a_stored_file_is_read_back_when_its_checksum_matches(patient, users, yesterday):
    content = image_bytes("JPEG")
    document = upload_into(patient, users["registrar"], upload("photo.jpeg", content), yesterday)
    assert read_verified(document.current_version) == content


def test_a_tampered_stored_file_is_refused_on_read_and_the_failure_audited(
    patient, users, yesterday, _isolated_data_dir
):
    document = upload_into(patient, users["registrar"], upload("referral.pdf", pdf_bytes()), yesterday)
    version = document.current_version
    (_isolated_data_dir / version.file.name).write_bytes(pdf_bytes(pages=1))

    with pytest.raises(ChartdeskError) as refused:
        access_document_file(users["coder"], version.pk)

    assert refused.value.message == "Version 1 of this document cannot be shown: the stored file does not match its " \
                                    "checksum."
    event = AuditEvent.objects.get(action=AuditAction.INTEGRITY)
    assert event.outcome == AuditOutcome.FAILURE
    assert event.patient_id == patient.pk
    assert (event.object_type, event.object_id) == ("document_version", str(version.pk))
    assert event.user_id == users["coder"].pk
    assert event.detail["expected_sha256"] == version.file_sha256
    assert event.detail["actual_sha256"] == hashlib.sha256(pdf_bytes(pages=1)).hexdigest()
    assert not AuditEvent.objects.filter(action=AuditAction.DOWNLOAD).exists()


def test_a_missing_stored_file_is_refused_on_read_and_audited(patient, users, yesterday, _isolated_data_dir):
    document = upload_into(patient, users["registrar"], upload("referral.pdf", pdf_bytes()), yesterday)
    (_isolated_data_dir / document.current_version.file.name).unlink()

    with pytest.raises(ChartdeskError, match="the stored file is missing"):
        read_verified(document.current_version, user=users["coder"])
    assert AuditEvent.objects.get(action=AuditAction.INTEGRITY).detail["problem"] == "the stored file is missing"


def test_a_verified_download_is_audited(patient, users, yesterday):
    content = pdf_bytes()
    document = upload_into(patient, users["registrar"], upload("referral.pdf", content), yesterday)

    version, served = access_document_file(users["roi"], document.current_version_id)

    assert served == content
    event = AuditEvent.objects.filter(action=AuditAction.DOWNLOAD).get()
    assert (event.user_id, event.patient_id, event.object_id) == (users["roi"].pk, patient.pk, str(version.pk))
    assert event.detail["sha256"] == version.file_sha256


def test_upload_is_audited_with_the_files_sha256(patient, users, yesterday):
    content = pdf_bytes()
    document = upload_into(patient, users["registrar"], upload("referral.pdf", content), yesterday)

    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="document")
    assert event.object_id == str(document.pk)
    assert event.detail["sha256"] == hashlib.sha256(content).hexdigest()
    assert event.detail["pages"] == 2
