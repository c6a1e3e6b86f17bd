"""`chartdesk storage migrate` moves a disk installation's stored files into the bucket: verified,
resumable, never overwriting, audited, and refused clearly when no bucket is configured."""

from __future__ import annotations

import hashlib
import json

from tests.ops.test_backup_restore import write_stored_files


def bucket_contents(server, bucket: str) -> dict[str, bytes]:
    client = server.client()
    listing = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {entry["Key"]: client.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read() for entry in listing}


def test_migrate_copies_every_file_into_the_bucket_and_a_second_run_skips_them(installation, s3_server):
    files = write_stored_files(installation.data_dir)
    bucket = s3_server.new_bucket(object_lock=True)
    installation.extra_env.update(s3_server.env(bucket))

    first = installation.chartdesk("storage", "migrate")

    assert "Copied 3 stored file(s)" in first.stdout and "0 were already there" in first.stdout
    assert bucket_contents(s3_server, bucket) == {f"records/{name}": content for name, content in files.items()}
    assert all((installation.data_dir / name).read_bytes() == content for name, content in files.items())

    again = installation.chartdesk("storage", "migrate")
    assert "Copied 0 stored file(s) (0 bytes)" in again.stdout and "3 were already there" in again.stdout
    events = json.loads(installation.python(
        "import json\nfrom chartdesk.audit.models import AuditEvent\n"
        "print(json.dumps([e.detail for e in AuditEvent.objects.filter(object_id='storage-migrate')"
        ".order_by('sequence')]))\n"))
    assert [(e["copied"], e["already_there"], e["bucket"]) for e in events] == [(3, 0, bucket), (0, 3, bucket)]


def test_an_interrupted_migration_resumes_and_only_copies_what_is_missing(installation, s3_server):
    files = write_stored_files(installation.data_dir)
    bucket = s3_server.new_bucket()
    name = "documents/2025/01/scan-0001.pdf"
    s3_server.client().put_object(Bucket=bucket, Key=f"records/{name}", Body=files[name])  # the run that stopped
    installation.extra_env.update(s3_server.env(bucket))

    resumed = installation.chartdesk("storage", "migrate")

    assert "Copied 2 stored file(s)" in resumed.stdout and "1 were already there" in resumed.stdout
    assert {key: hashlib.sha256(body).hexdigest() for key, body in bucket_contents(s3_server, bucket).items()} == {
        f"records/{n}": hashlib.sha256(c).hexdigest() for n, c in files.items()}


def test_an_object_with_different_bytes_is_never_overwritten_and_the_run_fails(installation, s3_server):
    write_stored_files(installation.data_dir)
    bucket = s3_server.new_bucket()
    s3_server.client().put_object(Bucket=bucket, Key="records/dictation/note 7.wav", Body=b"other bytes")
    installation.extra_env.update(s3_server.env(bucket))

    result = installation.chartdesk("storage", "migrate", check=False)

    assert result.returncode != 0
    assert "1 file(s) are in the bucket under the same name with different bytes" in result.stderr
    assert "dictation/note 7.wav" in result.stderr
    assert bucket_contents(s3_server, bucket)["records/dictation/note 7.wav"] == b"other bytes"


def test_migrate_refuses_without_a_bucket_or_with_a_missing_one(installation, s3_server):
    write_stored_files(installation.data_dir)
    no_bucket = installation.chartdesk("storage", "migrate", check=False)
    assert no_bucket.returncode != 0
    assert "CHARTDESK_STORAGE_URL does not name a bucket" in no_bucket.stderr

    installation.extra_env.update(s3_server.env("no-such-bucket"))
    missing = installation.chartdesk("storage", "migrate", check=False)
    assert missing.returncode != 0
    assert "The bucket 'no-such-bucket'" in missing.stderr and "cannot be used" in missing.stderr
