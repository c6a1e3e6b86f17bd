"""The database router (issue 19, §2): with a replica configured, only reads on a marked read-only path
go there; writes, audit reads and reads anywhere else stay on the primary. The same paths against a
real streaming standby are in tests/ops/test_scale_postgres.py."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import connections

from chartdesk.audit.models import AuditEvent, ChainHead
from chartdesk.charts.models import Document
from chartdesk.core.replica import PRIMARY, REPLICA, ReplicaRouter, reads_from_replica
from chartdesk.jobs.models import Job
from chartdesk.patients.models import Patient

router = ReplicaRouter()


@pytest.fixture
def replica_configured(monkeypatch):
    """A 'replica' alias in the settings, as CHARTDESK_REPLICA_URL adds it (nothing connects to it here)."""
    monkeypatch.setitem(connections.settings, REPLICA, {**connections.settings[PRIMARY], "TEST": {"MIRROR": PRIMARY}})


def test_reads_on_a_read_only_path_go_to_the_replica(replica_configured):
    with reads_from_replica():
        assert router.db_for_read(Patient) == REPLICA
        assert router.db_for_read(Document) == REPLICA


def test_reads_outside_a_read_only_path_stay_on_the_primary(replica_configured):
    assert router.db_for_read(Patient) == PRIMARY


@pytest.mark.parametrize("model", [AuditEvent, ChainHead, Session, Job])
def test_audit_sessions_and_jobs_are_read_from_the_primary_even_on_a_read_only_path(replica_configured, model):
    with reads_from_replica():
        assert router.db_for_read(model) == PRIMARY


@pytest.mark.parametrize("model", [Patient, AuditEvent, ChainHead])
def test_writes_never_go_to_the_replica(replica_configured, model):
    with reads_from_replica():
        assert router.db_for_write(model) == PRIMARY


def test_without_a_replica_a_read_only_path_reads_the_primary():
    assert REPLICA not in connections.settings
    with reads_from_replica():
        assert router.db_for_read(Patient) == PRIMARY


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate(PRIMARY, "patients") is True
    assert router.allow_migrate(REPLICA, "patients") is False
