"""A database on a throwaway PostgreSQL cluster on loopback, for the benchmarks that measure both
engines (the test suite's own cluster, tests/support/pg_plugin.py, started the same way)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ThrowawayDatabase:
    url: str  # CHARTDESK_DATABASE_URL of the new, empty database
    bin_dir: Path  # PostgreSQL's programs (initdb, postgres): a benchmark names the version it ran on


@contextmanager
def throwaway_database(what: str, name: str = "chartdesk_bench") -> Iterator[ThrowawayDatabase | None]:
    """An empty database `name` on a cluster that stops when the block ends; None, and a line saying
    the PostgreSQL figures of `what` are skipped, where PostgreSQL is not installed."""
    from tests.support.pg_plugin import ThrowawayCluster, postgres_bin_dir

    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        print(f"{what}: PostgreSQL SKIPPED: initdb/pg_ctl not found (apt-get install postgresql)", flush=True)
        yield None
        return
    import psycopg

    cluster = ThrowawayCluster(bin_dir)
    url = cluster.start()
    try:
        with psycopg.connect(host=str(cluster.socket_dir), user="chartdesk", dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        yield ThrowawayDatabase(url.replace("/chartdesk_test?", f"/{name}?"), Path(bin_dir))
    finally:
        cluster.stop()
