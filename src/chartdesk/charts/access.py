"""Every read of encounters and documents goes through here: permission, restriction, audit.

The patient check is patients.access's own (so a restricted chart answers RestrictedChart to users
who may break the glass, NotFound to everyone else, and records the refusal). Documents marked
entered in error are readable only with charts.view_retracted; to anyone else they do not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts import files
from chartdesk.charts.models import Addendum, Document, DocumentStatus, DocumentVersion, Encounter
from chartdesk.core.errors import NotFound
from chartdesk.core.forms import record_id
from chartdesk.patients.access import access_patient_by_id, break_the_glass_reason
from chartdesk.patients.models import Patient

VIEW_DOCUMENTS = "charts.view_documents"
VIEW_RETRACTED = "charts.view_retracted"


def _open_chart(user: Any, patient_id: int, permission: str, what: str) -> Patient:
    """The patient of a record, if `user` may open that chart; missing and forbidden both NotFound."""
    if not user.is_authenticated or not user.has_perm(permission):
        raise NotFound(what)
    return access_patient_by_id(user, patient_id, permission=permission, audit=False)


def may_see_retracted(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm(VIEW_RETRACTED))


def access_encounter_by_id(user: Any, encounter_id: Any) -> Encounter:
    """The encounter, if `user` may open its patient's chart (patients.view_chart); the view is audited."""
    key = record_id(encounter_id, "encounter")
    if not user.is_authenticated or not user.has_perm("patients.view_chart"):
        raise NotFound("encounter")
    encounter = Encounter.objects.select_related("patient").filter(pk=key).first()
    if encounter is None:
        raise NotFound("encounter")
    patient = _open_chart(user, encounter.patient_id, "patients.view_chart", "encounter")
    record_event(
        AuditAction.VIEW, user=user, patient=patient, object_type="encounter", object_id=encounter.pk,
        break_the_glass_reason=break_the_glass_reason(user, patient),
    )
    return encounter


def access_document_by_id(user: Any, document_id: Any) -> Document:
    """The document, if `user` holds charts.view_documents and may open the chart; the view is audited.

    A document entered in error is found only by users holding charts.view_retracted.
    """
    key = record_id(document_id, "document")
    if not user.is_authenticated or not user.has_perm(VIEW_DOCUMENTS):
        raise NotFound("document")
    document = (
        Document.objects.select_related("patient", "encounter", "author", "current_version").filter(pk=key).first()
    )
    if document is None:
        raise NotFound("document")
    patient = _open_chart(user, document.patient_id, VIEW_DOCUMENTS, "document")
    if document.status == DocumentStatus.ENTERED_IN_ERROR and not may_see_retracted(user):
        raise NotFound("document")
    record_event(
        AuditAction.VIEW, user=user, patient=patient, object_type="document", object_id=document.pk,
        detail={"version": document.current_version.number if document.current_version else None},
        break_the_glass_reason=break_the_glass_reason(user, patient),
    )
    return document


def access_addendum_by_id(user: Any, addendum_id: Any) -> Addendum:
    """The addendum, under the same rules as its document (whose view is audited)."""
    key = record_id(addendum_id, "addendum")
    if not user.is_authenticated or not user.has_perm(VIEW_DOCUMENTS):
        raise NotFound("addendum")
    document_id = Addendum.objects.filter(pk=key).values_list("document_id", flat=True).first()
    if document_id is None:
        raise NotFound("addendum")
    document = access_document_by_id(user, document_id)
    return Addendum.objects.select_related("document").get(pk=key, document=document)


def documents_in_chart(
    user: Any,
    patient: Patient,
    *,
    document_type: str | None = None,
    encounter: Encounter | None = None,
    status: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Document]:
    """The documents of a chart `user` may see, filtered; newest service date first.

    The chart itself must already have been opened through patients.access (which audits it); the
    permission and restriction are checked again here all the same, because a list of titles is
    patient data too. Documents entered in error appear only to users holding charts.view_retracted.
    """
    if not user.is_authenticated or not user.has_perm(VIEW_DOCUMENTS):
        raise NotFound("patient")
    access_patient_by_id(user, patient.pk, permission=VIEW_DOCUMENTS, audit=False)
    documents = Document.objects.filter(patient=patient).select_related("author", "encounter", "current_version")
    if not may_see_retracted(user):
        documents = documents.exclude(status=DocumentStatus.ENTERED_IN_ERROR)
    if document_type:
        documents = documents.filter(document_type=document_type)
    if encounter is not None:
        documents = documents.filter(encounter=encounter)
    if status:
        documents = documents.filter(status=status)
    if date_from is not None:
        documents = documents.filter(service_date__gte=date_from)
    if date_to is not None:
        documents = documents.filter(service_date__lte=date_to)
    return documents


def access_document_file(user: Any, version_id: Any) -> tuple[DocumentVersion, bytes]:
    """The stored file of a document version, after its SHA-256 is checked; the download is audited.

    Same rules as access_document_by_id. A file that fails its check raises ChartdeskError and is
    recorded as a failed INTEGRITY event (see charts.files.read_verified).
    """
    key = record_id(version_id, "file")
    if not user.is_authenticated or not user.has_perm(VIEW_DOCUMENTS):
        raise NotFound("file")
    version = DocumentVersion.objects.select_related("document", "document__patient").filter(pk=key).first()
    if version is None or not version.file:
        raise NotFound("file")
    document = version.document
    patient = _open_chart(user, document.patient_id, VIEW_DOCUMENTS, "file")
    if document.status == DocumentStatus.ENTERED_IN_ERROR and not may_see_retracted(user):
        raise NotFound("file")
    content = files.read_verified(version, user=user)
    record_event(
        AuditAction.DOWNLOAD, user=user, patient=patient, object_type="document_version", object_id=version.pk,
        detail={"document_id": document.pk, "version": version.number, "sha256": version.file_sha256},
        break_the_glass_reason=break_the_glass_reason(user, patient),
    )
    return version, content
