"""`chartdesk serve --workers N` with Django's PostgreSQL pool (CHARTDESK_DB_POOL_MAX): each worker
process must talk to the database over connections of its own. The checks before serving open the
pool in the master; a worker that inherited it shared its socket with its siblings, and requests
failed with another request's results (found by the load test, bench/load_test.py)."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pytest

from tests.ops.standby import PASSWORD, serve, signed_in
from tests.ops.test_backup_restore import register_patient
from tests.ops.test_scale_postgres import primary_count
from tests.support.databases import postgres_only

pytestmark = [postgres_only, pytest.mark.timeout(600)]


def _read_pages(base_url: str, username: str, pages: list[str], rounds: int) -> list[int]:
    session = signed_in(base_url, username)
    return [session.get(f"{base_url}{page}", timeout=60).status_code for _ in range(rounds) for page in pages]


def test_pooled_workers_answer_concurrent_requests_over_connections_of_their_own(installation):
    clients, rounds = 6, 6
    installation.python(  # one process for all the accounts: each start of Django costs seconds
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.models import Group\n"
        "from chartdesk.accounts.roles import group_name\n"
        f"for number in range({clients}):\n"
        f"    user = get_user_model().objects.create_user(f'pool-reader{{number}}', password={PASSWORD!r})\n"
        "    user.groups.add(Group.objects.get(name=group_name('him_manager')))\n")
    register_patient(installation, "Pia", "Pooled")
    patient_id = primary_count(installation, "SELECT id FROM patients_patient")
    installation.extra_env["CHARTDESK_DB_POOL_MAX"] = "2"
    desk = serve(installation, workers=2)
    try:
        pages = [f"/charts/patient/{patient_id}/", "/patients/?q=Pooled", "/"]
        with ProcessPoolExecutor(max_workers=clients) as pool:
            answers = list(pool.map(_read_pages, [desk.base_url] * clients,
                                    [f"pool-reader{number}" for number in range(clients)],
                                    [pages] * clients, [rounds] * clients))
    finally:
        desk.stop()

    assert answers == [[200] * (rounds * len(pages))] * clients, desk.log()[-3000:]
    assert "Internal Server Error" not in desk.log()
    # Every chart view was audited, whichever worker and pooled connection served it.
    assert primary_count(installation, "SELECT count(*) FROM audit_auditevent WHERE action = 'view' "
                                       f"AND object_type = 'patient' AND patient_id = {patient_id} "
                                       "AND username LIKE 'pool-reader%%'") == clients * rounds
