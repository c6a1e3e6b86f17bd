"""Which storage holds the stored files, read from the environment by settings.py.

Kept free of Django imports: settings.py calls it while the settings are still being built.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DISK_BACKEND = "chartdesk.core.storage.RecordFileSystemStorage"
S3_BACKEND = "chartdesk.core.storage.RecordS3Storage"
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE", "")


class StorageSettingError(ValueError):
    """CHARTDESK_STORAGE_URL or one of its companions cannot be used; the message names which."""


def default_storage_config(env: Mapping[str, str], data_dir: Path) -> dict[str, Any]:
    """The STORAGES["default"] entry: the local data folder, or the bucket CHARTDESK_STORAGE_URL names."""
    url = env.get("CHARTDESK_STORAGE_URL", "").strip()
    if not url:
        return {"BACKEND": DISK_BACKEND, "OPTIONS": {"location": data_dir}}
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise StorageSettingError(
            f"CHARTDESK_STORAGE_URL must look like s3://bucket/prefix, not {url!r}."
        )
    mode = env.get("CHARTDESK_S3_OBJECT_LOCK_MODE", "GOVERNANCE").strip().upper()
    if mode not in LOCK_MODES:
        raise StorageSettingError(
            f"CHARTDESK_S3_OBJECT_LOCK_MODE must be GOVERNANCE, COMPLIANCE or empty, not {mode!r}."
        )
    days_text = env.get("CHARTDESK_S3_OBJECT_LOCK_DAYS", "2557").strip()
    if not days_text.isdigit() or int(days_text) < 1:
        raise StorageSettingError(f"CHARTDESK_S3_OBJECT_LOCK_DAYS must be a whole number of days, not {days_text!r}.")
    endpoint = env.get("CHARTDESK_S3_ENDPOINT_URL", "").strip() or None
    options: dict[str, Any] = {
        "bucket_name": parts.netloc,
        "location": parts.path.strip("/"),
        "endpoint_url": endpoint,
        "region_name": env.get("CHARTDESK_S3_REGION", "").strip() or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        # Unset: boto3's own chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profile, instance role).
        "access_key": env.get("CHARTDESK_S3_ACCESS_KEY_ID") or None,
        "secret_key": env.get("CHARTDESK_S3_SECRET_ACCESS_KEY") or None,
        # S3-compatible servers (MinIO, Ceph, moto) address buckets by path; AWS itself by host name.
        "addressing_style": "path" if endpoint else None,
        "object_lock_mode": mode,
        "object_lock_days": int(days_text),
    }
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}
