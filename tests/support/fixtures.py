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
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": folder}},
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
