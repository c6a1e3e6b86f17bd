"""The audit trail is partitioned by month on PostgreSQL (issue 19, §2): partitions are made ahead by
`audit partitions` and its periodic job, a default partition takes what no month covers, and every
partition, present and future, refuses UPDATE, DELETE and TRUNCATE. SQLite keeps one plain table."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.audit.partitions import (
    DEFAULT_PARTITION,
    TABLE,
    ensure_partitions,
    is_partitioned,
    partition_name,
    partitions,
)
from chartdesk.audit.verify import verify_chain
from chartdesk.jobs.maintenance import AUDIT_PARTITIONS_EVERY, do_schedule_audit_partitions, keep_audit_partitions_ahead
from chartdesk.jobs.models import Job, JobStatus
from tests.audit.attacks import write_events
from tests.support.databases import postgres_only, sqlite_only

pytestmark = pytest.mark.django_db


def partitions_command(*options: str) -> str:
    out = io.StringIO()
    call_command("audit", "partitions", *options, stdout=out)
    return out.getvalue()


def events_at(monkeypatch: pytest.MonkeyPatch, moment: datetime, count: int = 1) -> list[AuditEvent]:
    """Events recorded through record_event as if the clock showed `moment`."""
    with monkeypatch.context() as clock:
        clock.setattr(timezone, "now", lambda: moment)
        return write_events(count)


def partition_of(event: AuditEvent) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE sequence = %s", [event.sequence])
        return cursor.fetchone()[0]


def refused(statement: str) -> str:
    with pytest.raises(DatabaseError) as refusal, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    return str(refusal.value)


def this_month() -> date:
    return datetime.now(UTC).date().replace(day=1)


def months_after(first: date, count: int) -> date:
    index = first.year * 12 + first.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


@postgres_only
def test_the_trail_has_this_months_partition_the_months_ahead_and_a_default_one():
    held = partitions(connection)

    assert is_partitioned(connection)
    for ahead in range(4):
        assert partition_name(months_after(this_month(), ahead)) in held
    assert held[-1] == DEFAULT_PARTITION
    event = write_events(1)[0]
    assert partition_of(event) == partition_name(this_month())


@postgres_only
def test_an_event_no_month_covers_goes_to_the_default_partition_and_the_chain_still_verifies(monkeypatch):
    far = datetime(2093, 5, 17, 9, 30, tzinfo=UTC)
    before, late, after = write_events(1)[0], events_at(monkeypatch, far)[0], write_events(1)[0]

    assert partition_of(late) == DEFAULT_PARTITION
    assert partition_of(before) == partition_of(after) == partition_name(this_month())
    report = verify_chain()
    assert report.intact and report.events_checked == after.sequence


@postgres_only
def test_the_command_creates_the_months_ahead_once():
    first = partitions_command("--ahead", "6")
    again = partitions_command("--ahead", "6")

    made = [partition_name(months_after(this_month(), ahead)) for ahead in (4, 5, 6)]
    assert first.strip() == f"audit partitions created: {', '.join(made)}"
    assert again.strip() == "audit partitions created: none needed"
    assert set(made) <= set(partitions(connection))


def test_a_bad_number_of_months_ahead_is_refused_and_nothing_is_made():
    held = partitions(connection)
    with pytest.raises(CommandError, match=r"--ahead must be between 0 and 120 months; -1 is not"):
        partitions_command("--ahead", "-1")
    with pytest.raises(CommandError, match=r"--ahead must be between 0 and 120 months; 500 is not"):
        partitions_command("--ahead", "500")
    assert partitions(connection) == held


@postgres_only
def test_a_month_whose_events_lie_in_the_default_partition_is_refused_clearly(monkeypatch):
    beyond = months_after(this_month(), 5)  # the migration made three months ahead, not five
    events_at(monkeypatch, datetime(beyond.year, beyond.month, 3, tzinfo=UTC), count=2)
    held = partitions(connection)

    with pytest.raises(CommandError) as refusal:
        partitions_command("--ahead", "6")

    assert f"The default audit partition holds 2 event(s) of {beyond:%Y-%m}" in str(refusal.value)
    assert partitions(connection) == held  # not even the month before it, which was free, was made
    assert verify_chain().intact


@postgres_only
def test_every_partition_present_and_future_refuses_update_delete_and_truncate(monkeypatch):
    ensure_partitions(0, today=date(2090, 7, 1))  # made after the migration, as the job makes them
    with connection.cursor() as cursor:  # made by hand, without the job
        cursor.execute(f"CREATE TABLE audit_by_hand PARTITION OF {TABLE} FOR VALUES FROM ('2089-01-01') "
                       "TO ('2089-02-01')")
    assert ensure_partitions(0).protected == ["audit_by_hand"]
    write_events(1)
    events_at(monkeypatch, datetime(2090, 7, 4, tzinfo=UTC))
    events_at(monkeypatch, datetime(2089, 1, 9, tzinfo=UTC))
    events_at(monkeypatch, datetime(2095, 1, 1, tzinfo=UTC))  # the default partition
    rows = list(AuditEvent.objects.values_list("sequence", "username"))

    checked = []
    for partition in partitions(connection):
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT count(*) FROM "{partition}"')
            if not cursor.fetchone()[0]:
                continue
        assert f"UPDATE on {partition} is refused" in refused(f"UPDATE \"{partition}\" SET username = 'x'")
        assert f"DELETE on {partition} is refused" in refused(f'DELETE FROM "{partition}"')
        assert f"TRUNCATE on {partition} is refused" in refused(f'TRUNCATE "{partition}"')
        checked.append(partition)

    assert set(checked) >= {partition_name(this_month()), "audit_auditevent_y2090m07", "audit_by_hand",
                            DEFAULT_PARTITION}
    # Moving an event to another month is an UPDATE too.
    assert "UPDATE on" in refused(f"UPDATE {TABLE} SET occurred_at = occurred_at + interval '40 days'")
    assert list(AuditEvent.objects.values_list("sequence", "username")) == rows
    assert verify_chain().intact


@postgres_only
def test_the_periodic_job_creates_the_partitions_and_queues_its_next_run(run_jobs):
    ahead = 7
    first = do_schedule_audit_partitions(ahead=ahead)
    assert do_schedule_audit_partitions(ahead=ahead) is None  # one waiting run is enough

    run_jobs()

    first.refresh_from_db()
    assert first.status == JobStatus.SUCCEEDED
    made = [partition_name(months_after(this_month(), months)) for months in (4, 5, 6, 7)]
    assert first.result["created"] == made
    assert set(made) <= set(partitions(connection))
    following = Job.objects.get(task_path=keep_audit_partitions_ahead.module_path, status=JobStatus.QUEUED)
    assert following.arguments == {"ahead": ahead}
    assert abs(following.run_after - (first.started_at + AUDIT_PARTITIONS_EVERY)) < timedelta(minutes=5)


@sqlite_only
def test_sqlite_keeps_one_plain_table_and_says_so():
    write_events(2)

    assert partitions_command().strip() == ("the audit trail is not partitioned on this database "
                                            "(SQLite keeps one plain table)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'audit_auditevent%'")
        assert [row[0] for row in cursor.fetchall()] == [TABLE]
    assert do_schedule_audit_partitions() is None  # nothing to keep ahead: no job is queued
