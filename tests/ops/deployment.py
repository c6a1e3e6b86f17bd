"""A throwaway Chartdesk installation driven through the real `chartdesk` command in subprocesses.

Operational commands (serve, backup, restore, demo data) act on a whole database, which the
in-process test database cannot stand for: a restore replaces it, a server needs it committed. So
these tests get their own database (a SQLite file, or a fresh database in the test PostgreSQL
cluster) and their own data folder, and run `python -m chartdesk ...` against them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ON_POSTGRES = os.environ.get("CHARTDESK_TEST_DB") == "postgres"


@dataclass
class Deployment:
    root: Path
    database_url: str
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("CHARTDESK_")}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update(
            CHARTDESK_DATABASE_URL=self.database_url,
            CHARTDESK_VAR_DIR=str(self.root / "var"),
            CHARTDESK_DATA_DIR=str(self.data_dir),
            CHARTDESK_FAST_PASSWORD_HASHER="1",
            PYTHONUNBUFFERED="1",
            # Off unless a test turns it on: a restore is reported by `audit verify` until acknowledged
            # (tests/ops/test_restore_checkpoints.py), which most restore tests are not about.
            CHARTDESK_AUDIT_CHECKPOINT_PATH="",
        )
        env.update(self.extra_env)
        return env

    def chartdesk(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run `chartdesk <args>` against this installation; with check, fail loudly on a non-zero exit."""
        result = subprocess.run(
            [sys.executable, "-m", "chartdesk", *args],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"chartdesk {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
            )
        return result

    def python(self, code: str, timeout: float = 300) -> str:
        """Run Python with Django set up against this installation; returns what it printed."""
        prelude = "import django, os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'chartdesk.settings')\n"
        result = subprocess.run(
            [sys.executable, "-c", prelude + "django.setup()\n" + code],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise AssertionError(f"script exited {result.returncode}\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def migrate(self) -> None:
        self.chartdesk("migrate", "--no-input", "-v", "0")

    def verify_audit_chain(self) -> str:
        """`chartdesk audit verify` once the audit command exists; the chain check itself until then."""
        import importlib.util

        try:
            has_command = importlib.util.find_spec("chartdesk.audit.management.commands.audit") is not None
        except ModuleNotFoundError:
            has_command = False
        if has_command:
            return self.chartdesk("audit", "verify").stdout
        return self.python(
            "from chartdesk.core.backup import verify_audit_chain\n"
            "report = verify_audit_chain()\n"
            "assert report.intact, report.problem\n"
            "print(f'audit chain intact: {report.events_checked} events')\n"
        )


def sqlite_deployment(root: Path, template: Path | None = None) -> Deployment:
    """A SQLite installation in `root`: empty, or starting as a copy of the database file `template`."""
    root.mkdir(parents=True, exist_ok=True)
    database = root / "chartdesk.sqlite3"
    if template is not None:
        shutil.copyfile(template, database)
    return Deployment(root, f"sqlite:///{database}")


def postgres_deployment(root: Path, template: str | None = None) -> tuple[Deployment, str]:
    """A new database in the test cluster (empty, or a copy of `template`); returns it and its name."""
    import psycopg

    cluster_url = os.environ["CHARTDESK_DATABASE_URL"]
    name = f"chartdesk_ops_{uuid.uuid4().hex[:12]}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(_with_database(cluster_url, "postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"{copy_of}')
    root.mkdir(parents=True, exist_ok=True)
    return Deployment(root, _with_database(cluster_url, name)), name


def drop_postgres_database(name: str) -> None:
    import psycopg

    with psycopg.connect(_with_database(os.environ["CHARTDESK_DATABASE_URL"], "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningServer:
    """`chartdesk serve` in a subprocess, answering on base_url once started."""

    deployment: Deployment
    process: subprocess.Popen[str]
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)  # gunicorn's workers finish their requests first
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(deployment: Deployment, *, serve_options: Sequence[str] = (),
                 startup_timeout: float = 60) -> RunningServer:
    """Start `python -m chartdesk serve [serve_options]` on a free port and wait until /healthz answers."""
    import time
    import urllib.error
    import urllib.request

    port = free_port()
    log_path = deployment.root / f"server-{port}.log"
    log = open(log_path, "w")  # handed to the server, which writes to it for its whole life
    process = subprocess.Popen(
        [sys.executable, "-m", "chartdesk", "serve", "--host", "127.0.0.1", "--port", str(port), *serve_options],
        env=deployment.env,
        cwd=deployment.root,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log.close()
    server = RunningServer(deployment, process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"chartdesk serve exited {process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    server.stop()
    raise AssertionError(f"chartdesk serve {' '.join(serve_options)} did not answer within {startup_timeout}s:\n"
                         f"{server.log()}")
