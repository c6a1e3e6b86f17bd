"""Reading the chain for `chartdesk audit verify`, in sequence order and in bounded chunks: the whole of it,
or only what was recorded since the last successful verification."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection

from chartdesk.audit.chain import GENESIS_HASH, SEALED_FIELDS, ChainReport, verify_rows
from chartdesk.audit.checkpoints import Checkpoint, CheckpointProblem, configured_paths, read_checkpoints
from chartdesk.audit.checkpoints import seal as checkpoint_seal
from chartdesk.audit.models import AuditAction, AuditEvent, AuditOutcome, ChainHead

CHUNK = 5000
ROW_FIELDS = (*SEALED_FIELDS, "previous_hash", "entry_hash")
# The event time as the seal spells it (datetime.isoformat() of the UTC time the database hands back:
# microseconds only when there are any), written by PostgreSQL: parsing a timestamp into Python and
# formatting it again was an eighth of a full walk. tests/audit/test_chain.py holds the two equal.
PG_SEALED_TIME = ("to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') "
                  "|| CASE WHEN date_trunc('second', occurred_at) = occurred_at THEN '' "
                  "ELSE to_char(occurred_at AT TIME ZONE 'UTC', '.US') END || '+00:00'")


def chain_rows(chunk: int = CHUNK, *, after: int = 0, through: int | None = None) -> Iterator[dict[str, Any]]:
    """The events after sequence `after` (up to `through`, when given) as dicts, by ascending sequence.
    Keyset paging (sequence > last seen) keeps each query cheap on an index however long the chain
    is, where OFFSET would rescan from the start; on the partitioned trail each page is a merge of the
    partitions' sequence indexes.

    The rows are read with plain SQL, not through the ORM: a full walk reads every event once, and
    building each through QuerySet.values() cost about a fifth of the walk. Only `detail` needs
    converting (the backends hand JSON over as text), and on SQLite the time (naive UTC there)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(PG_SEALED_TIME if name == "occurred_at" and connection.vendor == "postgresql"
                        else connection.ops.quote_name(name) for name in ROW_FIELDS)
    bounded = " AND sequence <= %s" if through is not None else ""
    statement = f"SELECT {columns} FROM {table} WHERE sequence > %s{bounded} ORDER BY sequence LIMIT %s"  # noqa: S608  (table and column names are constants)
    detail_at, occurred_at = ROW_FIELDS.index("detail"), ROW_FIELDS.index("occurred_at")
    naive_times = connection.vendor == "sqlite"
    last = after
    while True:
        with connection.cursor() as cursor:
            cursor.execute(statement, [last, through, chunk] if through is not None else [last, chunk])
            batch = cursor.fetchall()
        if not batch:
            return
        for row in batch:
            event = dict(zip(ROW_FIELDS, row, strict=True))
            detail = row[detail_at]
            if isinstance(detail, str | bytes):
                event["detail"] = {} if detail == "{}" else json.loads(detail)
            if naive_times:
                when = row[occurred_at]
                when = datetime.fromisoformat(when) if isinstance(when, str) else when
                event["occurred_at"] = when.replace(tzinfo=UTC) if when is not None else None
            yield event
        last = batch[-1][0]


def chain_head() -> dict[str, Any] | None:
    head = ChainHead.objects.filter(id=1).values("last_sequence", "last_hash", "seal").first()
    return dict(head) if head is not None else None


# Tables whose rows are never written without an audit event (registering a patient, creating a
# user, filing a document). Named by label: the audit app sits below the apps that own them.
RECORD_TABLES = ("patients.Patient", "charts.Document")
WIPED = ("the audit trail is empty but the database holds {what}: every event and the chain head "
         "were removed")


def records_without_trail() -> list[str]:
    """What the database holds that could only have been written with audit events ("" when nothing)."""
    held = []
    for label in (settings.AUTH_USER_MODEL, *RECORD_TABLES):
        model = apps.get_model(label)
        if model.objects.exists():
            held.append(str(model._meta.verbose_name_plural))
    return held


def verify_chain(chunk: int = CHUNK, *, workers: int = 1) -> ChainReport:
    """Walk the whole chain; an empty chain passes only in a database that holds no records either,
    since deleting every event and the head row leaves nothing for the walk itself to catch."""
    report = walk_chain(chunk, workers=workers)
    if report.intact and report.events_checked == 0:
        held = records_without_trail()
        if held:
            return ChainReport(False, 0, WIPED.format(what=", ".join(held)), 1)
    return report


def walk_chain(chunk: int = CHUNK, *, after_sequence: int = 0, after_hash: str = GENESIS_HASH,
               workers: int = 1) -> ChainReport:
    """Walk the events after `after_sequence` up to the head as it stood when the walk began, in one
    process or, with `workers` > 1 on PostgreSQL, in stretches checked side by side (audit/parallel.py:
    the same verdict, naming the same event).

    Events recorded while the walk runs (a live system keeps writing) are left for the next run
    rather than read against a head that no longer describes them; an event lying beyond the newest
    sealed head, though, was appended without the key."""
    from chartdesk.audit import parallel  # it reads the chain with chain_rows, defined here

    head = chain_head()
    through = int(head["last_sequence"]) if head is not None else None
    if through is not None and parallel.can_run(workers, through - after_sequence):
        report = parallel.verify_in_stretches(head, after_sequence, after_hash, through, chunk, workers)
    else:
        report = verify_rows(chain_rows(chunk, after=after_sequence, through=through), head,
                             after_sequence=after_sequence, after_hash=after_hash)
    if not report.intact or through is None:
        return report
    beyond = AuditEvent.objects.filter(sequence__gt=through).order_by("sequence").values_list("sequence",
                                                                                          flat=True).first()
    # Read the head again only now: an event committed with a newer head is seen here with that head.
    if beyond is not None and beyond > chain_last_sequence():
        return ChainReport(False, report.events_checked,
                           f"event #{beyond} lies beyond the sealed head of the chain: it was appended "
                           "without the key", beyond)
    return report


# --------------------------------------------------------------------------- from the last verification

VERIFIED = "audit_chain"  # object type of the integrity event `audit verify` records
FORGED_VERIFICATION = ("the record of a verification in event #{event} is not sealed with the audit key: "
                       "forged or altered (run `chartdesk audit verify --full`)")
ANCHOR_CHANGED = ("event #{sequence}, verified intact on {at}, is missing or no longer the event verified: "
                  "the trail was changed before the last verified point (run `chartdesk audit verify --full`)")


@dataclass(frozen=True)
class VerifiedPoint:
    """"Verified intact up to event `sequence`, whose seal was `hash`", as a sealed checkpoint."""

    sequence: int
    hash: str
    at: str
    event: int = 0  # the integrity event that recorded it

    def detail(self) -> dict[str, Any]:
        return {"verified_through": self.sequence, "verified_hash": self.hash, "verified_at": self.at,
                "verified_seal": checkpoint_seal(self.sequence, self.hash, self.at)}


def last_verified_point() -> VerifiedPoint | ChainReport | None:
    """The newest point a successful verification recorded; a ChainReport when that record is forged;
    None when the chain was never verified (so the whole of it must be walked)."""
    records = (AuditEvent.objects.filter(action=AuditAction.INTEGRITY, object_type=VERIFIED,
                                         outcome=AuditOutcome.SUCCESS, detail__has_key="verified_through")
               .order_by("-sequence").values("sequence", "detail"))
    record = records.first()
    if record is None:
        return None
    detail = record["detail"]
    try:
        point = VerifiedPoint(int(detail["verified_through"]), str(detail["verified_hash"]),
                              str(detail["verified_at"]), record["sequence"])
        sealed = str(detail["verified_seal"])
    except (KeyError, TypeError, ValueError):
        sealed, point = "", VerifiedPoint(0, "", "", record["sequence"])
    if not hmac.compare_digest(checkpoint_seal(point.sequence, point.hash, point.at), sealed):
        return ChainReport(False, 0, FORGED_VERIFICATION.format(event=record["sequence"]), record["sequence"])
    return point


def verify_since_last(chunk: int = CHUNK, *, workers: int = 1) -> tuple[ChainReport, VerifiedPoint | None]:
    """Walk only the events recorded since the last successful verification, after checking that the
    event it ended at is still the one it verified. What was verified before is trusted: tampering
    there is found by a full walk (`verify_chain`), which a nightly run need not repeat."""
    point = last_verified_point()
    if isinstance(point, ChainReport):
        return point, None
    if point is None:
        return verify_chain(chunk, workers=workers), None
    anchor = AuditEvent.objects.filter(sequence=point.sequence).values_list("entry_hash", flat=True).first()
    if anchor is None or not hmac.compare_digest(anchor, point.hash):
        return ChainReport(False, 0, ANCHOR_CHANGED.format(sequence=point.sequence, at=point.at),
                           point.sequence), point
    return walk_chain(chunk, after_sequence=point.sequence, after_hash=point.hash, workers=workers), point


# --------------------------------------------------------------------------- against the checkpoints

RESTORE_ACKNOWLEDGED = "audit_restore"  # object type of the event that acknowledges a restore
LACKING = ("the database lacks events #{first} to #{last} that checkpoint {where} of {at} recorded: the trail "
           "was cut back or the database put back to an older copy. After a legitimate restore from backup, "
           "an administrator acknowledges it with `chartdesk audit acknowledge-restore`")
REPLACED = ("event #{sequence} is not the event checkpoint {where} of {at} recorded: the trail from there on "
            "was replaced. After a legitimate restore from backup, an administrator acknowledges it with "
            "`chartdesk audit acknowledge-restore`")


@dataclass(frozen=True)
class CheckpointReport:
    checked: int
    problem: str = ""
    first_bad_sequence: int | None = None
    conflicts: tuple[Checkpoint, ...] = ()  # what an acknowledgement of a restore would cover
    lacking: tuple[int, int] | None = None  # first and last sequence the database lacks


def acknowledged_checkpoints() -> set[tuple[int, str]]:
    """Checkpoints an administrator has acknowledged as belonging to history a restore gave up.
    Read from sealed audit events: nobody without the key can add one."""
    acknowledged: set[tuple[int, str]] = set()
    events = AuditEvent.objects.filter(action=AuditAction.INTEGRITY, object_type=RESTORE_ACKNOWLEDGED)
    for detail in events.values_list("detail", flat=True):
        acknowledged.update((int(sequence), str(chain_hash)) for sequence, chain_hash in detail.get("acknowledged", []))
    return acknowledged


def _hashes_at(sequences: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(sequences), 500):  # SQLite caps the parameters of one statement
        rows = AuditEvent.objects.filter(sequence__in=sequences[start:start + 500]).values_list("sequence",
                                                                                               "entry_hash")
        found.update(rows)
    return found


def check_checkpoints(last_sequence: int, paths: list[Path]) -> CheckpointReport:
    """Compare the chain (already verified up to `last_sequence`) with every checkpoint in `paths`."""
    try:
        checkpoints = list(read_checkpoints(paths))
    except CheckpointProblem as problem:
        return CheckpointReport(0, str(problem))
    acknowledged = acknowledged_checkpoints()
    pending = [checkpoint for checkpoint in checkpoints if checkpoint.key not in acknowledged]
    beyond = [checkpoint for checkpoint in pending if checkpoint.sequence > last_sequence]
    within = [checkpoint for checkpoint in pending if checkpoint.sequence <= last_sequence]
    hashes = _hashes_at(sorted({checkpoint.sequence for checkpoint in within}))
    replaced = [checkpoint for checkpoint in within if hashes.get(checkpoint.sequence) != checkpoint.hash]
    conflicts = tuple(replaced + beyond)
    if beyond:
        furthest = max(beyond, key=lambda checkpoint: checkpoint.sequence)
        return CheckpointReport(len(checkpoints), LACKING.format(first=last_sequence + 1, last=furthest.sequence,
                                                                 where=furthest.where, at=furthest.at),
                                last_sequence + 1, conflicts, (last_sequence + 1, furthest.sequence))
    if replaced:
        first = min(replaced, key=lambda checkpoint: checkpoint.sequence)
        return CheckpointReport(len(checkpoints), REPLACED.format(sequence=first.sequence, where=first.where,
                                                                  at=first.at), first.sequence, conflicts)
    return CheckpointReport(len(checkpoints))


def chain_last_sequence() -> int:
    head = chain_head()
    return int(head["last_sequence"]) if head else 0


def checkpoint_warnings_after_restore() -> list[str]:
    """After a restore the trail is back at the backup's moment: the checkpoints written since say
    which events it gave up (`audit verify` keeps failing until that is acknowledged)."""
    report = check_checkpoints(chain_last_sequence(), configured_paths())
    return [report.problem] if report.problem else []
