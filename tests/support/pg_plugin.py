"""Run the suite on a throwaway PostgreSQL cluster when CHARTDESK_TEST_DB=postgres.

Loaded with `-p tests.support.pg_plugin` (see pyproject.toml) so that it runs before pytest-django
reads the settings: it starts a cluster in a temporary folder on a Unix socket, points
CHARTDESK_DATABASE_URL at it, and stops and removes it when the run ends.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def postgres_bin_dir() -> Path | None:
    """Debian puts initdb and pg_ctl under /usr/lib/postgresql/<version>/bin, not on PATH."""
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


class ThrowawayCluster:
    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="chartdesk-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.socket_dir.mkdir()
        self._run_as = [] if os.geteuid() != 0 else self._postgres_user_prefix()

    def _postgres_user_prefix(self) -> list[str]:
        # initdb refuses to run as root: run the cluster as the 'postgres' system user when we are root.
        shutil.chown(self.root, "postgres")
        shutil.chown(self.socket_dir, "postgres")
        return ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._run_as, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> str:
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "chartdesk", "-A", "trust", "-E", "UTF8")
        options = f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l",
                  str(self.root / "log"), "start")
        return f"postgres://chartdesk@/chartdesk_test?host={self.socket_dir}"

    def stop(self) -> None:
        try:
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    # Test users need no slow password hashing; this must be set before the settings load.
    os.environ.setdefault("CHARTDESK_FAST_PASSWORD_HASHER", "1")
    if os.environ.get("CHARTDESK_TEST_DB") != "postgres":
        return
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the controller started the cluster and exported its URL to the workers
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise pytest.UsageError("CHARTDESK_TEST_DB=postgres but no initdb/pg_ctl was found")
    cluster = ThrowawayCluster(bin_dir)
    url = cluster.start()
    atexit.register(cluster.stop)
    os.environ["CHARTDESK_DATABASE_URL"] = url
    os.environ["CHARTDESK_PG_BIN"] = str(bin_dir)
