"""Shared fixtures: personas (one user per role), synthetic patients and signed-in clients."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.support import factories


@pytest.fixture(autouse=True)
def _isolated_data_dir(settings: Any) -> Iterator[Path]:
    """Each test stores uploaded files in its own folder."""
    with tempfile.TemporaryDirectory(prefix="chartdesk-data-") as folder:
        settings.DATA_DIR = Path(folder)
        # Audit checkpoints of one test must not be read by another's `audit verify`.
        settings.AUDIT_CHECKPOINT_PATH = str(Path(folder) / "audit-checkpoints.jsonl")
        settings.MEDIA_ROOT = folder
        # A model trained by one test (or on this machine) must not be what another test matches with.
        settings.MPI_MODEL_PATH = Path(folder) / "mpi_model.json"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "chartdesk.core.storage.RecordFileSystemStorage", "OPTIONS": {"location": folder}},
        }
        yield Path(folder)


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    return factories.make_user


@pytest.fixture
def users(db: Any) -> dict[str, Any]:
    """One user per role, keyed by role slug."""
    return factories.users_by_role()


@pytest.fixture
def patient(db: Any) -> Any:
    return factories.make_patient()


@pytest.fixture
def client_for(db: Any) -> Callable[[Any], Client]:
    def signed_in(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return signed_in


@pytest.fixture
def run_jobs(db: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """run_jobs() runs every background job that is due, as `chartdesk worker --batch` would: the
    library's own worker loop claims each task from the database queue and runs it. Returns how many
    task results ran. A failed attempt's retry is queued for the next call.

    The test's transaction never commits, so two things a real worker meets are done here instead:
    the on-commit hand-over to the queue (the worker's own start-up sweep, `enqueue_waiting`), and the
    worker's connection check between tasks, which would close a connection held inside a transaction
    (the test's), and is left out."""
    from django_tasks_db.management.commands import db_worker

    from chartdesk.jobs.actions import enqueue_waiting

    settings.JOB_RETRY_SECONDS = 0  # a retry is due at once, so the next call runs it
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run() -> int:
        enqueue_waiting()
        worker = db_worker.Worker(queue_names=["default"], interval=0, batch=True, backend_name="default",
                                  startup_delay=False, max_tasks=None, worker_id="test-worker",
                                  excluded_queue_names=[])
        worker.run()
        return worker._run_tasks

    return run
