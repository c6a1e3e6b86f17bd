"""Every change to conditions, procedures, organisations and clinician records kept here.

Each action checks the permission, validates (messages name the field), writes in one transaction
and records its audit event in that same transaction. Nothing is deleted: a wrong diagnosis is
marked entered-in-error (verification status) and stays readable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import PendingEvent, record_event, record_events
from chartdesk.audit.models import AuditAction
from chartdesk.charts.models import Encounter, EncounterStatus, Provider
from chartdesk.clinical.models import (
    ClinicalStatus,
    CodeSystem,
    Condition,
    ConditionCategory,
    Organization,
    Procedure,
    ProcedureStatus,
    VerificationStatus,
)
from chartdesk.clinical.schemas import (
    ClinicianInput,
    CodedInput,
    ConditionInput,
    OrganizationInput,
    ProcedureInput,
)
from chartdesk.core.bulk import create_rows
from chartdesk.core.errors import ChartdeskError, ConcurrentChange
from chartdesk.core.npi import npi_is_valid
from chartdesk.core.permissions import require_permission
from chartdesk.patients.access import refuse_change_to_closed_chart
from chartdesk.patients.models import Patient

RECORD_CLINICAL = "clinical.record_clinical"
CODE_SYSTEM_UNKNOWN = "Code system: {value!r} is not one of {choices}."
CODE_REQUIRED = "Code: required, at most 40 characters."
DISPLAY_REQUIRED = "Display: the code's name is required, at most 300 characters."
STATUS_UNKNOWN = "{what}: {value!r} is not one of {choices}."
ENCOUNTER_OTHER_PATIENT = "Encounter: {number} belongs to another patient."
ENDS_BEFORE_START = "{what}: ends before it starts."
IN_FUTURE = "{what}: {when} is in the future."
PATIENT_MERGED = "This patient was merged into another record; record it on the surviving chart."
STALE_REVISION = "This entry was changed by someone else since you read it; nothing was saved."
NAME_REQUIRED = "{what}: required, at most {limit} characters."
NPI_INVALID = "NPI: ten digits whose last is the Luhn check digit over 80840 and the first nine."


def _require_chart(acting_user: Any, patient: Patient) -> None:
    refuse_change_to_closed_chart(acting_user, patient, during="clinical entry", merged=PATIENT_MERGED)


def _choice(value: str, choices: Any, what: str, field: str) -> str:
    if value not in choices.values:
        raise ChartdeskError(STATUS_UNKNOWN.format(what=what, value=value, choices=", ".join(choices.values)),
                             field=field)
    return value


def clean_coded(coded: CodedInput) -> CodedInput:
    if coded.code_system not in CodeSystem.values:
        raise ChartdeskError(CODE_SYSTEM_UNKNOWN.format(value=coded.code_system, choices=", ".join(CodeSystem.values)),
                             field="code_system")
    code = "".join(coded.code.split())
    if not code or len(code) > 40:
        raise ChartdeskError(CODE_REQUIRED, field="code")
    display = " ".join(coded.display.split())
    if not display or len(display) > 300:
        raise ChartdeskError(DISPLAY_REQUIRED, field="display")
    uri = coded.code_system_uri.strip()[:200] if coded.code_system == CodeSystem.OTHER else ""
    return CodedInput(code_system=coded.code_system, code=code, display=display, code_system_uri=uri)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _checked_period(start: datetime | None, end: datetime | None, what: str, field: str) -> None:
    now = timezone.now()
    for moment in (start, end):
        if moment is not None and moment > now + timedelta(minutes=5):
            raise ChartdeskError(IN_FUTURE.format(what=what, when=moment.isoformat()), field=field)
    if start is not None and end is not None and end < start:
        raise ChartdeskError(ENDS_BEFORE_START.format(what=what), field=field)


def _checked_links(patient: Patient, encounter: Any, recorder: Any) -> None:
    if encounter is not None:
        if not isinstance(encounter, Encounter) or encounter.patient_id != patient.pk:
            raise ChartdeskError(ENCOUNTER_OTHER_PATIENT.format(number=getattr(encounter, "account_number", "?")),
                                 field="encounter")
        if encounter.status == EncounterStatus.ENTERED_IN_ERROR:
            raise ChartdeskError("Encounter: it was entered in error.", field="encounter")
    if recorder is not None and not isinstance(recorder, Provider):
        raise ChartdeskError("Recorder: choose a clinician record.", field="recorder")


def _coded_fields(coded: CodedInput) -> dict[str, Any]:
    return {"code_system": coded.code_system, "code_system_uri": coded.code_system_uri, "code": coded.code,
            "display": coded.display}


def _condition_row(patient: Patient, entry: ConditionInput, acting_user: Any) -> tuple[Condition, PendingEvent]:
    """The checked, unsaved condition and its audit event (object id filled in once it is saved)."""
    coded = clean_coded(entry.coded)
    _choice(entry.category, ConditionCategory, "Category", "category")
    _choice(entry.clinical_status, ClinicalStatus, "Clinical status", "clinical_status")
    _choice(entry.verification_status, VerificationStatus, "Verification status", "verification_status")
    onset, abatement = _aware(entry.onset_at), _aware(entry.abatement_at)
    _checked_period(onset, abatement, "Onset and abatement", "onset_at")
    _checked_links(patient, entry.encounter, entry.recorder)
    condition = Condition(
        patient=patient, encounter=entry.encounter, recorder=entry.recorder, source=entry.source[:200],
        category=entry.category, clinical_status=entry.clinical_status,
        verification_status=entry.verification_status, onset_at=onset, abatement_at=abatement,
        recorded_at=_aware(entry.recorded_at) or timezone.now(), created_by=acting_user, **_coded_fields(coded),
    )
    event = PendingEvent(AuditAction.CREATE, user=acting_user, patient=patient, object_type="condition",
                         detail={"code_system": coded.code_system, "code": coded.code, "source": condition.source})
    return condition, event


def _procedure_row(patient: Patient, entry: ProcedureInput, acting_user: Any) -> tuple[Procedure, PendingEvent]:
    coded = clean_coded(entry.coded)
    _choice(entry.status, ProcedureStatus, "Status", "status")
    start, end = _aware(entry.performed_start), _aware(entry.performed_end)
    _checked_period(start, end, "Performed period", "performed_start")
    _checked_links(patient, entry.encounter, entry.recorder)
    procedure = Procedure(
        patient=patient, encounter=entry.encounter, recorder=entry.recorder, source=entry.source[:200],
        status=entry.status, performed_start=start, performed_end=end, created_by=acting_user,
        **_coded_fields(coded),
    )
    event = PendingEvent(AuditAction.CREATE, user=acting_user, patient=patient, object_type="procedure",
                         detail={"code_system": coded.code_system, "code": coded.code, "source": procedure.source})
    return procedure, event


@transaction.atomic
def do_record_condition(patient: Patient, entry: ConditionInput, *, acting_user: Any) -> Condition:
    """Record a diagnosis as the clinical record states it (code kept as received, e.g. SNOMED CT)."""
    require_permission(acting_user, RECORD_CLINICAL)
    _require_chart(acting_user, patient)
    condition, event = _condition_row(patient, entry, acting_user)
    condition.save(force_insert=True)
    record_events([replace(event, object_id=condition.pk)])
    return condition


@transaction.atomic
def do_record_procedure(patient: Patient, entry: ProcedureInput, *, acting_user: Any) -> Procedure:
    """Record a procedure as the clinical record states it (code kept as received)."""
    require_permission(acting_user, RECORD_CLINICAL)
    _require_chart(acting_user, patient)
    procedure, event = _procedure_row(patient, entry, acting_user)
    procedure.save(force_insert=True)
    record_events([replace(event, object_id=procedure.pk)])
    return procedure


RowBuilder = Callable[[Patient, Any, Any], tuple[Any, PendingEvent]]


def _record_many(patient: Patient, entries: Sequence[Any], build: RowBuilder, acting_user: Any) -> list[Any]:
    require_permission(acting_user, RECORD_CLINICAL)
    _require_chart(acting_user, patient)
    outcomes: list[Any] = []
    accepted: list[tuple[Any, PendingEvent]] = []
    for entry in entries:
        try:
            planned = build(patient, entry, acting_user)
        except ChartdeskError as refusal:
            outcomes.append(refusal)
            continue
        accepted.append(planned)
        outcomes.append(planned[0])
    with transaction.atomic():
        if accepted:
            rows = create_rows(type(accepted[0][0]), [row for row, _ in accepted])
            record_events([replace(event, object_id=row.pk) for row, (_, event) in zip(rows, accepted, strict=True)])
    return outcomes


def do_record_conditions(patient: Patient, entries: Sequence[ConditionInput], *,
                         acting_user: Any) -> list[Condition | ChartdeskError]:
    """Record many diagnoses of one chart together (an import): each is checked as
    `do_record_condition` checks it; those refused come back as their refusal, in place, and are not
    written; the rest are inserted together with one audit event each, in one transaction."""
    return _record_many(patient, entries, _condition_row, acting_user)


def do_record_procedures(patient: Patient, entries: Sequence[ProcedureInput], *,
                         acting_user: Any) -> list[Procedure | ChartdeskError]:
    """Record many procedures of one chart together, as `do_record_conditions` records conditions."""
    return _record_many(patient, entries, _procedure_row, acting_user)


@transaction.atomic
def do_change_condition_status(condition: Condition, *, clinical_status: str, verification_status: str,
                               expected_revision: int, acting_user: Any,
                               abatement_at: datetime | None = None) -> Condition:
    """Change a condition's clinical and verification status (resolved, refuted, entered-in-error...).

    The code itself never changes: a wrong code is marked entered-in-error and a new condition recorded.
    """
    require_permission(acting_user, RECORD_CLINICAL)
    # Lock, then compare: two writers must not both pass the revision check.
    current = Condition.objects.select_for_update().select_related("patient").get(pk=condition.pk)
    _require_chart(acting_user, current.patient)
    if current.revision != expected_revision:
        raise ConcurrentChange(STALE_REVISION)
    _choice(clinical_status, ClinicalStatus, "Clinical status", "clinical_status")
    _choice(verification_status, VerificationStatus, "Verification status", "verification_status")
    abatement = _aware(abatement_at)
    _checked_period(current.onset_at, abatement, "Onset and abatement", "abatement_at")
    changed = [name for name, value in (("clinical_status", clinical_status),
                                        ("verification_status", verification_status),
                                        ("abatement_at", abatement)) if getattr(current, name) != value]
    if not changed:
        return current
    current.clinical_status, current.verification_status, current.abatement_at = (
        clinical_status, verification_status, abatement)
    current.revision += 1
    current.updated_at = timezone.now()
    current.save()
    record_event(AuditAction.UPDATE, user=acting_user, patient=current.patient, object_type="condition",
                 object_id=current.pk, detail={"fields": changed})
    return current


def _text(value: str, limit: int, what: str, field: str, *, required: bool = False) -> str:
    text = " ".join((value or "").split())
    if (required and not text) or len(text) > limit:
        raise ChartdeskError(NAME_REQUIRED.format(what=what, limit=limit), field=field)
    return text


@transaction.atomic
def do_register_organization(organization: OrganizationInput, *, acting_user: Any) -> Organization:
    """Record a facility or group that gives care."""
    require_permission(acting_user, RECORD_CLINICAL)
    npi = organization.npi.strip()
    if npi and not npi_is_valid(npi):
        raise ChartdeskError(NPI_INVALID, field="npi")
    row = Organization.objects.create(
        name=_text(organization.name, 200, "Name", "name", required=True), npi=npi,
        kind=_text(organization.kind, 40, "Kind", "kind"), phone=_text(organization.phone, 20, "Phone", "phone"),
        line1=_text(organization.line1, 120, "Address", "line1"), city=_text(organization.city, 80, "City", "city"),
        state=_text(organization.state, 2, "State", "state").upper(),
        postal_code=_text(organization.postal_code, 10, "ZIP", "postal_code"),
    )
    record_event(AuditAction.CREATE, user=acting_user, object_type="organization", object_id=row.pk,
                 detail={"name": row.name})
    return row


@transaction.atomic
def do_register_clinician(clinician: ClinicianInput, *, acting_user: Any) -> Provider:
    """Record a clinician who is not (yet) a user: an author or performer named by another system."""
    require_permission(acting_user, RECORD_CLINICAL)
    npi = clinician.npi.strip()
    if npi and not npi_is_valid(npi):
        raise ChartdeskError(NPI_INVALID, field="npi")
    provider = Provider.objects.create(
        given_name=_text(clinician.given_name, 80, "Given name", "given_name", required=True),
        family_name=_text(clinician.family_name, 80, "Family name", "family_name", required=True),
        npi=npi, credentials=_text(clinician.credentials, 20, "Credentials", "credentials"),
        specialty=_text(clinician.specialty, 80, "Specialty", "specialty"),
    )
    record_event(AuditAction.CREATE, user=acting_user, object_type="provider", object_id=provider.pk,
                 detail={"npi": npi})
    return provider
