"""`audit verify --workers N`: the chain checked in stretches, side by side, by worker processes.

Each event is checked against the stored seal of the one before it, so the chain can be cut into
stretches of sequence numbers, each checked on its own: a stretch (a, b] starts from the seal event #a
has in the database and checks events a+1..b as the one-process walk does. Together the stretches
check every link, the link at each stretch's start included (event a+1 against event a's stored
seal, while event a's own seal is checked by the stretch before). The verdict is put together in
sequence order, so the first problem found is the one the one-process walk names, with the same
count of events verified before it.

The cuts lie at month ends: on the partitioned trail, where each month's partition ends, so each
worker reads mostly one partition's index. PostgreSQL only, and only outside a transaction: workers
read through connections of their own, which would not see events the caller has not committed yet.
Everywhere else the walk stays in one process.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from django.db import connection, connections

from chartdesk.audit.chain import ChainReport, against_head, walk_rows
from chartdesk.audit.partitions import TABLE, partitions
from chartdesk.audit.verify import chain_rows

MIN_STRETCH = 50_000  # fewer events than this per worker are walked faster in one process than started


def can_run(workers: int, events: int) -> bool:
    return (workers > 1 and events >= 2 * MIN_STRETCH and connection.vendor == "postgresql"
            and not connection.in_atomic_block)


def stretches(after: int, through: int, workers: int) -> list[tuple[int, int]]:
    """(a, b] stretches covering after+1..through: cut where a month's partition ends, or (a trail in
    fewer months than workers, or not partitioned) in equal parts."""
    cuts: set[int] = set()
    with connection.cursor() as cursor:
        for partition in partitions(connection):
            cursor.execute(f'SELECT max(sequence) FROM "{partition}" WHERE sequence > %s AND sequence <= %s',  # noqa: S608  (a partition's name)
                           [after, through])
            (last,) = cursor.fetchone()
            if last is not None and last < through:
                cuts.add(int(last))
    if len(cuts) + 1 < workers:
        step = (through - after) // workers
        cuts = {after + step * part for part in range(1, workers)}
    bounds = [after, *sorted(cuts), through]
    return list(zip(bounds, bounds[1:], strict=False))


def _stored_seal(sequence: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT entry_hash FROM {TABLE} WHERE sequence = %s LIMIT 1", [sequence])  # noqa: S608  (the table's name)
        row = cursor.fetchone()
    return str(row[0]) if row else ""


def check_stretch(after: int, seed: str | None, last: int, through: int, chunk: int) -> dict[str, Any]:
    """Check events after+1..last (in a worker process). The first link is checked against event
    #after's stored seal (`seed` when the caller already knows it)."""
    first_link = seed if seed is not None else _stored_seal(after)
    problem, checked, last_hash = walk_rows(chain_rows(chunk, after=after, through=last),
                                            after_sequence=after, after_hash=first_link)
    reached = after + checked
    if problem is None and reached < last:
        # Events at the stretch's end are missing: the one-process walk would meet the next event
        # that exists there and name the first missing one.
        following = next(chain_rows(1, after=last, through=through), None)
        if following is not None:
            problem, _, _ = walk_rows([following], after_sequence=reached, after_hash=last_hash)
    return {"problem": problem, "checked": checked, "last_hash": last_hash, "reached": reached}


def _check_in_worker(task: tuple[int, str | None, int, int, int]) -> dict[str, Any]:
    try:
        return check_stretch(*task)
    finally:
        connections.close_all()


def verify_in_stretches(head: dict[str, Any] | None, after_sequence: int, after_hash: str, through: int,
                        chunk: int, workers: int, *, in_this_process: bool = False) -> ChainReport:
    """The verdict of verify_rows over after_sequence+1..through, from `workers` processes (or, with
    `in_this_process`, the same stretches one after another through this connection, which sees rows
    not committed yet: how the tests put the cutting and the verdict to the proof)."""
    parts = stretches(after_sequence, through, workers)
    tasks = [(start, after_hash if start == after_sequence else None, end, through, chunk) for start, end in parts]
    if in_this_process:
        results = [check_stretch(*task) for task in tasks]
    else:
        # The workers are forked: each must open its own connection, never use the one inherited.
        connections.close_all()
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks)),
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_check_in_worker, tasks))
    checked = 0
    for (_start, end), result in zip(parts, results, strict=True):
        problem = result["problem"]
        if problem is not None:
            return ChainReport(False, checked + problem.events_checked, problem.problem, problem.first_bad_sequence)
        checked += result["checked"]
        if result["reached"] < end:  # nothing after it either: the chain ends early
            return against_head(head, result["reached"], result["last_hash"], checked)
    return against_head(head, through, results[-1]["last_hash"], checked)
