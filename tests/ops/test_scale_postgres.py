"""PostgreSQL at scale and several app processes (issue 19, §§2-3), against real servers: a streaming
standby started from the test cluster with pg_basebackup, and the desk under gunicorn with several
worker processes, each test on its own database copied from the migrated template."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import psycopg
import pytest

from tests.ops.deployment import Deployment
from tests.ops.standby import Standby, active_patients_shown, add_user, serve, signed_in
from tests.ops.test_backup_restore import register_patient
from tests.support.databases import postgres_only
from tests.support.pg_plugin import postgres_bin_dir

pytestmark = [postgres_only, pytest.mark.timeout(300)]


@pytest.fixture(scope="session")
def standby() -> Iterator[Standby]:
    bin_dir = postgres_bin_dir()
    if bin_dir is None or not (bin_dir / "pg_basebackup").exists():
        message = "pg_basebackup not found (apt-get install postgresql): no standby to test the replica router"
        if os.environ.get("CHARTDESK_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    cluster = Standby(bin_dir)
    cluster.start()
    yield cluster
    cluster.stop()


def database_of(deployment: Deployment) -> str:
    return deployment.database_url.split("?")[0].rsplit("/", 1)[1]


def primary_count(deployment: Deployment, statement: str) -> int:
    with psycopg.connect(deployment.database_url, autocommit=True) as connection:
        return int(connection.execute(statement).fetchone()[0])


def test_report_pages_read_from_the_standby_and_every_other_page_from_the_primary(installation, standby):
    name = database_of(installation)
    installation.extra_env["CHARTDESK_REPLICA_URL"] = standby.url_for(name)
    add_user(installation, "ops-manager", "him_manager")
    register_patient(installation, "Ada", "Firstcomer")  # also makes the registrar ops-clerk
    desk = serve(installation, workers=2)
    try:
        manager = signed_in(desk.base_url, "ops-manager")
        clerk = signed_in(desk.base_url, "ops-clerk")
        standby.catch_up(installation.database_url, name)
        assert active_patients_shown(manager.get(f"{desk.base_url}/", timeout=30).text) == 1

        # The standby stops replaying: from now on it is behind the primary, visibly.
        standby.sql(name, "SELECT pg_wal_replay_pause()")
        register_patient(installation, "Bea", "Latecomer")
        home = manager.get(f"{desk.base_url}/", timeout=30)

        assert home.status_code == 200
        assert active_patients_shown(home.text) == 1  # the report read the standby
        assert primary_count(installation, "SELECT count(*) FROM patients_patient") == 2
        # Any page outside the reports reads the primary: the registrar finds the new patient at once.
        search = clerk.get(f"{desk.base_url}/patients/", params={"q": "Latecomer"}, timeout=30)
        assert search.status_code == 200 and "Latecomer" in search.text
        # The log-ins and the search were audited on the primary while the standby stood still.
        assert primary_count(installation, "SELECT count(*) FROM audit_auditevent WHERE action = 'search' "
                                           "AND username = 'ops-clerk'") == 1

        standby.sql(name, "SELECT pg_wal_replay_resume()")
        standby.catch_up(installation.database_url, name)
        assert active_patients_shown(manager.get(f"{desk.base_url}/", timeout=30).text) == 2
    finally:
        standby.sql(name, "SELECT pg_wal_replay_resume()")
        desk.stop()
    assert "verified" not in installation.chartdesk("audit", "verify", "--full").stderr
    assert "audit chain intact" in installation.chartdesk("audit", "verify", "--full").stdout


def _view_chart_repeatedly(base_url: str, username: str, chart: str, times: int) -> list[int]:
    session = signed_in(base_url, username)
    return [session.get(f"{base_url}{chart}", timeout=60).status_code for _ in range(times)]


def test_many_processes_writing_at_once_leave_one_unbroken_audit_chain(installation):
    clients, views_each, workers = 8, 8, 4
    for number in range(clients):
        add_user(installation, f"ops-reader{number}", "him_manager")
    register_patient(installation, "Cy", "Watched")
    patient_id = primary_count(installation, "SELECT id FROM patients_patient")
    desk = serve(installation, workers=workers)
    try:
        with ProcessPoolExecutor(max_workers=clients) as pool:
            answers = list(pool.map(_view_chart_repeatedly, [desk.base_url] * clients,
                                    [f"ops-reader{number}" for number in range(clients)],
                                    [f"/charts/patient/{patient_id}/"] * clients, [views_each] * clients))
    finally:
        desk.stop()

    assert answers == [[200] * views_each] * clients
    # Every view of the chart is one event, whichever process served it, and the chain has no gap or fork.
    views = primary_count(installation, "SELECT count(*) FROM audit_auditevent WHERE action = 'view' "
                                        f"AND object_type = 'patient' AND patient_id = {patient_id} "
                                        "AND username LIKE 'ops-reader%%'")
    assert views == clients * views_each
    assert primary_count(installation, "SELECT max(sequence) - count(*) FROM audit_auditevent") == 0
    assert "audit chain intact" in installation.chartdesk("audit", "verify", "--full").stdout
    assert len(re.findall(r"Booting worker with pid", desk.log())) == workers
    served_by = set(re.findall(r"GET /charts/patient/.* 200 .* pid=<(\d+)>$", desk.log(), flags=re.MULTILINE))
    assert len(served_by) > 1, f"one process served every request:\n{desk.log()[-2000:]}"
