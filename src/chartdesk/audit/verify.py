"""Reading the whole chain for `chartdesk audit verify`, in sequence order and in bounded chunks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings

from chartdesk.audit.chain import SEALED_FIELDS, ChainReport, verify_rows
from chartdesk.audit.checkpoints import Checkpoint, CheckpointProblem, configured_paths, read_checkpoints
from chartdesk.audit.models import AuditAction, AuditEvent, ChainHead

CHUNK = 5000
ROW_FIELDS = (*SEALED_FIELDS, "previous_hash", "entry_hash")


def chain_rows(chunk: int = CHUNK) -> Iterator[dict[str, Any]]:
    """Every event as a dict, by ascending sequence. Keyset paging (sequence > last seen) keeps each
    query cheap on an index however long the chain is, where OFFSET would rescan from the start."""
    last = None
    while True:
        events = AuditEvent.objects.order_by("sequence")
        if last is not None:
            events = events.filter(sequence__gt=last)
        batch = list(events.values(*ROW_FIELDS)[:chunk])
        if not batch:
            return
        yield from batch
        last = batch[-1]["sequence"]


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


def verify_chain(chunk: int = CHUNK) -> ChainReport:
    """Walk the chain; an empty chain passes only in a database that holds no records either, since
    deleting every event and the head row leaves nothing for the walk itself to catch."""
    report = verify_rows(chain_rows(chunk), chain_head())
    if report.intact and report.events_checked == 0:
        held = records_without_trail()
        if held:
            return ChainReport(False, 0, WIPED.format(what=", ".join(held)), 1)
    return report


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
