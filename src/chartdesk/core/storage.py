"""The stores of the legal record's files: never overwritten, never deleted except by destruction.

Both stores (the local data folder, the default; an S3-compatible bucket when CHARTDESK_STORAGE_URL
names one) refuse `delete()`: a stored file leaves only through `destroy()`, which the one audited
destruction action (charts.destruction, under a certificate) calls. Neither overwrites: a name
already taken gets a fresh one (FileSystemStorage opens with O_EXCL; the S3 store checks first, and
Object Lock plus bucket versioning keep the earlier bytes if two writers race). In a bucket with
Object Lock enabled every object is written with a retention period (GOVERNANCE or COMPLIANCE per
CHARTDESK_S3_OBJECT_LOCK_MODE), so not even the bucket's own credentials can remove it early.
SHA-256 checks on read stay where they are (charts.files): they read through whichever store this is.

Inside a training sandbox (core.context.open_sandbox) both stores keep their files in the sandbox's
own folder on local disk instead: practice uploads are training data, removed with the sandbox when it
is reset, and must not reach the data folder or a bucket whose Object Lock would keep them for years.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage, clean_name

from chartdesk.core.context import sandbox_files_folder
from chartdesk.core.errors import ChartdeskError

DELETE_REFUSED = (
    "Stored file {name} was not deleted: stored files leave the record only through certified destruction."
)
LOCKED_UNTIL = "Stored file {name} is under {mode} retention until {until} and cannot be destroyed before then."


class StoredFileProtected(ChartdeskError):
    """A stored file was asked to be deleted, or cannot be destroyed yet; nothing was removed."""


def sha256_of_stream(stream: Any, chunk_size: int = 1024 * 1024) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(chunk_size):
        digest.update(chunk)
    return digest.hexdigest()


class RecordFileSystemStorage(FileSystemStorage):
    """The data folder on local disk (the default)."""

    is_object_storage = False

    def __init__(self, **options: Any) -> None:
        options["allow_overwrite"] = False  # whatever the settings say: the record is never overwritten
        super().__init__(**options)

    @property  # type: ignore[override]
    def location(self) -> str:
        # A property, not Django's cached one: every path is resolved here, per request, so a sandbox's
        # files land in its own folder and nowhere else.
        folder = sandbox_files_folder()
        return str(folder) if folder is not None else os.path.abspath(self.base_location)

    def delete(self, name: str) -> None:
        raise StoredFileProtected(DELETE_REFUSED.format(name=name))

    def destroy(self, name: str) -> None:
        """Remove the file for good; only charts.destruction calls this, under a certificate."""
        super().delete(name)

    def walk(self) -> Iterator[tuple[str, int]]:
        """(name, size) of every stored file, in name order."""
        import os
        from pathlib import Path

        root = Path(self.location)
        if not root.is_dir():
            return
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for file_name in sorted(files):
                path = Path(folder) / file_name
                if path.is_file() and not path.is_symlink():
                    yield path.relative_to(root).as_posix(), path.stat().st_size


class RecordS3Storage(S3Storage):
    """An S3-compatible bucket (django-storages' S3 backend), under the same rules as the data folder."""

    is_object_storage = True

    def __init__(self, *, object_lock_mode: str = "GOVERNANCE", object_lock_days: int = 2557, **options: Any) -> None:
        options["file_overwrite"] = False
        options.setdefault("default_acl", None)
        options.setdefault("querystring_auth", True)
        super().__init__(**options)
        self.object_lock_mode = object_lock_mode
        self.object_lock_days = object_lock_days
        self._bucket_locks: bool | None = None

    # Inside a training sandbox every read and write goes to the sandbox's own folder (module docstring).
    def _sandbox_store(self) -> RecordFileSystemStorage | None:
        folder = sandbox_files_folder()
        return RecordFileSystemStorage(location=folder) if folder is not None else None

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        local = self._sandbox_store()
        return local.save(name, content, max_length) if local else str(super().save(name, content, max_length))

    def open(self, name: str, mode: str = "rb") -> Any:
        local = self._sandbox_store()
        return local.open(name, mode) if local else super().open(name, mode)

    def exists(self, name: str) -> bool:
        local = self._sandbox_store()
        return local.exists(name) if local else bool(super().exists(name))

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        local = self._sandbox_store()
        return local.get_available_name(name, max_length) if local else str(
            super().get_available_name(name, max_length))

    def size(self, name: str) -> int:
        local = self._sandbox_store()
        return local.size(name) if local else int(super().size(name))

    def path(self, name: str) -> str:
        local = self._sandbox_store()
        return local.path(name) if local else str(super().path(name))

    def url(self, name: str, parameters: Any = None, expire: Any = None, http_method: Any = None) -> str:
        local = self._sandbox_store()
        return local.url(name) if local else str(super().url(name, parameters, expire, http_method))

    @property
    def client(self) -> Any:
        return self.connection.meta.client

    def key_for(self, name: str) -> str:
        return str(self._normalize_name(clean_name(name)))

    def bucket_has_object_lock(self) -> bool:
        """Whether the bucket was created with Object Lock (asked once per process)."""
        if self._bucket_locks is None:
            from botocore.exceptions import ClientError

            try:
                answer = self.client.get_object_lock_configuration(Bucket=self.bucket_name)
            except ClientError:
                answer = {}  # ObjectLockConfigurationNotFoundError: a bucket without Object Lock
            enabled = answer.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
            self._bucket_locks = enabled
        return self._bucket_locks

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        params: dict[str, Any] = super().get_object_parameters(name)
        if self.object_lock_mode and self.bucket_has_object_lock():
            params["ObjectLockMode"] = self.object_lock_mode
            params["ObjectLockRetainUntilDate"] = datetime.now(UTC) + timedelta(days=self.object_lock_days)
        return params

    def delete(self, name: str) -> None:
        raise StoredFileProtected(DELETE_REFUSED.format(name=name))

    def destroy(self, name: str) -> None:
        """Remove every version of the object (a plain DELETE would only hide it behind a delete marker).

        GOVERNANCE retention is bypassed (the destruction certificate is the authority); COMPLIANCE
        retention cannot be, and is refused with its date.
        """
        from botocore.exceptions import ClientError

        key = self.key_for(name)
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket_name, Prefix=key):
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                if entry["Key"] != key:
                    continue
                try:
                    self.client.delete_object(Bucket=self.bucket_name, Key=key, VersionId=entry["VersionId"],
                                              BypassGovernanceRetention=True)
                except ClientError as problem:
                    if problem.response.get("Error", {}).get("Code") != "AccessDenied":
                        raise
                    head = self.client.head_object(Bucket=self.bucket_name, Key=key, VersionId=entry["VersionId"])
                    raise StoredFileProtected(LOCKED_UNTIL.format(
                        name=name, mode=head.get("ObjectLockMode", "retention"),
                        until=head.get("ObjectLockRetainUntilDate", "a later date"))) from None

    def walk(self) -> Iterator[tuple[str, int]]:
        """(name, size) of every stored object under the prefix, in key order."""
        prefix = f"{self.location.strip('/')}/" if self.location else ""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket_name, Prefix=prefix):
            for entry in page.get("Contents", []):
                yield entry["Key"][len(prefix):], int(entry["Size"])

    def put_exact(self, name: str, stream: Any) -> None:
        """Write `stream` under exactly `name` (moving or restoring files whose names rows already hold).

        Callers check first that nothing else is stored under the name; the normal save path picks a
        fresh name instead.
        """
        params = self._get_write_parameters(self.key_for(name))
        self.bucket.Object(self.key_for(name)).upload_fileobj(stream, ExtraArgs=params, Config=self.transfer_config)

    def check_reachable(self) -> None:
        """Refuse clearly when the bucket cannot be reached or does not exist."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket_name)
        except (ClientError, BotoCoreError) as problem:
            raise ChartdeskError(
                f"The bucket {self.bucket_name!r} at {self.endpoint_url or 'AWS S3'} cannot be used: {problem}."
            ) from None


def stored_sha256(storage: Any, name: str) -> str | None:
    """The SHA-256 of what `storage` holds under `name`, or None when nothing is stored there."""
    if not storage.exists(name):
        return None
    with storage.open(name, "rb") as stored:
        return sha256_of_stream(stored)
