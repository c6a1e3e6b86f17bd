"""`audit verify --workers N` (audit/parallel.py): the chain cut at month ends into stretches checked side by
side gives the one-process walk's verdict, naming the same event, wherever the break lies: inside a month,
at either side of a month boundary, or at the tail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from bench._audit_trail import append_events
from django.db import connection

from chartdesk.audit import parallel
from chartdesk.audit.actions import record_event
from chartdesk.audit.chain import GENESIS_HASH, ChainReport
from chartdesk.audit.models import AuditAction
from chartdesk.audit.partitions import TABLE, month_start, partitions
from chartdesk.audit.verify import chain_head, verify_chain
from tests.audit.attacks import drop_triggers, sql
from tests.support.databases import postgres_only

pytestmark = [pytest.mark.django_db, postgres_only]


def months_back(count: int) -> datetime:
    first = month_start(datetime.now(UTC).date())
    year, month = divmod(first.year * 12 + first.month - 1 - count, 12)
    return datetime(year, month + 1, 10, tzinfo=UTC)


@pytest.fixture
def trail() -> list[tuple[int, int]]:
    """Events now, then 300 in each of the three months before this one: (first, last) sequence per month."""
    record_event(AuditAction.VIEW, username="today")
    months = []
    for back in (3, 2, 1):
        first = chain_head()["last_sequence"] + 1
        months.append((first, append_events(300, batch=120, end_at=months_back(back))))
    return months


def in_stretches(workers: int = 2) -> ChainReport:
    head = chain_head()
    return parallel.verify_in_stretches(head, 0, GENESIS_HASH, head["last_sequence"], 50, workers,
                                        in_this_process=True)


def test_the_chain_is_cut_where_each_month_ends(trail):
    through = chain_head()["last_sequence"]
    today_last = trail[0][0] - 1

    parts = parallel.stretches(0, through, 2)

    assert parts == [(0, today_last), (today_last, trail[0][1]), (trail[0][1], trail[1][1]),
                     (trail[1][1], through)]
    assert len(partitions(connection)) >= 5


def test_a_trail_in_fewer_months_than_workers_is_cut_in_equal_parts(trail):
    assert parallel.stretches(trail[2][0], trail[2][1], 3) == [
        (trail[2][0], trail[2][0] + 99), (trail[2][0] + 99, trail[2][0] + 198), (trail[2][0] + 198, trail[2][1])]


def test_an_intact_trail_verifies_in_stretches_as_in_one_walk(trail):
    one_walk = verify_chain()

    assert one_walk.intact and one_walk.events_checked == trail[2][1]
    assert in_stretches() == one_walk
    assert in_stretches(workers=7) == one_walk


def alter(sequence: int) -> None:
    sql(f"UPDATE {TABLE} SET username = 'someone else' WHERE sequence = %s", [sequence])


def reseal(sequence: int) -> None:
    sql(f"UPDATE {TABLE} SET entry_hash = %s WHERE sequence = %s", ["f" * 64, sequence])


def delete(sequence: int) -> None:
    sql(f"DELETE FROM {TABLE} WHERE sequence = %s", [sequence])


def cut_tail(sequence: int) -> None:
    sql(f"DELETE FROM {TABLE} WHERE sequence >= %s", [sequence])


BREAKS: list[tuple[str, Callable[[int], None], Callable[[list[tuple[int, int]]], int]]] = [
    # (what, attack, the event attacked: the one the verdict must name)
    ("altered inside the first month", alter, lambda months: months[0][0] + 150),
    ("altered inside the second month", alter, lambda months: months[1][0] + 7),
    ("altered inside the last month", alter, lambda months: months[2][1] - 3),
    ("altered, the last of a month", alter, lambda months: months[0][1]),
    ("altered, the first of a month", alter, lambda months: months[1][0]),
    ("seal replaced, the last of a month", reseal, lambda months: months[1][1]),
    ("deleted, the first of a month", delete, lambda months: months[1][0]),
    ("deleted, the last of a month", delete, lambda months: months[0][1]),
    ("deleted inside a month", delete, lambda months: months[2][0] + 40),
    ("tail cut off", cut_tail, lambda months: months[2][1] - 10),
]


@pytest.mark.parametrize(("what", "attack", "target"), BREAKS, ids=[entry[0] for entry in BREAKS])
def test_a_break_anywhere_is_named_as_the_one_walk_names_it(trail, what, attack, target):
    event = target(trail)
    drop_triggers()
    attack(event)

    one_walk = verify_chain()
    stretched = in_stretches()

    assert not one_walk.intact
    assert one_walk.first_bad_sequence == event
    assert stretched == one_walk


def test_the_first_of_two_breaks_in_different_months_is_named(trail):
    drop_triggers()
    alter(trail[2][0] + 5)
    delete(trail[0][0] + 20)

    stretched = in_stretches()

    assert stretched == verify_chain()
    assert (stretched.first_bad_sequence, stretched.events_checked) == (trail[0][0] + 20, trail[0][0] + 19)


def test_inside_a_transaction_the_walk_stays_in_one_process(trail):
    # The test runs inside a transaction: workers, with connections of their own, would not see its rows.
    assert connection.in_atomic_block
    assert not parallel.can_run(2, 10 * parallel.MIN_STRETCH)
    assert not parallel.can_run(1, 10 * parallel.MIN_STRETCH)

    assert verify_chain(workers=2) == verify_chain()
