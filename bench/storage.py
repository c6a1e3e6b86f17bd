"""Object-storage throughput: stored files written to and read back from an S3-compatible bucket
through Chartdesk's store (core/storage.py, django-storages/boto3), reads checked by SHA-256 as the
desk checks them.

The server is moto in server mode on loopback, in its own process: the figure is the path through
Chartdesk, boto3 and HTTP on one machine, not a cloud bucket's bandwidth. Besides bench/results/
storage.json, the keys are merged into bench/results/scale.json (read-modify-write: other modules
write other keys there). `python -m bench.run_all storage` runs it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
FILE_MB = 4
FILES = 48


def _start_moto() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()  # noqa: S310 (loopback)
            return process, endpoint
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("moto.server did not start")


def run() -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chartdesk.settings")
    django.setup()
    import boto3
    from django.core.files.base import ContentFile

    from chartdesk.core.storage import RecordS3Storage, sha256_of_stream
    from chartdesk.core.storage_config import default_storage_config

    process, endpoint = _start_moto()
    try:
        credentials = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
        os.environ.update(credentials)
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=bucket, ObjectLockEnabledForBucket=True)
        env = {"CHARTDESK_STORAGE_URL": f"s3://{bucket}/records", "CHARTDESK_S3_ENDPOINT_URL": endpoint}
        store = RecordS3Storage(**default_storage_config(env, Path("unused"))["OPTIONS"])
        # Scan-like payloads: random bytes do not compress, as PDFs and images mostly do not.
        payloads = [os.urandom(FILE_MB * 1024 * 1024) for _ in range(FILES)]
        digests = [hashlib.sha256(payload).hexdigest() for payload in payloads]

        started = time.perf_counter()
        names = [store.save(f"documents/sha256/{digest}.pdf", ContentFile(payload))
                 for digest, payload in zip(digests, payloads, strict=True)]
        put_seconds = time.perf_counter() - started

        started = time.perf_counter()
        for name, digest in zip(names, digests, strict=True):
            with store.open(name, "rb") as stored:
                if sha256_of_stream(stored) != digest:
                    raise RuntimeError(f"{name} came back with other bytes")
        get_seconds = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=10)

    megabytes = FILES * FILE_MB
    result = {
        "storage_put_mb_per_s": round(megabytes / put_seconds, 1),
        "storage_get_mb_per_s": round(megabytes / get_seconds, 1),
        "storage_setup": (
            f"{FILES} files of {FILE_MB} MiB through RecordS3Storage (django-storages + boto3, Object Lock "
            f"GOVERNANCE retention on each put; gets verified by SHA-256) against moto {_moto_version()} in "
            f"server mode on loopback, one client thread, {platform.python_implementation()} "
            f"{platform.python_version()}, {os.cpu_count()} CPUs shared"
        ),
    }
    _merge_into_scale(result)
    return result


def _moto_version() -> str:
    from importlib.metadata import version

    return version("moto")


def _merge_into_scale(result: dict[str, Any]) -> None:
    path = RESULTS / "scale.json"
    merged = json.loads(path.read_text()) if path.exists() else {}
    merged.update(result)
    path.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
