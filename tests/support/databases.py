"""Markers for the few tests that only mean something on one database engine."""

import os

import pytest

ON_POSTGRES = os.environ.get("CHARTDESK_TEST_DB") == "postgres"

sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="checks SQLite behaviour; this run is on PostgreSQL")
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="checks PostgreSQL behaviour; this run is on SQLite")
