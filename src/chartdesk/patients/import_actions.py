"""Loading a parsed legacy index (patients.importing) in chunks, each one transaction.

A row is loaded whole or not at all: its patient is created by `do_register_patient` (audited,
with allow_incomplete), and the run's `last_line` and counts move in the same transaction as the
chunk's patients, so a crash leaves every committed chunk complete and nothing of the next.
A row whose source_id (issuer = the source) is already in the index is skipped; with different
identifying data it is reported as a conflict, never overwritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import PermissionRefused
from chartdesk.patients.actions import do_register_patient
from chartdesk.patients.importing import SOURCE_ID_TYPE, ImportRow, registration_differences
from chartdesk.patients.linkage_match import match_record
from chartdesk.patients.models import ImportRunStatus, PatientIdentifier, PatientImportRun

COUNT_NAMES = ("loaded", "incomplete", "already_loaded", "conflicts", "skipped_bad", "likely_duplicates")


@dataclass
class ChunkReport:
    conflicts: list[str] = field(default_factory=list)  # "line 9: source_id 17 already loaded as MRN ..."
    duplicates: list[str] = field(default_factory=list)  # "line 4: MRN ... likely the same person as MRN ..."


def require_import_permission(acting_user: Any) -> None:
    """Loading an index registers patients in bulk: both permissions are needed."""
    for permission in ("patients.import_patients", "patients.register_patient"):
        if acting_user is None or not acting_user.is_authenticated or not acting_user.has_perm(permission):
            raise PermissionRefused(f"You do not have the permission this needs ({permission}).")


@transaction.atomic
def do_start_import_run(*, source: str, file_name: str, file_sha256: str, skipped_bad: int,
                        acting_user: Any) -> tuple[PatientImportRun, bool]:
    """The run for this file from this source: the unfinished one to continue (True), else a new one."""
    require_import_permission(acting_user)
    unfinished = (PatientImportRun.objects.select_for_update()
                  .filter(source=source, file_sha256=file_sha256, status=ImportRunStatus.RUNNING)
                  .order_by("-pk").first())
    if unfinished is not None:
        record_event(AuditAction.UPDATE, user=acting_user, object_type="patient_import_run",
                     object_id=unfinished.pk, detail={"resumed_after_line": unfinished.last_line})
        return unfinished, True
    run = PatientImportRun.objects.create(
        source=source, file_name=file_name[:255], file_sha256=file_sha256, started_by=acting_user,
        counts={**dict.fromkeys(COUNT_NAMES, 0), "skipped_bad": skipped_bad},
    )
    record_event(AuditAction.CREATE, user=acting_user, object_type="patient_import_run", object_id=run.pk,
                 detail={"source": source, "file_sha256": file_sha256})
    return run, False


@transaction.atomic
def do_load_import_chunk(run: PatientImportRun, rows: Sequence[ImportRow], *, acting_user: Any) -> ChunkReport:
    """Load one chunk of rows (all or none) and move the run's last committed line past it."""
    require_import_permission(acting_user)
    # Lock the run: two processes loading the same file must not both create a chunk's patients.
    current = PatientImportRun.objects.select_for_update().get(pk=run.pk)
    report = ChunkReport()
    counts = dict(current.counts)
    pending = [row for row in rows if row.line > current.last_line]
    loaded_by_key = _already_loaded(current.source, [row.source_key for row in pending])
    for row in pending:
        existing = loaded_by_key.get(row.source_key)
        if existing is not None:
            differences = registration_differences(row.registration, existing.patient)
            if differences:
                counts["conflicts"] += 1
                report.conflicts.append(f"line {row.line}: source_id {row.source_id!r} is already loaded as MRN "
                                        f"{existing.patient.mrn} with a different {', '.join(differences)}; "
                                        "not overwritten.")
            else:
                counts["already_loaded"] += 1
            continue
        # Registration-time matching, as at the desk: a likely match is reported, not merged.
        candidates = match_record(row.registration, limit=1)
        patient = do_register_patient(row.registration, acting_user=acting_user, allow_incomplete=True)
        counts["loaded"] += 1
        counts["incomplete"] += bool(patient.incomplete_fields)
        if candidates:
            counts["likely_duplicates"] += 1
            report.duplicates.append(f"line {row.line}: MRN {patient.mrn} is {candidates[0].likelihood} as MRN "
                                     f"{candidates[0].patient.mrn}.")
    if rows:
        current.last_line = max(current.last_line, rows[-1].line)
    current.counts = counts
    current.save(update_fields=["last_line", "counts"])
    run.last_line, run.counts = current.last_line, current.counts
    return report


def _already_loaded(source: str, keys: list[str]) -> dict[str, PatientIdentifier]:
    rows = (PatientIdentifier.objects.filter(type=SOURCE_ID_TYPE, issuer=source, value_key__in=keys)
            .select_related("patient").order_by("pk"))
    return {row.value_key: row for row in rows}


@transaction.atomic
def do_finish_import_run(run: PatientImportRun, *, last_line: int, acting_user: Any) -> PatientImportRun:
    """Mark the run finished; its counts go into the audit log (no patient data)."""
    require_import_permission(acting_user)
    current = PatientImportRun.objects.select_for_update().get(pk=run.pk)
    current.status = ImportRunStatus.FINISHED
    current.finished_at = timezone.now()
    current.last_line = max(current.last_line, last_line)
    current.save(update_fields=["status", "finished_at", "last_line"])
    record_event(AuditAction.UPDATE, user=acting_user, object_type="patient_import_run", object_id=current.pk,
                 detail={"finished": True, **current.counts})
    return current
