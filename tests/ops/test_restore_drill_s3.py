"""The restore drill with object storage: back up a working installation whose files live in a bucket,
lose both the database and the bucket, restore onto a new database and an empty bucket, and check
the audit chain and every file's SHA-256 against the rows that name it. Runs on SQLite, and on
PostgreSQL (pg_dump / pg_restore) in the PostgreSQL run."""

from __future__ import annotations

import json

from tests.ops.deployment import ON_POSTGRES, drop_postgres_database, postgres_deployment, sqlite_deployment
from tests.ops.test_backup_restore import register_patient

UPLOAD_SCAN = (
    "import io\n"
    "from datetime import date\n"
    "from django.contrib.auth import get_user_model\n"
    "from django.core.files.uploadedfile import SimpleUploadedFile\n"
    "from pypdf import PdfWriter\n"
    "from chartdesk.charts.actions import do_upload_document\n"
    "from chartdesk.charts.models import DocumentType\n"
    "from chartdesk.patients.models import Patient\n"
    "writer = PdfWriter()\n"
    "for _ in range({pages}):\n"
    "    writer.add_blank_page(width=612, height=792)\n"
    "out = io.BytesIO(); writer.write(out)\n"
    "clerk = get_user_model().objects.get(username='ops-clerk')\n"
    "document = do_upload_document(Patient.objects.get(mrn={mrn!r}),\n"
    "    upload=SimpleUploadedFile('scan.pdf', out.getvalue(), content_type='application/pdf'),\n"
    "    document_type=DocumentType.SCANNED_PAPER, title='Outside records', service_date=date(2025, 1, 6),\n"
    "    acting_user=clerk)\n"
    "print(document.current_version.file_sha256)\n"
)

CHECK_EVERY_FILE = (
    "import json\n"
    "from chartdesk.charts.files import read_verified\n"
    "from chartdesk.charts.models import DocumentVersion\n"
    "checked = {}\n"
    "for version in DocumentVersion.objects.exclude(file='').order_by('pk'):\n"
    "    read_verified(version)  # raises if the object is missing or its SHA-256 differs\n"
    "    checked[version.file.name] = version.file_sha256\n"
    "print(json.dumps(checked))\n"
)


def test_restore_drill_with_object_storage(installation, s3_server, tmp_path):
    installation.extra_env.update(s3_server.env(s3_server.new_bucket(object_lock=True)))
    mrn = register_patient(installation, "Ngozi", "Okafor")
    uploaded = {installation.python(UPLOAD_SCAN.format(pages=pages, mrn=mrn)).strip() for pages in (1, 2, 3)}
    before = json.loads(installation.python(CHECK_EVERY_FILE))
    assert set(before.values()) == uploaded and len(uploaded) == 3

    archive = tmp_path / "drill.tar"
    backed_up = installation.chartdesk("backup", str(archive))
    assert "and 3 stored file(s)" in backed_up.stdout

    # The disaster: the database and the bucket are gone. A new database and an empty bucket stand in.
    if ON_POSTGRES:
        new_site, name = postgres_deployment(tmp_path / "new-site")
    else:
        new_site, name = sqlite_deployment(tmp_path / "new-site"), None
    empty_bucket = s3_server.new_bucket(object_lock=True)
    new_site.extra_env.update(s3_server.env(empty_bucket))
    try:
        restored = new_site.chartdesk("restore", str(archive))

        assert "and 3 stored file(s)" in restored.stdout
        assert "Audit chain verified" in restored.stdout
        assert json.loads(new_site.python(CHECK_EVERY_FILE)) == before
        keys = [entry["Key"] for entry in s3_server.client().list_objects_v2(Bucket=empty_bucket)["Contents"]]
        assert sorted(keys) == sorted(f"records/{stored}" for stored in before)
        new_site.verify_audit_chain()

        # Restoring again is idempotent for the bucket: every object is already there, nothing is rewritten.
        again = new_site.chartdesk("restore", str(archive), "--force")
        assert "Audit chain verified" in again.stdout
        versions = s3_server.client().list_object_versions(Bucket=empty_bucket)["Versions"]
        assert len(versions) == 3
    finally:
        if name:
            drop_postgres_database(name)


def test_a_restore_into_an_unversioned_bucket_holding_other_bytes_is_refused(installation, s3_server, tmp_path):
    installation.extra_env.update(s3_server.env(s3_server.new_bucket()))
    mrn = register_patient(installation, "Piotr", "Zielinski")
    installation.python(UPLOAD_SCAN.format(pages=1, mrn=mrn))
    archive = tmp_path / "nightly.tar"
    installation.chartdesk("backup", str(archive))
    stored = json.loads(installation.python(CHECK_EVERY_FILE))
    (stored_name,) = stored

    plain = s3_server.new_bucket()
    s3_server.client().put_object(Bucket=plain, Key=f"records/{stored_name}", Body=b"not the scan")
    installation.extra_env.update(s3_server.env(plain))
    refused = installation.chartdesk("restore", str(archive), "--force", check=False)

    assert refused.returncode != 0
    assert "differ from the backup" in refused.stderr and "keeps no versions" in refused.stderr
    body = s3_server.client().get_object(Bucket=plain, Key=f"records/{stored_name}")["Body"].read()
    assert body == b"not the scan"
