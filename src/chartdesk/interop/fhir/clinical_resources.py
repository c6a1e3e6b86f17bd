"""Condition, Procedure and Organization: diagnoses and procedures as recorded (SNOMED CT kept)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from chartdesk.clinical.access import (
    access_condition_by_id,
    access_procedure_by_id,
    conditions_in_chart,
    procedures_in_chart,
)
from chartdesk.clinical.models import CodeSystem, Condition, Organization, Procedure
from chartdesk.clinical.schemas import CodedInput, ConditionInput
from chartdesk.core.errors import NotFound
from chartdesk.interop.fhir.common import (
    CODE_SYSTEM_URIS,
    CODE_SYSTEMS_BY_URI,
    NPI_SYSTEM,
    ChartRecordAdapter,
    DirectoryAdapter,
    SearchError,
    codeable,
    date_condition,
    instant,
    meta,
    one_of,
    pruned,
    reference,
    storable_moment,
    token_parts,
)
from chartdesk.interop.fhir.validation import FhirInvalid
from chartdesk.interop.registry import register

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"


def coded_concept(row: Any) -> dict[str, Any]:
    system = row.code_system_uri if row.code_system == CodeSystem.OTHER else CODE_SYSTEM_URIS[row.code_system]
    return codeable(system, row.code, row.display, row.display)


def coded_from_concept(concept: dict[str, Any] | None, path: str) -> CodedInput:
    """The first coding of a CodeableConcept, its system mapped to Chartdesk's code systems."""
    codings = (concept or {}).get("coding") or []
    coding = next((c for c in codings if c.get("code")), None)
    if coding is None:
        raise FhirInvalid([(path, "a coded value (coding with system and code) is required")])
    uri = coding.get("system") or ""
    system = CODE_SYSTEMS_BY_URI.get(uri, CodeSystem.OTHER)
    display = coding.get("display") or (concept or {}).get("text") or coding["code"]
    return CodedInput(code_system=system, code=coding["code"], display=display,
                      code_system_uri=uri if system == CodeSystem.OTHER else "")


def _code_filter(found: QuerySet[Any], raw: str) -> QuerySet[Any]:
    condition = Q()
    for value in one_of([raw]):
        system, code = token_parts(value)
        if system:
            slug = CODE_SYSTEMS_BY_URI.get(system)
            condition |= Q(code=code, code_system=slug) if slug else Q(code=code, code_system_uri=system)
        else:
            condition |= Q(code=code)
    return found.filter(condition)


def condition_to_fhir(condition: Condition) -> dict[str, Any]:
    return pruned({
        "resourceType": "Condition",
        "id": str(condition.pk),
        "meta": meta(str(condition.revision), condition.updated_at),
        "clinicalStatus": codeable(CLINICAL, condition.clinical_status),
        "verificationStatus": codeable(VERIFICATION, condition.verification_status),
        "category": [codeable(CATEGORY, condition.category, condition.get_category_display())],
        "code": coded_concept(condition),
        "subject": reference("Patient", condition.patient_id),
        "encounter": reference("Encounter", condition.encounter_id) if condition.encounter_id else None,
        "onsetDateTime": instant(condition.onset_at),
        "abatementDateTime": instant(condition.abatement_at),
        "recordedDate": instant(condition.recorded_at),
        "recorder": reference("Practitioner", condition.recorder_id) if condition.recorder_id else None,
    })


def _moment(value: Any, element: str) -> datetime | None:
    if not isinstance(value, str) or len(value) <= 10:
        return None
    return storable_moment(datetime.fromisoformat(value.replace("Z", "+00:00")), element)


def _status_code(concept: dict[str, Any] | None, default: str) -> str:
    codings = (concept or {}).get("coding") or []
    return next((c["code"] for c in codings if c.get("code")), default)


def condition_input(resource: dict[str, Any], *, encounter: Any = None, recorder: Any = None,
                    source: str = "") -> ConditionInput:
    return ConditionInput(
        coded=coded_from_concept(resource.get("code"), "Condition.code"),
        category=_status_code((resource.get("category") or [None])[0], "encounter-diagnosis"),
        clinical_status=_status_code(resource.get("clinicalStatus"), "active"),
        verification_status=_status_code(resource.get("verificationStatus"), "confirmed"),
        onset_at=_moment(resource.get("onsetDateTime"), "Condition.onsetDateTime"),
        abatement_at=_moment(resource.get("abatementDateTime"), "Condition.abatementDateTime"),
        recorded_at=_moment(resource.get("recordedDate"), "Condition.recordedDate"),
        encounter=encounter, recorder=recorder, source=source,
    )


@register
class ConditionAdapter(ChartRecordAdapter):
    resource_type = "Condition"
    search_params = {"patient": "reference", "code": "token", "onset-date": "date", "recorded-date": "date",
                     "clinical-status": "token"}
    what = "condition"

    def access(self, user: Any, pk: int) -> Condition:
        return access_condition_by_id(user, pk)

    def in_chart(self, user: Any, patient: Any) -> QuerySet[Any]:
        return conditions_in_chart(user, patient)

    def to_fhir(self, row: Condition) -> dict[str, Any]:
        return condition_to_fhir(row)

    def search(self, caller: Any, params: dict[str, list[str]], patient: Any) -> QuerySet[Any]:
        found = self.in_chart(caller.user, patient)
        for raw in params.get("code", []):
            found = _code_filter(found, raw)
        for raw in params.get("onset-date", []):
            found = found.filter(date_condition("onset_at", raw, "onset-date"))
        for raw in params.get("recorded-date", []):
            found = found.filter(date_condition("recorded_at", raw, "recorded-date"))
        for raw in params.get("clinical-status", []):
            found = found.filter(clinical_status__in=[token_parts(v)[1] for v in one_of([raw])])
        return found.order_by("recorded_at", "pk")

    def create(self, caller: Any, resource: dict[str, Any]) -> Condition:
        from chartdesk.clinical.actions import do_record_condition
        from chartdesk.patients.access import access_patient_by_id

        subject = (resource.get("subject") or {}).get("reference") or ""
        if not subject.startswith("Patient/"):
            raise FhirInvalid([("Condition.subject", "a reference to the Patient is required")])
        patient = access_patient_by_id(caller.user, subject.partition("/")[2])
        if caller.patient_id is not None and patient.pk != caller.patient_id:
            raise NotFound("patient")
        encounter = None
        encounter_ref = (resource.get("encounter") or {}).get("reference") or ""
        if encounter_ref:
            from chartdesk.charts.access import access_encounter_by_id

            encounter = access_encounter_by_id(caller.user, encounter_ref.partition("/")[2])
        return do_record_condition(patient, condition_input(resource, encounter=encounter, source="FHIR API"),
                                   acting_user=caller.user)

    def update(self, caller: Any, row: Condition, resource: dict[str, Any], expected_version: int) -> Condition:
        from chartdesk.clinical.actions import do_change_condition_status

        wanted = condition_input(resource)
        if (wanted.coded.code, wanted.coded.code_system) != (row.code, row.code_system):
            raise FhirInvalid([("Condition.code", "the code of a recorded condition never changes: mark it "
                                                  "entered-in-error and record a new one")])
        return do_change_condition_status(row, clinical_status=wanted.clinical_status,
                                          verification_status=wanted.verification_status,
                                          abatement_at=wanted.abatement_at, expected_revision=expected_version,
                                          acting_user=caller.user)


def procedure_to_fhir(procedure: Procedure) -> dict[str, Any]:
    performed: dict[str, Any] = {}
    if procedure.performed_start and procedure.performed_end:
        performed["performedPeriod"] = {"start": instant(procedure.performed_start),
                                        "end": instant(procedure.performed_end)}
    elif procedure.performed_start:
        performed["performedDateTime"] = instant(procedure.performed_start)
    return pruned({
        "resourceType": "Procedure",
        "id": str(procedure.pk),
        "meta": meta(str(procedure.revision), procedure.updated_at),
        "status": procedure.status,
        "code": coded_concept(procedure),
        "subject": reference("Patient", procedure.patient_id),
        "encounter": reference("Encounter", procedure.encounter_id) if procedure.encounter_id else None,
        "recorder": reference("Practitioner", procedure.recorder_id) if procedure.recorder_id else None,
        **performed,
    })


@register
class ProcedureAdapter(ChartRecordAdapter):
    resource_type = "Procedure"
    search_params = {"patient": "reference", "code": "token", "date": "date"}
    what = "procedure"

    def access(self, user: Any, pk: int) -> Procedure:
        return access_procedure_by_id(user, pk)

    def in_chart(self, user: Any, patient: Any) -> QuerySet[Any]:
        return procedures_in_chart(user, patient)

    def to_fhir(self, row: Procedure) -> dict[str, Any]:
        return procedure_to_fhir(row)

    def search(self, caller: Any, params: dict[str, list[str]], patient: Any) -> QuerySet[Any]:
        found = self.in_chart(caller.user, patient)
        for raw in params.get("code", []):
            found = _code_filter(found, raw)
        for raw in params.get("date", []):
            found = found.filter(date_condition("performed_start", raw, "date"))
        return found.order_by("performed_start", "pk")


def organization_to_fhir(organization: Organization) -> dict[str, Any]:
    return pruned({
        "resourceType": "Organization",
        "id": str(organization.pk),
        "identifier": [{"system": NPI_SYSTEM, "value": organization.npi}] if organization.npi else [],
        "active": organization.active,
        "type": [{"text": organization.kind}] if organization.kind else [],
        "name": organization.name,
        "telecom": [{"system": "phone", "value": organization.phone}] if organization.phone else [],
        "address": [{"line": [organization.line1] if organization.line1 else [], "city": organization.city,
                     "state": organization.state, "postalCode": organization.postal_code}],
    })


@register
class OrganizationAdapter(DirectoryAdapter):
    resource_type = "Organization"
    search_params = {"_id": "token", "name": "string", "identifier": "token", "address-state": "string"}
    model = Organization
    what = "organization"

    def to_fhir(self, row: Organization) -> dict[str, Any]:
        return organization_to_fhir(row)

    def narrow(self, found: QuerySet[Any], params: dict[str, list[str]]) -> QuerySet[Any]:
        for raw in params.get("name", []):
            found = found.filter(name__icontains=raw.strip())
        for raw in params.get("address-state", []):
            if len(raw.strip()) != 2:
                raise SearchError("address-state", "address-state: a two-letter state code.")
            found = found.filter(state__iexact=raw.strip())
        return found
