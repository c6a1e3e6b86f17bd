"""A real streaming standby of the test PostgreSQL cluster, and a desk served by several processes.

The standby is what production runs beside the primary: `pg_basebackup -R` copies the primary through
its replication connection and writes the settings that make the copy follow it; started on its own
port on loopback it replays the primary's WAL and answers read-only queries.
"""

from __future__ import annotations

import os
import re
import time
from urllib.parse import parse_qs, urlsplit

import requests

from tests.ops.deployment import Deployment, RunningServer, free_port, start_server
from tests.support.pg_plugin import ThrowawayCluster

PASSWORD = "a long enough password"


def primary_socket_dir() -> str:
    return parse_qs(urlsplit(os.environ["CHARTDESK_DATABASE_URL"]).query)["host"][0]


class Standby(ThrowawayCluster):
    """A hot standby of the primary, streaming from it over its Unix socket, answering on 127.0.0.1."""

    def start(self) -> str:
        self._run(str(self.bin_dir / "pg_basebackup"), "-h", primary_socket_dir(), "-U", "chartdesk",
                  "-D", str(self.data), "-R", "-X", "stream", "-c", "fast")
        self.port = free_port()
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c hot_standby=on")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l",
                  str(self.root / "log"), "start")
        return f"postgres://chartdesk@127.0.0.1:{self.port}"

    def url_for(self, database: str) -> str:
        return f"postgres://chartdesk@127.0.0.1:{self.port}/{database}"

    def sql(self, database: str, statement: str) -> object:
        import psycopg

        with psycopg.connect(self.url_for(database), autocommit=True) as connection:
            row = connection.execute(statement).fetchone()
            return row[0] if row else None

    def catch_up(self, primary_url: str, database: str, timeout: float = 30) -> None:
        """Wait until the standby has replayed everything the primary has written so far."""
        import psycopg

        with psycopg.connect(primary_url, autocommit=True) as primary:
            target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sql(database, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
                return
            time.sleep(0.1)
        raise AssertionError(f"the standby did not replay up to {target} within {timeout}s")


def serve(deployment: Deployment, workers: int, startup_timeout: float = 90) -> RunningServer:
    """`chartdesk serve --workers N` in a subprocess, with gunicorn's access log (one line per request,
    with the worker's process id)."""
    return start_server(deployment, serve_options=["--workers", str(workers), "--threads", "2"],
                        startup_timeout=startup_timeout)


def add_user(deployment: Deployment, username: str, role: str) -> None:
    deployment.python(
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.models import Group\n"
        "from chartdesk.accounts.roles import group_name\n"
        f"user = get_user_model().objects.create_user({username!r}, password={PASSWORD!r})\n"
        f"user.groups.add(Group.objects.get(name=group_name({role!r})))\n"
    )


def signed_in(base_url: str, username: str) -> requests.Session:
    session = requests.Session()
    # A new connection per request, as many browsers behind a load balancer are: each is taken by
    # whichever worker process accepts it first.
    session.headers["Connection"] = "close"
    session.get(f"{base_url}/accounts/login/", timeout=30)
    answer = session.post(f"{base_url}/accounts/login/", timeout=30, allow_redirects=False,
                          data={"username": username, "password": PASSWORD,
                                "csrfmiddlewaretoken": session.cookies["csrftoken"]})
    assert answer.status_code == 302, f"log-in as {username} answered {answer.status_code}"
    return session


def active_patients_shown(page: str) -> int:
    found = re.search(r"Active patients</th>\s*<td[^>]*>\s*(\d+)", page)
    assert found, "the home page shows no active-patient count"
    return int(found.group(1))
