"""Writes of the interop app that are not feeds: patient groups and bulk export requests.

Each is atomic and writes its audit event in the same transaction. A patient group decides whom a
group-level bulk export includes, so who changed its members, and to whom, is on the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.interop.fhir.common import instant
from chartdesk.interop.models import ExportJob, PatientGroup
from chartdesk.jobs.actions import do_start_job
from chartdesk.patients.models import Patient


def do_set_patient_group(name: str, patients: Sequence[Patient], *, acting_user: Any) -> PatientGroup:
    """Create the group `name` or replace its members with `patients`; the members before and after
    are audited with the change. `acting_user` is None on the command line (the channel says so)."""
    with transaction.atomic():
        group, created = PatientGroup.objects.select_for_update().get_or_create(name=name)
        before = sorted(group.members.values_list("pk", flat=True)) if not created else []
        group.members.set(patients)
        record_event(AuditAction.CREATE if created else AuditAction.UPDATE, user=acting_user,
                     object_type="patient_group", object_id=group.pk,
                     detail={"name": group.name, "patient_ids": sorted(patient.pk for patient in patients),
                             "patient_ids_before": before})
    return group


def do_request_bulk_export(level: str, *, acting_user: Any, token: Any, resource_types: Sequence[str],
                           request_url: str, group: PatientGroup | None = None, patient_id: int | None = None,
                           since: datetime | None = None) -> ExportJob:
    """Queue a bulk $export as a background job (docs/jobs.md); the export, its audit event and its job
    commit together."""
    from chartdesk.interop.tasks import fhir_bulk_export  # the task module imports these actions' models

    with transaction.atomic():
        job = ExportJob.objects.create(level=level, group=group, resource_types=",".join(resource_types),
                                       token=token, request_url=request_url[:1000], patient_id=patient_id,
                                       since=since)
        record_event(AuditAction.EXPORT, user=acting_user, object_type="fhir_bulk_export", object_id=job.pk,
                     detail={"level": level, "types": list(resource_types), "since": instant(since),
                             "state": "requested"})
        job.job = do_start_job(fhir_bulk_export, title=f"FHIR bulk export {job.pk} ({level} level)",
                               acting_user=acting_user, about_type="fhir_bulk_export", about_id=job.pk,
                               arguments={"export_id": job.pk})
        job.save(update_fields=["job"])
    return job
