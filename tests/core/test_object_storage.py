"""Stored files in an S3-compatible bucket (a real moto server on loopback, tests/support/s3_server.py):
uploaded, read back only when their SHA-256 matches, never overwritten or deleted, locked where the
bucket has Object Lock, and removed only by certified destruction."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from chartdesk.audit.models import AuditAction, AuditEvent, AuditOutcome
from chartdesk.charts.actions import do_upload_document
from chartdesk.charts.destruction import do_destroy_document_content
from chartdesk.charts.models import DocumentType
from chartdesk.core.storage import RecordS3Storage, StoredFileProtected
from chartdesk.core.storage_config import StorageSettingError, default_storage_config
from tests.charts.conftest import pdf_bytes, upload


def upload_referral(patient, user, content, day=None):
    day = day or (datetime.now(UTC).date() - timedelta(days=1))
    return do_upload_document(patient, upload=upload("referral.pdf", content, "application/pdf"),
                              document_type=DocumentType.SCANNED_PAPER, title="Outside records",
                              service_date=day, acting_user=user)


def object_key(version) -> str:
    return f"records/{version.file.name}"


def test_an_upload_lands_in_the_bucket_and_the_desk_serves_it_after_checking_its_sha256(
    s3_storage, patient, users, client_for, _isolated_data_dir
):
    server, bucket = s3_storage
    content = pdf_bytes(pages=2)
    version = upload_referral(patient, users["registrar"], content).current_version

    stored = server.client().get_object(Bucket=bucket, Key=object_key(version))["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == version.file_sha256 == hashlib.sha256(content).hexdigest()
    assert not [path for path in Path(_isolated_data_dir).rglob("*.pdf")]  # nothing went to the local disk

    answer = client_for(users["roi"]).get(reverse("charts-document-file", args=[version.pk]))
    assert (answer.status_code, answer.content) == (200, content)


def test_a_tampered_object_is_refused_on_read_and_the_failure_audited(s3_storage, patient, users, client_for):
    server, bucket = s3_storage
    version = upload_referral(patient, users["registrar"], pdf_bytes(pages=2)).current_version
    # Someone with the bucket's keys writes new bytes under the key (a new version of the object).
    server.client().put_object(Bucket=bucket, Key=object_key(version), Body=pdf_bytes(pages=1))

    answer = client_for(users["roi"]).get(reverse("charts-document-file", args=[version.pk]))

    assert answer.status_code == 409
    assert b"does not match its checksum" in answer.content
    event = AuditEvent.objects.get(action=AuditAction.INTEGRITY)
    assert (event.outcome, event.detail["actual_sha256"]) == (
        AuditOutcome.FAILURE, hashlib.sha256(pdf_bytes(pages=1)).hexdigest())


def test_the_store_never_overwrites_and_refuses_to_delete(s3_storage):
    server, bucket = s3_storage
    first = default_storage.save("scans/batch.pdf", ContentFile(b"%PDF first"))
    second = default_storage.save("scans/batch.pdf", ContentFile(b"%PDF second"))

    assert first == "scans/batch.pdf" and second != first
    with pytest.raises(StoredFileProtected, match="only through certified destruction"):
        default_storage.delete(first)
    assert server.client().get_object(Bucket=bucket, Key=f"records/{first}")["Body"].read() == b"%PDF first"


def test_objects_get_object_lock_retention_where_the_bucket_has_it(s3_storage, settings):
    server, bucket = s3_storage
    name = default_storage.save("scans/locked.pdf", ContentFile(b"%PDF locked"))

    head = server.client().head_object(Bucket=bucket, Key=f"records/{name}")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    expected = datetime.now(UTC) + timedelta(days=2557)
    assert abs(head["ObjectLockRetainUntilDate"] - expected) < timedelta(minutes=5)

    plain = server.new_bucket(object_lock=False)
    settings.STORAGES = {**settings.STORAGES, "default": default_storage_config(server.env(plain), Path("/unused"))}
    plain_name = default_storage.save("scans/plain.pdf", ContentFile(b"%PDF plain"))
    assert "ObjectLockMode" not in server.client().head_object(Bucket=plain, Key=f"records/{plain_name}")


def test_certified_destruction_removes_every_version_of_the_object(
    s3_storage, patient, users, django_capture_on_commit_callbacks
):
    server, bucket = s3_storage
    document = upload_referral(patient, users["registrar"], pdf_bytes(pages=3))
    key = object_key(document.current_version)
    assert server.client().list_object_versions(Bucket=bucket, Prefix=key)["Versions"]

    with django_capture_on_commit_callbacks(execute=True):
        do_destroy_document_content(document, certificate_reference="D000042", acting_user=users["him_manager"])

    listing = server.client().list_object_versions(Bucket=bucket, Prefix=key)
    assert (listing.get("Versions", []), listing.get("DeleteMarkers", [])) == ([], [])


def test_compliance_retention_refuses_early_destruction_with_its_date(s3_server):
    bucket = s3_server.new_bucket(object_lock=True)
    options = default_storage_config({**s3_server.env(bucket), "CHARTDESK_S3_OBJECT_LOCK_MODE": "COMPLIANCE",
                                      "CHARTDESK_S3_OBJECT_LOCK_DAYS": "30"}, Path("/unused"))["OPTIONS"]
    storage = RecordS3Storage(**options)
    name = storage.save("scans/kept.pdf", ContentFile(b"%PDF kept"))

    with pytest.raises(StoredFileProtected, match="under COMPLIANCE retention until"):
        storage.destroy(name)
    assert storage.open(name).read() == b"%PDF kept"


@pytest.mark.parametrize(("env", "problem"), [
    ({"CHARTDESK_STORAGE_URL": "https://bucket/prefix"}, "must look like s3://bucket/prefix"),
    ({"CHARTDESK_STORAGE_URL": "s3:///prefix"}, "must look like s3://bucket/prefix"),
    ({"CHARTDESK_STORAGE_URL": "s3://b", "CHARTDESK_S3_OBJECT_LOCK_MODE": "forever"}, "GOVERNANCE, COMPLIANCE"),
    ({"CHARTDESK_STORAGE_URL": "s3://b", "CHARTDESK_S3_OBJECT_LOCK_DAYS": "-3"}, "whole number of days"),
])
def test_a_misconfigured_storage_url_is_refused_naming_the_setting(env, problem):
    with pytest.raises(StorageSettingError, match=problem):
        default_storage_config(env, Path("/unused"))


def test_without_a_storage_url_files_stay_on_the_local_disk():
    config = default_storage_config({}, Path("/srv/chartdesk/data"))
    assert config == {"BACKEND": "chartdesk.core.storage.RecordFileSystemStorage",
                      "OPTIONS": {"location": Path("/srv/chartdesk/data")}}
