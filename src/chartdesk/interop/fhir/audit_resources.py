"""Provenance and AuditEvent, both drawn from the hash-chained audit trail, and the change events
that number an encounter's (and a claim's) versions.

The content of each version is kept separately, in ResourceVersion (see versions.py and
docs/interop.md); the audit trail stays the record of who changed what and when.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction, AuditEvent, AuditOutcome
from chartdesk.core.errors import NotFound
from chartdesk.interop.fhir.common import (
    Adapter,
    SearchError,
    date_condition,
    instant,
    local_id,
    one_of,
    pruned,
    reference,
    reference_id,
)
from chartdesk.interop.registry import register
from chartdesk.patients.access import access_patient_by_id

CHANGE_ACTIONS = (AuditAction.CREATE, AuditAction.UPDATE, AuditAction.SIGN, AuditAction.RETRACT)
TARGET_TYPES = {"patient": "Patient", "encounter": "Encounter", "document": "DocumentReference",
                "condition": "Condition", "procedure": "Procedure"}
OBJECT_TYPES = {resource: object_type for object_type, resource in TARGET_TYPES.items()}
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
OPERATION_CODES = {AuditAction.CREATE: "CREATE", AuditAction.UPDATE: "UPDATE", AuditAction.SIGN: "UPDATE",
                   AuditAction.RETRACT: "NULLIFY"}
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
AUDIT_ACTION_CODES = {AuditAction.VIEW: "R", AuditAction.SEARCH: "E", AuditAction.CREATE: "C",
                      AuditAction.UPDATE: "U", AuditAction.SIGN: "U", AuditAction.RETRACT: "D",
                      AuditAction.PRINT: "R", AuditAction.DOWNLOAD: "R", AuditAction.EXPORT: "R"}
OUTCOME_CODES = {AuditOutcome.SUCCESS: "0", AuditOutcome.DENIED: "4", AuditOutcome.FAILURE: "8"}


def change_event_rows(object_types: tuple[str, ...], object_id: int, patient_id: int | None = None
                      ) -> QuerySet[AuditEvent]:
    """The query of `change_events` (tests/audit/test_query_plans.py reads its plan)."""
    condition = Q(object_type=object_types[0], object_id=str(object_id))
    if patient_id is not None and len(object_types) > 1:
        condition |= Q(object_type__in=object_types[1:], patient_id=patient_id)
    return AuditEvent.objects.filter(condition, action__in=CHANGE_ACTIONS,
                                     outcome=AuditOutcome.SUCCESS).order_by("sequence")


def change_events(object_types: tuple[str, ...], object_id: int, patient_id: int | None = None
                  ) -> list[AuditEvent]:
    """The create and update events of one record (for a patient: of its names, phones... too)."""
    return list(change_event_rows(object_types, object_id, patient_id))


PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def _agent_name(event: AuditEvent) -> str:
    name = event.username or "system"
    return f"{name} ({event.role})" if event.role else name


def provenance_to_fhir(event: AuditEvent) -> dict[str, Any]:
    return pruned({
        "resourceType": "Provenance",
        "id": str(event.sequence),
        "target": [reference(TARGET_TYPES[event.object_type], event.object_id)],
        "recorded": instant(event.occurred_at),
        "activity": {"coding": [{"system": DATA_OPERATION,
                                 "code": OPERATION_CODES.get(AuditAction(event.action), "UPDATE")}],
                     "text": event.get_action_display()},
        "agent": [{"type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "author"}]},
                   "who": {"display": _agent_name(event)}}],
        "reason": [{"text": event.channel}] if event.channel else [],
    })


@register
class ProvenanceAdapter(Adapter):
    resource_type = "Provenance"
    search_params = {"target": "reference", "patient": "reference"}
    needs_patient = True

    def _events(self) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.filter(action__in=CHANGE_ACTIONS, object_type__in=TARGET_TYPES,
                                         outcome=AuditOutcome.SUCCESS, patient_id__isnull=False)

    def read(self, caller: Any, logical_id: str) -> AuditEvent:
        event = self._events().filter(sequence=local_id(logical_id, "provenance")).first()
        if event is None:
            raise NotFound("provenance")
        patient = access_patient_by_id(caller.user, event.patient_id, audit=False)
        record_event(AuditAction.VIEW, user=caller.user, patient=patient, object_type="provenance",
                     object_id=event.sequence)
        return event

    def to_fhir(self, row: AuditEvent) -> dict[str, Any]:
        return provenance_to_fhir(row)

    def patient_id_of(self, row: AuditEvent) -> int | None:
        return row.patient_id

    def search(self, caller: Any, params: dict[str, list[str]], patient: Any) -> QuerySet[Any]:
        found = self._events().filter(patient_id=patient.pk)
        for raw in params.get("target", []):
            condition = Q()
            for value in one_of([raw]):
                kind = value.rpartition("/")[0].rpartition("/")[2]
                if kind not in OBJECT_TYPES:
                    raise SearchError("target", f"target: {value!r} is not a reference to a resource with provenance.")
                condition |= Q(object_type=OBJECT_TYPES[kind], object_id=str(reference_id(value, kind, "target")))
            found = found.filter(condition)
        return found.order_by("sequence")

    def targets(self, resource_type: str, rows: list[Any]) -> QuerySet[AuditEvent]:
        """The provenance of the given rows (for _revinclude=Provenance:target)."""
        object_type = OBJECT_TYPES.get(resource_type)
        if object_type is None:
            return self._events().none()
        return self._events().filter(object_type=object_type, object_id__in=[str(row.pk) for row in rows])

    def rows_for_patient(self, caller: Any, patient: Any) -> QuerySet[Any]:
        return self._events().filter(patient_id=patient.pk).order_by("sequence")


def audit_event_to_fhir(event: AuditEvent) -> dict[str, Any]:
    entities = []
    if event.patient_id:
        entities.append({"what": reference("Patient", event.patient_id, event.patient_mrn),
                         "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1"}})
    if event.object_type:
        entities.append({"what": {"display": f"{event.object_type}/{event.object_id}".rstrip("/")},
                         "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2"}})
    security = event.action in (AuditAction.LOGIN, AuditAction.LOGOUT, AuditAction.LOGIN_FAILED,
                                AuditAction.LOCKED_OUT, AuditAction.MFA)
    return pruned({
        "resourceType": "AuditEvent",
        "id": str(event.sequence),
        "type": {"system": DICOM, "code": "110114" if security else "110110",
                 "display": "User Authentication" if security else "Patient Record"},
        "subtype": [{"system": "urn:chartdesk:audit-action", "code": event.action,
                     "display": event.get_action_display()}],
        "action": AUDIT_ACTION_CODES.get(AuditAction(event.action), "E"),
        "recorded": instant(event.occurred_at),
        "outcome": OUTCOME_CODES.get(AuditOutcome(event.outcome), "8"),
        "agent": [{"who": {"display": event.username or "system"}, "requestor": True,
                   "role": [{"text": event.role}] if event.role else [],
                   "network": {"address": event.client_address, "type": "2"} if event.client_address else None,
                   "purposeOfUse": [{"text": f"break the glass: {event.break_the_glass_reason}"}]
                   if event.break_the_glass_reason else []}],
        "source": {"observer": {"display": "Chartdesk"}, "site": event.channel},
        "entity": entities,
    })


@register
class AuditEventAdapter(Adapter):
    """The audit trail itself, for auditors (audit.view_audit_reports); never for patient-scope tokens."""

    resource_type = "AuditEvent"
    search_params = {"patient": "reference", "date": "date", "agent-name": "string", "action": "token"}
    patient_data = False

    def _check(self, caller: Any) -> None:
        if caller.patient_id is not None or not caller.user.has_perm("audit.view_audit_reports"):
            raise NotFound("audit event")

    def read(self, caller: Any, logical_id: str) -> AuditEvent:
        self._check(caller)
        event = AuditEvent.objects.filter(sequence=local_id(logical_id, "audit event")).first()
        if event is None:
            raise NotFound("audit event")
        record_event(AuditAction.VIEW, user=caller.user, object_type="audit_event", object_id=event.sequence)
        return event

    def to_fhir(self, row: AuditEvent) -> dict[str, Any]:
        return audit_event_to_fhir(row)

    def patient_id_of(self, row: Any) -> None:
        return None

    def search(self, caller: Any, params: dict[str, list[str]], patient: Any) -> QuerySet[Any]:
        self._check(caller)
        found = AuditEvent.objects.all()
        for raw in params.get("patient", []):
            found = found.filter(patient_id=reference_id(raw, "Patient", "patient"))
        for raw in params.get("date", []):
            found = found.filter(date_condition("occurred_at", raw, "date"))
        for raw in params.get("agent-name", []):
            found = found.filter(username__iexact=raw.strip())
        for raw in params.get("action", []):
            found = found.filter(action__in=one_of([raw]))
        record_event(AuditAction.SEARCH, user=caller.user, object_type="audit_event",
                     detail={"query": {key: values for key, values in params.items()}})
        return found.order_by("sequence")
