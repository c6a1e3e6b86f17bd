"""Fixtures every test can use: users for each role, patients, a client signed in as a role, and
the real code-set subset of tests/support/codesets.py in every test database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("CHARTDESK_FAST_PASSWORD_HASHER", "1")

pytest_plugins = ["tests.support.fixtures", "tests.support.s3_server"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    from tests.support.codesets import load_test_code_sets

    with django_db_blocker.unblock():
        load_test_code_sets()
    yield
