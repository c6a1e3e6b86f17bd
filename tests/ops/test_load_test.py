"""The department load test (bench/load_test.py) kept from rotting: its locustfile, run for a few seconds
by a few users against the desk under gunicorn on a small demo population, logs in, reaches every page
kind and gets no error, so a page that moved, a permission that changed or a log-in flow that broke
shows here rather than as a meaningless benchmark figure."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.load_test import PAGE_KINDS, prepare_in_child, run_locust

from tests.ops.standby import serve
from tests.support.databases import postgres_only

pytestmark = [postgres_only, pytest.mark.timeout(600)]


def test_the_locustfile_reaches_every_page_kind_without_an_error(installation, tmp_path: Path):
    installation.extra_env["CHARTDESK_MODE"] = "demo"
    # No code sets: the pages are what is tested, and loading ICD-10-CM alone takes minutes.
    installation.chartdesk("demo-data", "--patients", "40", "--seed", "19")
    plan = prepare_in_child(installation.env, tmp_path / "plan.json", bulk_patients=200)
    desk = serve(installation, workers=2)
    try:
        # As many users as the classes' weights add up to (5+3+1+1+1), so locust spawns every class.
        run = run_locust(desk.base_url, tmp_path / "plan.json", tmp_path, users=11, seconds=15, spawn_rate=11,
                         env=installation.env, wait="0.1,0.3")
    finally:
        desk.stop()

    assert run.failures == 0, run.failure_messages
    requested = {kind: page.requests for kind, page in run.pages.items()}
    assert {kind for kind in PAGE_KINDS if requested.get(kind, 0) == 0} == set(), requested
    # Each of the ten desk users fetched the log-in form and posted it once; the API client took one token.
    assert requested["login_form"] == 10 and requested["login"] == 10 and requested["fhir_token"] == 1
    assert run.requests_per_s > 0 and run.pages["chart"].p95_ms > 0
    assert len(plan["coding_encounter_ids"]) > 0
