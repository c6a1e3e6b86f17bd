"""Bulk Data $export: the kick-off records an ExportJob and starts a background job
(interop/tasks.py) that `chartdesk worker` runs; the status endpoint reports that job's state.

Each export runs as the user of the token that started it, through the same access functions as a
read, and records one EXPORT audit event per patient exported (a bulk export is a disclosure of
each chart). It reports its progress chart by chart.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.forms import whole_number
from chartdesk.core.replica import reads_from_replica
from chartdesk.interop.fhir.validation import checked_json
from chartdesk.interop.fhir.versions import changed_since
from chartdesk.interop.models import ExportJob, ExportLevel, ExportStatus
from chartdesk.interop.registry import all_adapters
from chartdesk.interop.tokens import ApiCaller, caller_of
from chartdesk.patients.access import restriction_allows
from chartdesk.patients.models import Patient, PatientStatus

SHARED_TYPES = ("Practitioner", "Organization")


def export_dir(job: ExportJob) -> Path:
    return Path(settings.DATA_DIR) / "exports" / str(job.pk)


def exportable_types() -> list[str]:
    return [adapter.resource_type for adapter in all_adapters()
            if adapter.resource_type not in ("Binary", "AuditEvent", "Provenance")]


def _patients(job: ExportJob, caller: ApiCaller) -> list[Patient]:
    if job.level == ExportLevel.GROUP and job.group is not None:
        candidates = job.group.members.filter(status=PatientStatus.ACTIVE)
    elif job.patient_id is not None:
        candidates = Patient.objects.filter(pk=job.patient_id)
    else:
        candidates = Patient.objects.filter(status=PatientStatus.ACTIVE)
    if caller.patient_id is not None:
        candidates = candidates.filter(pk=caller.patient_id)
    # Restricted charts stay restricted: the job's user must be allowed to open each one.
    return [patient for patient in candidates.order_by("pk") if restriction_allows(caller.user, patient)]


def _rows_of(adapter: Any, caller: ApiCaller, patient: Patient, since: datetime | None) -> list[Any]:
    """One chart's rows of one type that the job's user reads (changed since `since` when given)."""
    try:
        rows = adapter.rows_for_patient(caller, patient) if adapter.patient_data else None
    except NotFound:
        return []  # the user's role does not read this kind of record (billing, notes): not exported
    if rows is None:
        return []
    return list(since_filter(rows, adapter.resource_type, since))


def since_filter(rows: QuerySet[Any], resource_type: str, since: datetime | None) -> QuerySet[Any]:
    """`_since`: the rows changed at or after `since`, as version keeping knows them.

    Where it cannot tell (a `_since` before version keeping began, or a type without versions such
    as Practitioner) every row counts as changed: a client syncing with _since must never miss one.
    """
    if since is None:
        return rows
    changed = changed_since(resource_type, since)
    if changed is None:
        return rows
    # Logical ids of versioned types are primary keys: compare them as numbers, in the database.
    return rows.filter(pk__in=changed.annotate(key=Cast("logical_id", BigIntegerField())).values("key"))


def run_export(job_id: int, progress: Callable[[float, str], None]) -> ExportJob:
    """Run an export to completion; a failure is recorded on the export and raised for the job to keep
    (and retry, unless it is a refusal), so a manifest is never half-reported."""
    ExportJob.objects.filter(pk=job_id).update(status=ExportStatus.RUNNING, started_at=timezone.now(), error="")
    job = ExportJob.objects.select_related("token__client__user", "group").get(pk=job_id)
    caller = caller_of(job.token)
    wanted = [name for name in (job.resource_types.split(",") if job.resource_types else exportable_types())
              if caller.may_read(name)]  # a token scoped to some resource types exports those only
    folder = export_dir(job)
    counts: dict[str, int] = {}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Read-only: with a replica configured the charts are read there (its audit events still go to
        # the primary); the export's own row is read and updated outside, on the primary.
        with acting_as(channel="api"), reads_from_replica():
            handles: dict[str, Any] = {}
            try:
                def write(resource_type: str, resource: dict[str, Any]) -> None:
                    if resource_type not in handles:
                        handles[resource_type] = (folder / f"{resource_type}.ndjson").open("w", encoding="utf-8")
                    handles[resource_type].write(json.dumps(checked_json(resource), separators=(",", ":")) + "\n")
                    counts[resource_type] = counts.get(resource_type, 0) + 1

                adapters = [adapter for adapter in all_adapters() if adapter.resource_type in wanted]
                patients = _patients(job, caller)
                for done, patient in enumerate(patients):
                    progress(100 * done / (len(patients) + 1), f"{done} of {len(patients)} charts exported")
                    with transaction.atomic():
                        exported = 0
                        for adapter in adapters:
                            for row in _rows_of(adapter, caller, patient, job.since):
                                write(adapter.resource_type, adapter.to_fhir(row))
                                exported += 1
                        record_event(AuditAction.EXPORT, user=caller.user, patient=patient,
                                     object_type="fhir_bulk_export", object_id=job.pk,
                                     detail={"resources": exported})
                if job.level == ExportLevel.SYSTEM:
                    for adapter in adapters:
                        if adapter.resource_type in SHARED_TYPES:
                            for row in since_filter(adapter.search(caller, {}, None), adapter.resource_type,
                                                    job.since):
                                write(adapter.resource_type, adapter.to_fhir(row))
            finally:
                for handle in handles.values():
                    handle.close()
    except Exception as failure:
        reason = failure.message if isinstance(failure, ChartdeskError) else str(failure) or type(failure).__name__
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, error=reason[:2000],
                                                   finished_at=timezone.now())
        raise
    output = [{"type": name, "file": f"{name}.ndjson", "count": count} for name, count in sorted(counts.items())]
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.COMPLETE, output=output,
                                               finished_at=timezone.now())
    return ExportJob.objects.get(pk=job.pk)


def job_for_caller(caller: ApiCaller, job_id: Any) -> ExportJob:
    """The job, if the same API client started it (missing and foreign both NotFound)."""
    key = whole_number(str(job_id))
    job = ExportJob.objects.select_related("token").filter(pk=key).first() if key is not None else None
    if job is None or job.token.client_id != caller.token.client_id:
        raise NotFound("export")
    return job
