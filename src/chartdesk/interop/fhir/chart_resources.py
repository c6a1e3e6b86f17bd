"""Encounter, DocumentReference (with Binary), Consent (signed consent documents) and Practitioner:
the legal health record of charts as FHIR."""

from __future__ import annotations

import base64
from typing import Any

from django.db.models import Count, Q, QuerySet

from chartdesk.audit.models import AuditEvent, AuditOutcome
from chartdesk.charts.access import access_document_by_id, access_document_file, documents_in_chart
from chartdesk.charts.access import access_encounter_by_id as access_encounter
from chartdesk.charts.models import (
    CareRole,
    Document,
    DocumentStatus,
    DocumentType,
    DocumentVersion,
    Encounter,
    EncounterClass,
    EncounterStatus,
    Provider,
)
from chartdesk.core.errors import NotFound
from chartdesk.interop.fhir.common import (
    ACCOUNT_SYSTEM,
    LOINC,
    NPI_SYSTEM,
    Adapter,
    ChartRecordAdapter,
    DirectoryAdapter,
    SearchError,
    codeable,
    date_condition,
    instant,
    local_id,
    meta,
    one_of,
    pruned,
    reference,
    token_parts,
)
from chartdesk.interop.registry import register
from chartdesk.patients.names import normalise_name

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CLASS_CODES: dict[str, str] = {EncounterClass.OUTPATIENT: "AMB", EncounterClass.EMERGENCY: "EMER",
               EncounterClass.INPATIENT: "IMP", EncounterClass.OBSERVATION: "OBSENC"}
CLASS_OF_CODE = {code: local for local, code in CLASS_CODES.items()}
ENCOUNTER_STATUS: dict[str, str] = {EncounterStatus.PLANNED: "planned", EncounterStatus.IN_PROGRESS: "in-progress",
                    EncounterStatus.FINISHED: "finished", EncounterStatus.CANCELLED: "cancelled",
                    EncounterStatus.ENTERED_IN_ERROR: "entered-in-error"}
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ROLE_CODES: dict[str, str] = {CareRole.ATTENDING: "ATND", CareRole.ADMITTING: "ADM", CareRole.CONSULTING: "CON",
              CareRole.SURGEON: "PPRF", CareRole.REFERRING: "REF"}
DISPOSITION_SYSTEM = "https://www.nubc.org/CodeSystem/PatDischargeStatus"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
DOC_STATUS: dict[str, str] = {DocumentStatus.PRELIMINARY: "preliminary", DocumentStatus.FINAL: "final",
              DocumentStatus.AMENDED: "amended", DocumentStatus.ENTERED_IN_ERROR: "entered-in-error"}


def events_version(object_type: str, pk: int) -> str:
    """A record's versionId: how many change events the audit trail holds for it (at least 1)."""
    from chartdesk.interop.fhir.audit_resources import change_events

    return str(max(1, len(change_events((object_type,), pk))))


def encounter_change_counts(encounter_ids: list[int]) -> QuerySet[AuditEvent, tuple[str, int]]:
    """(encounter id, change events) for the encounters that have any, in one query."""
    from chartdesk.interop.fhir.audit_resources import CHANGE_ACTIONS

    return (AuditEvent.objects.filter(object_type="encounter", object_id__in=[str(pk) for pk in encounter_ids],
                                      action__in=CHANGE_ACTIONS, outcome=AuditOutcome.SUCCESS)
            .order_by().values_list("object_id").annotate(events=Count("pk")))


def encounter_versions(encounter_ids: list[int]) -> dict[int, str]:
    """The version of each encounter (as `events_version` counts it) in one query, for rendering many."""
    counts = dict(encounter_change_counts(encounter_ids))
    return {pk: str(max(1, counts.get(str(pk), 0))) for pk in encounter_ids}


def _encounter_version(encounter: Encounter) -> str:
    # Set by EncounterAdapter.preload_versions when many are rendered at once (version keeping).
    known: str | None = getattr(encounter, "fhir_version", None)
    return known or events_version("encounter", encounter.pk)


def encounter_to_fhir(encounter: Encounter) -> dict[str, Any]:
    period = {"start": instant(encounter.admit_at), "end": instant(encounter.discharge_at)}
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(encounter.pk),
        "meta": meta(_encounter_version(encounter), None),
        "identifier": [{"system": ACCOUNT_SYSTEM, "value": encounter.account_number}],
        "status": ENCOUNTER_STATUS.get(encounter.status, "unknown"),
        "class": {"system": ACT_CODE, "code": CLASS_CODES.get(encounter.encounter_class, "AMB"),
                  "display": encounter.get_encounter_class_display()},
        "type": [{"text": encounter.service}] if encounter.service else [],
        "subject": reference("Patient", encounter.patient_id),
        "participant": [
            {"type": [codeable(PARTICIPATION, ROLE_CODES.get(link.role, "PART"), link.get_role_display())],
             "individual": reference("Practitioner", link.provider_id, str(link.provider))}
            for link in encounter.care_team.all()
        ],
        "period": period,
        "reasonCode": [{"text": encounter.reason}] if encounter.reason else [],
        "location": [{"location": {"display": encounter.location}}] if encounter.location else [],
    }
    if encounter.discharge_disposition:
        resource["hospitalization"] = {"dischargeDisposition": codeable(
            DISPOSITION_SYSTEM, encounter.discharge_disposition, encounter.get_discharge_disposition_display())}
    return pruned(resource)


def _encounter_in_chart(caller: Any, params: dict[str, list[str]], patient: Any) -> QuerySet[Encounter]:
    found = Encounter.objects.filter(patient=patient).prefetch_related("care_team__provider")
    for raw in params.get("date", []):
        found = found.filter(date_condition("admit_at", raw, "date"))
    for raw in params.get("class", []):
        classes = []
        for value in one_of([raw]):
            _, code = token_parts(value)
            if code not in CLASS_OF_CODE:
                raise SearchError("class", f"class: {code!r} is not one of {', '.join(CLASS_OF_CODE)}.")
            classes.append(CLASS_OF_CODE[code])
        found = found.filter(encounter_class__in=classes)
    for raw in params.get("type", []):
        condition = Q()
        for value in one_of([raw]):
            condition |= Q(service__iexact=token_parts(value)[1])
        found = found.filter(condition)
    return found


@register
class EncounterAdapter(Adapter):
    resource_type = "Encounter"
    search_params = {"patient": "reference", "date": "date", "class": "token", "type": "token"}
    needs_patient = True
    include_patient = True

    def read(self, caller: Any, logical_id: str) -> Encounter:
        return access_encounter(caller.user, local_id(logical_id, "encounter"))

    def to_fhir(self, row: Encounter) -> dict[str, Any]:
        return encounter_to_fhir(row)

    def version_of(self, row: Encounter) -> str:
        return _encounter_version(row)

    def prefetch(self, rows: QuerySet[Encounter]) -> QuerySet[Encounter]:
        return rows.prefetch_related("care_team__provider")

    def preload_versions(self, rows: list[Encounter]) -> None:
        """Count the change events of all these encounters in one query instead of one each."""
        found = encounter_versions([row.pk for row in rows])
        for row in rows:
            row.fhir_version = found[row.pk]  # type: ignore[attr-defined]

    def search(self, caller: Any, params: dict[str, list[str]], patient: Any) -> QuerySet[Any]:
        return _encounter_in_chart(caller, params, patient).order_by("admit_at", "pk")

    def rows_for_patient(self, caller: Any, patient: Any) -> QuerySet[Any]:
        return Encounter.objects.filter(patient=patient).prefetch_related("care_team__provider").order_by("pk")


def document_to_fhir(document: Document) -> dict[str, Any]:
    version = document.current_version
    attachment: dict[str, Any] = {}
    if version is not None:
        attachment = {"contentType": version.content_type or "text/plain; charset=utf-8",
                      "url": f"Binary/{version.pk}", "title": version.file_name or document.title,
                      "creation": instant(version.created_at)}
        if version.file_size:
            attachment["size"] = version.file_size
    resource = {
        "resourceType": "DocumentReference",
        "id": str(document.pk),
        "meta": meta(str(document.revision), None),
        "status": "entered-in-error" if document.is_retracted else "current",
        "docStatus": DOC_STATUS.get(document.status, "preliminary"),
        "type": codeable(LOINC, document.document_type, document.get_document_type_display(), document.title),
        "category": [codeable(US_CORE_CATEGORY, "clinical-note", "Clinical Note")],
        "subject": reference("Patient", document.patient_id),
        "date": instant(document.created_at),
        "author": [reference("Practitioner", document.author_id, str(document.author))] if document.author else [],
        "description": document.title,
        "content": [{"attachment": attachment}],
        "context": {
            "encounter": [reference("Encounter", document.encounter_id)] if document.encounter_id else [],
            "period": {"start": document.service_date.isoformat()},
        },
    }
    return pruned(resource)


@register
class DocumentReferenceAdapter(ChartRecordAdapter):
    resource_type = "DocumentReference"
    search_params = {"patient": "reference", "category": "token", "type": "token", "date": "date"}
    what = "document"

    def access(self, user: Any, pk: int) -> Document:
        return access_document_by_id(user, pk)

    def in_chart(self, user: Any, patient: Any) -> QuerySet[Any]:
        return documents_in_chart(user, patient)

    def to_fhir(self, row: Document) -> dict[str, Any]:
        return document_to_fhir(row)

    def prefetch(self, rows: QuerySet[Document]) -> QuerySet[Document]:
        return rows.select_related("current_version", "author")

    def search(self, caller: Any, params: dict[str, list[str]], patient: Any) -> QuerySet[Any]:
        found = self.in_chart(caller.user, patient)
        for raw in params.get("type", []):
            codes = [token_parts(value)[1] for value in one_of([raw])]
            found = found.filter(document_type__in=codes)
        for raw in params.get("category", []):
            if "clinical-note" not in [token_parts(value)[1] for value in one_of([raw])]:
                found = found.none()
        for raw in params.get("date", []):
            found = found.filter(date_condition("service_date", raw, "date", date_only=True))
        return found.order_by("service_date", "pk")


@register
class ConsentAdapter(Adapter):
    """Signed consent forms in the chart (document type LOINC 59284-0), as FHIR Consent."""

    resource_type = "Consent"
    search_params = {"patient": "reference", "date": "date"}
    needs_patient = True
    include_patient = True

    def read(self, caller: Any, logical_id: str) -> Document:
        document = access_document_by_id(caller.user, local_id(logical_id, "consent"))
        if document.document_type != DocumentType.CONSENT:
            raise NotFound("consent")
        return document

    def to_fhir(self, row: Document) -> dict[str, Any]:
        return pruned({
            "resourceType": "Consent",
            "id": str(row.pk),
            "meta": meta(str(row.revision), None),
            "status": "entered-in-error" if row.is_retracted else (
                "active" if row.status in (DocumentStatus.FINAL, DocumentStatus.AMENDED) else "draft"),
            "scope": codeable("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy",
                              "Privacy Consent"),
            "category": [codeable(LOINC, "59284-0", "Consent Document")],
            "patient": reference("Patient", row.patient_id),
            "dateTime": instant(row.created_at),
            "policyRule": {"text": row.title},
            "sourceReference": reference("DocumentReference", row.pk, row.title),
        })

    def version_of(self, row: Document) -> str:
        return str(row.revision)

    def search(self, caller: Any, params: dict[str, list[str]], patient: Any) -> QuerySet[Any]:
        found = documents_in_chart(caller.user, patient, document_type=DocumentType.CONSENT)
        for raw in params.get("date", []):
            found = found.filter(date_condition("service_date", raw, "date", date_only=True))
        return found.order_by("service_date", "pk")

    def rows_for_patient(self, caller: Any, patient: Any) -> QuerySet[Any]:
        return documents_in_chart(caller.user, patient, document_type=DocumentType.CONSENT).order_by("pk")


def binary_of(caller: Any, logical_id: str) -> tuple[DocumentVersion, bytes, str]:
    """The content of one document version: its verified file, or its text."""
    key = local_id(logical_id, "binary")
    document_id = DocumentVersion.objects.filter(pk=key).values_list("document_id", flat=True).first()
    if document_id is None:
        raise NotFound("binary")
    document = access_document_by_id(caller.user, document_id)
    version = DocumentVersion.objects.get(pk=key, document=document)
    if version.file:
        version, content = access_document_file(caller.user, key)
        return version, content, version.content_type or "application/octet-stream"
    return version, version.text.encode(), "text/plain; charset=utf-8"


@register
class BinaryAdapter(Adapter):
    resource_type = "Binary"

    def read(self, caller: Any, logical_id: str) -> Any:
        return binary_of(caller, logical_id)

    def to_fhir(self, row: Any) -> dict[str, Any]:
        version, content, content_type = row
        return {"resourceType": "Binary", "id": str(version.pk), "contentType": content_type,
                "securityContext": reference("DocumentReference", version.document_id),
                "data": base64.b64encode(content).decode()}

    def patient_id_of(self, row: Any) -> int:
        return int(row[0].document.patient_id)


def practitioner_to_fhir(provider: Provider) -> dict[str, Any]:
    return pruned({
        "resourceType": "Practitioner",
        "id": str(provider.pk),
        "identifier": [{"system": NPI_SYSTEM, "value": provider.npi}] if provider.npi else [],
        "active": provider.active,
        "name": [{"family": provider.family_name, "given": [provider.given_name],
                  "suffix": [provider.credentials] if provider.credentials else []}],
        "qualification": [{"code": {"text": provider.specialty}}] if provider.specialty else [],
    })


@register
class PractitionerAdapter(DirectoryAdapter):
    resource_type = "Practitioner"
    search_params = {"_id": "token", "identifier": "token", "name": "string"}
    model = Provider
    what = "practitioner"

    def to_fhir(self, row: Provider) -> dict[str, Any]:
        return practitioner_to_fhir(row)

    def narrow(self, found: QuerySet[Any], params: dict[str, list[str]]) -> QuerySet[Any]:
        for raw in params.get("name", []):
            key = normalise_name(raw)
            found = found.filter(Q(family_name__istartswith=key) | Q(given_name__istartswith=key))
        return found
