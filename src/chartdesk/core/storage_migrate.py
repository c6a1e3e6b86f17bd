"""`chartdesk storage migrate`: move the stored files from the local data folder into the bucket.

Resumable: a file already in the bucket with the same SHA-256 is skipped, so an interrupted run is
simply run again. Every upload is read back and its SHA-256 compared before it counts. An object
already in the bucket under the same name with different bytes is never overwritten: it is reported
and the run ends with a failure, for someone to look at. The local files are left where they are
(nothing is deleted); once the run reports no conflicts the folder can be archived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import storages

from chartdesk.core.errors import ChartdeskError
from chartdesk.core.registry import record_audit_event
from chartdesk.core.storage import RecordFileSystemStorage, RecordS3Storage, sha256_of_stream, stored_sha256

NOT_A_BUCKET = (
    "CHARTDESK_STORAGE_URL does not name a bucket, so the stored files already live on the local disk. "
    "Set it (and CHARTDESK_S3_ENDPOINT_URL and the credentials) to the bucket to move them to."
)


@dataclass
class MigrationSummary:
    bucket: str
    copied: int = 0
    already_there: int = 0
    bytes_copied: int = 0
    conflicts: list[str] = field(default_factory=list)


def migrate_disk_to_bucket(source: Path | str | None = None, *, acting_user: Any = None) -> MigrationSummary:
    """Copy every file under `source` (default: the data folder) into the configured bucket, verified."""
    target = storages["default"]
    if not isinstance(target, RecordS3Storage):
        raise ChartdeskError(NOT_A_BUCKET)
    folder = Path(source or settings.DATA_DIR).resolve()
    if not folder.is_dir():
        raise ChartdeskError(f"There is no folder {folder} to move stored files from.")
    target.check_reachable()
    summary = MigrationSummary(bucket=target.bucket_name)
    for name, size in RecordFileSystemStorage(location=folder).walk():
        with open(folder / name, "rb") as local:
            local_sha256 = sha256_of_stream(local)
            present = stored_sha256(target, name)
            if present == local_sha256:
                summary.already_there += 1
                continue
            if present is not None:
                summary.conflicts.append(name)
                continue
            local.seek(0)
            target.put_exact(name, local)
        arrived = stored_sha256(target, name)
        if arrived != local_sha256:
            raise ChartdeskError(
                f"{name} arrived in the bucket with SHA-256 {arrived}, not {local_sha256}; the run stopped there. "
                "Run it again once the store is healthy."
            )
        summary.copied += 1
        summary.bytes_copied += size
    _record(summary, folder, acting_user)
    return summary


def _record(summary: MigrationSummary, folder: Path, acting_user: Any) -> None:
    import getpass

    from chartdesk.core.context import acting_as

    try:
        username = f"os:{getpass.getuser()}"
    except (KeyError, OSError):
        username = "os:unknown"
    with acting_as(channel="cli"):
        record_audit_event(
            "update", user=acting_user, username="" if acting_user is not None else username,
            object_type="stored_files", object_id="storage-migrate",
            detail={"operation": "storage migrate", "from": str(folder), "bucket": summary.bucket,
                    "copied": summary.copied, "already_there": summary.already_there,
                    "bytes_copied": summary.bytes_copied, "conflicts": summary.conflicts[:50]},
        )
