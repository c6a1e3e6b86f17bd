"""`chartdesk audit verify` catches every way of tampering with the chain, and names the first bad event."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chartdesk.audit.models import AuditEvent, ChainHead
from chartdesk.audit.verify import verify_chain
from tests.audit.attacks import TABLE, drop_triggers, forged_event, move, sql, write_events

pytestmark = pytest.mark.django_db


def verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def broken() -> tuple[int, str]:
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", stdout=io.StringIO())
    return failure.value.returncode, str(failure.value)


def test_an_intact_chain_verifies_and_counts_its_events():
    write_events(6)
    total = AuditEvent.objects.count()

    assert verify() == f"audit chain intact: {total} events\n"
    # The check is itself recorded, and the chain stays intact with it.
    check = AuditEvent.objects.order_by("sequence").last()
    assert (check.action, check.channel, check.detail["events_checked"]) == ("integrity", "cli", total)
    # The next run starts where this one ended: only the check's own event is new.
    assert verify().startswith(f"audit chain intact: {total + 1} events (1 checked after event #{total},")


def test_editing_a_field_of_an_event_names_that_event():
    target = write_events(6)[2].sequence
    drop_triggers()
    sql(f"UPDATE {TABLE} SET username = 'someone-else' WHERE sequence = %s", [target])

    code, message = broken()

    assert code == 1
    assert f"BROKEN at event #{target}" in message
    assert f"event #{target} was altered after it was written" in message


def test_editing_the_detail_or_the_time_is_caught_too():
    target = write_events(4)[1].sequence
    drop_triggers()
    earlier = "occurred_at - interval '1 hour'" if _postgres() else "'2020-01-01 00:00:00'"
    sql(f"UPDATE {TABLE} SET occurred_at = {earlier} WHERE sequence = %s", [target])

    assert f"event #{target} was altered" in broken()[1]


def test_deleting_an_event_names_the_missing_event():
    target = write_events(6)[3].sequence
    drop_triggers()
    sql(f"DELETE FROM {TABLE} WHERE sequence = %s", [target])

    code, message = broken()

    assert code == 1
    assert f"BROKEN at event #{target}" in message
    assert f"event #{target} is missing" in message and "deleted" in message


def test_inserting_a_forged_event_in_the_middle_names_it():
    events = write_events(5)
    target = events[2].sequence
    drop_triggers()
    for event in reversed(events[2:]):  # make room, from the top so no two rows share a number
        move(event.sequence, event.sequence + 1)
    forged_event(target, events[1].entry_hash)

    code, message = broken()

    assert code == 1
    assert f"BROKEN at event #{target}" in message
    assert "forged" in message


def test_appending_a_forged_event_at_the_end_names_it():
    events = write_events(3)
    drop_triggers()
    forged_event(events[-1].sequence + 1, events[-1].entry_hash)

    _code, message = broken()

    assert f"BROKEN at event #{events[-1].sequence + 1}" in message


def test_swapping_two_events_names_the_first_one_out_of_place():
    events = write_events(6)
    first, second = events[2].sequence, events[3].sequence
    drop_triggers()
    move(first, -1)
    move(second, first)
    move(-1, second)

    code, message = broken()

    assert code == 1
    assert f"BROKEN at event #{first}" in message
    assert "inserted, deleted or reordered" in message


def test_cutting_off_the_tail_is_caught_by_the_sealed_head():
    events = write_events(6)
    last = events[-1].sequence
    drop_triggers()
    sql(f"DELETE FROM {TABLE} WHERE sequence > %s", [last - 2])

    code, message = broken()

    assert code == 1
    assert f"BROKEN at event #{last - 1}" in message
    assert f"the chain ends at event #{last - 2} but was sealed at event #{last}" in message


def test_resealing_the_head_without_the_key_is_caught():
    events = write_events(4)
    drop_triggers()
    sql(f"DELETE FROM {TABLE} WHERE sequence = %s", [events[-1].sequence])
    ChainHead.objects.filter(id=1).update(last_sequence=events[-2].sequence, last_hash=events[-2].entry_hash)

    assert "the chain head record was altered" in broken()[1]


def test_verification_reads_in_chunks_and_still_finds_a_change_past_the_first_chunk():
    target = write_events(9)[6].sequence
    assert verify_chain(chunk=2).intact
    drop_triggers()
    sql(f"UPDATE {TABLE} SET object_id = 'x' WHERE sequence = %s", [target])

    report = verify_chain(chunk=2)

    assert (report.intact, report.first_bad_sequence, report.events_checked) == (False, target, target - 1)


def _postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def test_a_wiped_trail_in_a_database_with_records_does_not_verify(patient):
    write_events(3)
    drop_triggers()
    sql(f"DELETE FROM {TABLE}")
    sql("DELETE FROM audit_chainhead")

    code, message = broken()

    assert code == 1
    assert "BROKEN at event #1" in message
    assert "the audit trail is empty but the database holds" in message and "patients" in message



def test_the_walk_reads_each_time_as_it_was_sealed_with_and_without_microseconds(monkeypatch):
    from datetime import UTC, datetime

    from django.utils import timezone

    from chartdesk.audit.verify import chain_rows

    moments = [datetime(2026, 12, 7, 10, 0, 0, 0, tzinfo=UTC), datetime(2026, 12, 7, 10, 0, 1, 5, tzinfo=UTC),
               datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]
    first = write_events(1)[0].sequence
    for moment in moments:
        with monkeypatch.context() as clock:
            clock.setattr(timezone, "now", lambda moment=moment: moment)
            write_events(1)

    read = [row["occurred_at"] for row in chain_rows(after=first)]
    assert [value if isinstance(value, str) else value.isoformat() for value in read] == [
        "2026-12-07T10:00:00+00:00", "2026-12-07T10:00:01.000005+00:00", "2026-12-31T23:59:59.999999+00:00"]
    assert verify_chain().intact
