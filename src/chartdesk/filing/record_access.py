"""Reads of the filing records that name several patients: scanned batches, legal holds, destruction
certificates.

Each names patients (the pages indexed from a batch, the patients a hold covers, the records a
certificate destroyed) and carries free text typed about them (a batch's file name and note, a hold's
matter, a certificate's note). So a user opens one only when they may open every chart it names: a
restricted patient's hold, certificate or batch answers NotFound, like a missing one, to everyone
else, and lists leave it out. Each opening is recorded in the audit trail of every patient it names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db.models import Model

from chartdesk.audit.actions import PendingEvent, record_event, record_events
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import NotFound
from chartdesk.core.forms import record_id
from chartdesk.filing.models import DestructionCertificate, LegalHold, ScanBatch
from chartdesk.patients.access import refuse_restricted_chart, restriction_allows
from chartdesk.patients.models import Patient

SCAN = "filing.scan_documents"
MANAGE_RETENTION = "filing.manage_retention"

Record = TypeVar("Record", bound=Model)


def _permitted(user: Any, permission: str) -> bool:
    return bool(user.is_authenticated and user.has_perm(permission))


def _patients_of(record: Model) -> list[Patient]:
    if isinstance(record, ScanBatch):
        rows: Iterable[Any] = record.documents.filter(patient__isnull=False).select_related("patient")
    elif isinstance(record, LegalHold):
        rows = record.held.select_related("patient")
    elif isinstance(record, DestructionCertificate):
        rows = record.records.select_related("patient")
    else:  # pragma: no cover - only the three kinds above are passed in
        raise TypeError(type(record).__name__)
    return list({row.patient.pk: row.patient for row in rows}.values())


def _open_to(user: Any, patients: list[Patient], allowed: dict[int, bool] | None = None) -> bool:
    cache = {} if allowed is None else allowed
    for patient in patients:
        if patient.pk not in cache:
            cache[patient.pk] = restriction_allows(user, patient)
        if not cache[patient.pk]:
            return False
    return True


def _audit_opening(user: Any, record: Model, object_type: str, patients: list[Patient]) -> None:
    if not patients:
        record_event(AuditAction.VIEW, user=user, object_type=object_type, object_id=record.pk)
        return
    record_events([PendingEvent(AuditAction.VIEW, user=user, patient=patient, object_type=object_type,
                                object_id=record.pk) for patient in patients])


def _open(user: Any, record: Record | None, object_type: str) -> Record:
    if record is None:
        raise NotFound(object_type)
    patients = _patients_of(record)
    if not _open_to(user, patients):
        # One restricted chart closes the whole record; the first refused one is recorded and, for a
        # user who may break the glass, offered (the page is offered again for any other).
        refused = next(patient for patient in patients if not restriction_allows(user, patient))
        refuse_restricted_chart(user, refused, object_type=object_type, object_id=record.pk)
    _audit_opening(user, record, object_type, patients)
    return record


def visible_records(user: Any, records: Iterable[Record]) -> list[Record]:
    """The batches, holds or certificates of `records` that name no chart the user may not open."""
    allowed: dict[int, bool] = {}
    return [record for record in records if _open_to(user, _patients_of(record), allowed)]


def access_scan_batch_by_id(user: Any, batch_id: Any) -> ScanBatch:
    """One scanned batch, for a user who scans and may open every chart its pages were indexed to."""
    key = record_id(batch_id)
    if not _permitted(user, SCAN):
        raise NotFound("scan batch")
    return _open(user, ScanBatch.objects.filter(pk=key).first(), "scan_batch")


def access_legal_hold_by_id(user: Any, hold_id: Any) -> LegalHold:
    """One legal hold, for a retention manager who may open every chart it covers."""
    key = record_id(hold_id)
    if not _permitted(user, MANAGE_RETENTION):
        raise NotFound("legal hold")
    return _open(user, LegalHold.objects.filter(pk=key).first(), "legal_hold")


def access_destruction_certificate_by_id(user: Any, certificate_id: Any) -> DestructionCertificate:
    """One destruction certificate, for a retention manager who may open every chart it names."""
    key = record_id(certificate_id)
    if not _permitted(user, MANAGE_RETENTION):
        raise NotFound("destruction certificate")
    certificate = DestructionCertificate.objects.filter(pk=key).select_related("performed_by").first()
    return _open(user, certificate, "destruction_certificate")
