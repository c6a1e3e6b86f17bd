"""`audit verify` starts from the last verified point, so a nightly run reads only the day's events
(issue 19, §2); `audit verify --full` still walks everything and finds tampering before that point."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chartdesk.audit.models import AuditEvent
from chartdesk.audit.verify import VERIFIED, last_verified_point
from tests.audit.attacks import TABLE, drop_triggers, sql, write_events

pytestmark = pytest.mark.django_db


def verify(*options: str) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *options, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def broken(*options: str) -> str:
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", *options, stdout=io.StringIO(), stderr=io.StringIO())
    assert failure.value.returncode == 1
    return str(failure.value)


def last_check() -> AuditEvent:
    return AuditEvent.objects.filter(object_type=VERIFIED).order_by("sequence").last()


def test_a_successful_check_records_the_sealed_point_it_verified_up_to():
    events = write_events(4)

    verify()

    check = last_check()
    assert check.detail["verified_through"] == events[-1].sequence
    assert check.detail["verified_hash"] == events[-1].entry_hash
    point = last_verified_point()
    assert (point.sequence, point.hash, point.event) == (events[-1].sequence, events[-1].entry_hash, check.sequence)


def test_the_next_run_reads_only_the_events_recorded_since():
    write_events(5)
    verify()
    first_check = last_check().sequence
    write_events(3)

    out = verify()

    # The first check's own event and the three new ones: four read, none of the earlier ones.
    total = AuditEvent.objects.count() - 1  # the second check's event is written after it verified
    assert out.startswith(f"audit chain intact: {total} events (4 checked after event #{first_check - 1},")
    assert last_check().detail["events_checked"] == 4
    assert last_check().detail["from_sequence"] == first_check
    assert last_check().detail["verified_through"] == total


def test_tampering_after_the_last_verified_point_is_caught_by_the_incremental_run():
    write_events(3)
    verify()
    target = write_events(3)[1].sequence
    drop_triggers()
    sql(f"UPDATE {TABLE} SET username = 'someone-else' WHERE sequence = %s", [target])

    message = broken()

    assert f"BROKEN at event #{target}: event #{target} was altered after it was written" in message
    assert "verified_through" not in last_check().detail  # a failed check moves the verified point nowhere


def test_tampering_before_the_last_verified_point_is_left_to_the_full_run_and_caught_there():
    target = write_events(4)[1].sequence
    verify()
    drop_triggers()
    sql(f"UPDATE {TABLE} SET username = 'someone-else' WHERE sequence = %s", [target])

    assert "audit chain intact" in verify()  # what was verified before is trusted, not reread
    message = broken("--full")

    assert f"BROKEN at event #{target}: event #{target} was altered after it was written" in message


def test_the_event_the_last_check_ended_at_must_still_be_the_one_it_verified():
    end = write_events(3)[-1].sequence
    verify()
    drop_triggers()
    sql(f"UPDATE {TABLE} SET entry_hash = %s WHERE sequence = %s", ["f" * 64, end])

    message = broken()

    assert f"BROKEN at event #{end}: event #{end}, verified intact on" in message
    assert "changed before the last verified point" in message


def test_a_forged_verification_record_is_refused_not_trusted():
    write_events(3)
    verify()
    check = last_check()
    drop_triggers()
    # Someone without the key moves the verified point forward to skip events they changed.
    forged = {"verified_through": 1, "verified_hash": "0" * 64, "verified_at": "x", "verified_seal": "0" * 64}
    sql(f"UPDATE {TABLE} SET detail = %s WHERE sequence = %s", [json.dumps(forged), check.sequence])

    message = broken()

    assert f"BROKEN at event #{check.sequence}: the record of a verification in event #{check.sequence} is not " \
           "sealed with the audit key" in message


def test_full_walks_every_event_and_records_its_point_too():
    write_events(4)
    verify()
    write_events(2)

    out = verify("--full")

    total = AuditEvent.objects.count() - 1
    assert out == f"audit chain intact: {total} events\n"
    assert (last_check().detail["events_checked"], last_check().detail["from_sequence"]) == (total, 1)


def test_events_recorded_while_the_check_runs_are_left_for_the_next_one(monkeypatch):
    """A live system keeps writing during the nightly check: the walk stops at the head it started
    from, instead of reading newer events against an older head and calling them deleted."""
    from chartdesk.audit import verify as verify_module

    write_events(3)
    real_rows = verify_module.chain_rows

    def rows_while_others_write(*args, **kwargs):
        write_events(2)  # committed by other processes after the head was read
        yield from real_rows(*args, **kwargs)

    monkeypatch.setattr(verify_module, "chain_rows", rows_while_others_write)
    head_before = AuditEvent.objects.count()

    assert verify("--full") == f"audit chain intact: {head_before} events\n"
    assert last_check().detail["verified_through"] == head_before


def test_fewer_than_one_worker_is_refused_and_nothing_is_recorded():
    write_events(2)
    before = AuditEvent.objects.count()

    assert broken("--workers", "0") == "--workers must be 1 or more; 0 is not."
    assert AuditEvent.objects.count() == before


def test_a_broken_chain_is_named_the_same_with_several_workers_asked_for():
    events = write_events(5)
    drop_triggers()
    sql(f"UPDATE {TABLE} SET username = 'someone else' WHERE sequence = %s", [events[2].sequence])

    assert broken("--full", "--workers", "4") == broken("--full", "--workers", "1")
    assert f"BROKEN at event #{events[2].sequence}:" in broken("--full", "--workers", "3")
