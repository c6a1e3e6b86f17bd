"""A migrated installation per test, copied from one migrated once per session (migrating is slow)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ops.deployment import (
    ON_POSTGRES,
    Deployment,
    drop_postgres_database,
    postgres_deployment,
    sqlite_deployment,
)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("template")
    if ON_POSTGRES:
        deployment, name = postgres_deployment(root)
        deployment.migrate()
        yield name
        drop_postgres_database(name)
    else:
        deployment = sqlite_deployment(root)
        deployment.migrate()
        yield root / "chartdesk.sqlite3"


@pytest.fixture
def installation(tmp_path: Path, migrated_template: Any) -> Iterator[Deployment]:
    """A freshly migrated installation: a SQLite file, or a database in the test PostgreSQL cluster."""
    if ON_POSTGRES:
        deployment, name = postgres_deployment(tmp_path / "site", template=migrated_template)
        try:
            yield deployment
        finally:
            drop_postgres_database(name)
    else:
        yield sqlite_deployment(tmp_path / "site", template=migrated_template)
