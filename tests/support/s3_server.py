"""A real S3-compatible server (moto in server mode) on loopback, for the object-storage tests.

Started once per test session in its own process on a free port, the first time a test asks for it,
and stopped at the end. Where it cannot start the tests that need it are skipped with the reason;
CHARTDESK_REQUIRE_S3=1 (set by .ci/run) turns that skip into a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@dataclass
class S3Server:
    endpoint_url: str

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def new_bucket(self, *, object_lock: bool = False) -> str:
        name = f"chartdesk-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name, ObjectLockEnabledForBucket=object_lock)
        return name

    def env(self, bucket: str, prefix: str = "records") -> dict[str, str]:
        """The environment that points a Chartdesk process at `bucket`."""
        return {"CHARTDESK_STORAGE_URL": f"s3://{bucket}/{prefix}", "CHARTDESK_S3_ENDPOINT_URL": self.endpoint_url,
                **CREDENTIALS}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unavailable(reason: str) -> None:
    if os.environ.get("CHARTDESK_REQUIRE_S3") == "1":
        pytest.fail(f"CHARTDESK_REQUIRE_S3=1 but the S3 test server cannot start: {reason}", pytrace=False)
    pytest.skip(f"object-storage tests skipped: the S3 test server cannot start ({reason}); "
                "`make install` brings moto[server]")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    try:
        import moto.server  # noqa: F401
    except ImportError as problem:
        _unavailable(f"moto[server] is not installed: {problem}")
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            if process.poll() is not None:
                _unavailable(f"moto.server exited {process.returncode}: {process.stderr.read().decode()[-300:]}")
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()  # noqa: S310 (loopback)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    _unavailable("moto.server did not answer within 30 s")
                time.sleep(0.2)
        for key, value in CREDENTIALS.items():
            os.environ.setdefault(key, value)
        yield S3Server(endpoint)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def s3_storage(s3_server: S3Server, settings: Any) -> Iterator[tuple[S3Server, str]]:
    """This test's default storage is a fresh Object-Lock bucket on the S3 server; yields (server, bucket)."""
    from pathlib import Path

    from chartdesk.core.storage_config import default_storage_config

    bucket = s3_server.new_bucket(object_lock=True)
    settings.STORAGES = {**settings.STORAGES,
                         "default": default_storage_config(s3_server.env(bucket), Path(settings.DATA_DIR))}
    yield s3_server, bucket
