"""Retention: how long each record is kept, which are due for destruction, legal holds, destruction.

A patient's record is kept until the latest retention date of any of their encounters. For one
encounter, under the rule for its class in the facility's jurisdiction:

- adult at the encounter: the encounter's last day + `adult_years`;
- minor at the encounter (younger than `age_of_majority`): the later of that date and the day they
  reach majority + `years_after_majority`.

Every date is computed against an `as_of` day given by the caller (the desk passes today), so tests
and reports can freeze the clock. Records under an active legal hold are never destroyed. Destruction
writes a certificate (what, when, how, who, witness) and removes content only: paper volumes are
marked destroyed, electronic content goes through charts' do_destroy_document_content, and the
patient index, document index entries, the certificate and the audit trail all stay.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.destruction import do_destroy_document_content
from chartdesk.charts.models import Document, DocumentVersion, Encounter, EncounterStatus
from chartdesk.core.dates import age_on
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.permissions import require_permission
from chartdesk.filing.models import (
    ChartMovement,
    ChartStatus,
    DestroyedRecord,
    DestructionCertificate,
    DestructionMethod,
    LegalHold,
    LegalHoldPatient,
    MovementKind,
    PaperChart,
    RetentionPolicy,
    RetentionRule,
)
from chartdesk.patients.access import restriction_allows
from chartdesk.patients.models import Patient

MANAGE_RETENTION = "filing.manage_retention"

MATTER_REQUIRED = "Name the matter (lawsuit, investigation, audit) the hold is for."
NO_PATIENTS = "Give at least one patient to hold."
ALREADY_RELEASED = "This hold was already released."
REASON_REQUIRED = "Give the reason for releasing the hold."
WITNESS_REQUIRED = "Name the witness of the destruction."
METHOD_UNKNOWN = "Choose the destruction method from the list."
NOTHING_CHOSEN = "Choose at least one record to destroy."
ON_HOLD = "MRN {mrn} is under legal hold ({matter}); it cannot be destroyed."
NOT_DUE = "MRN {mrn} is kept until {until}; it is not due for destruction."
NO_RULE = "MRN {mrn} has no retention date (no encounters, or no rule for their type)."
ALREADY_DESTROYED = "MRN {mrn} was already destroyed (certificate {number})."


def add_years(day: date, years: int) -> date:
    """`day` moved by whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def encounter_retention_date(birth_date: date | None, last_day: date, rule: RetentionRule) -> date:
    """How long one encounter's record is kept under `rule` (see the module's docstring)."""
    adult_date = add_years(last_day, rule.adult_years)
    if birth_date is None:
        # Unknown date of birth (incomplete legacy record): the patient may have been a minor, so
        # keep the record as long as a newborn's would be kept, never shorter than the law allows.
        return max(adult_date, add_years(last_day, rule.age_of_majority + rule.years_after_majority))
    if age_on(birth_date, last_day) >= rule.age_of_majority:
        return adult_date
    return max(adult_date, add_years(birth_date, rule.age_of_majority + rule.years_after_majority))


def current_rules() -> dict[str, RetentionRule]:
    jurisdiction = RetentionPolicy.objects.get_or_create(id=1)[0].jurisdiction
    return {rule.record_type: rule for rule in RetentionRule.objects.filter(jurisdiction=jurisdiction, active=True)}


@dataclass(frozen=True)
class RetentionStatus:
    patient: Patient
    last_encounter_on: date | None
    retain_until: date | None
    holds: tuple[str, ...]
    destroyed_under: str

    def eligible(self, as_of: date) -> bool:
        return (self.retain_until is not None and self.retain_until <= as_of and not self.holds
                and not self.destroyed_under)


def _last_days(patient_ids: list[int] | None) -> dict[int, list[tuple[str, date]]]:
    encounters = Encounter.objects.exclude(status=EncounterStatus.ENTERED_IN_ERROR)
    if patient_ids is not None:
        encounters = encounters.filter(patient_id__in=patient_ids)
    by_patient: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for patient_id, encounter_class, admit_at, discharge_at in encounters.values_list(
        "patient_id", "encounter_class", "admit_at", "discharge_at"
    ):
        by_patient[patient_id].append((encounter_class, timezone.localdate(discharge_at or admit_at)))
    return by_patient


def active_holds() -> dict[int, list[str]]:
    held: dict[int, list[str]] = defaultdict(list)
    for patient_id, matter in LegalHoldPatient.objects.filter(hold__released_at__isnull=True).values_list(
        "patient_id", "hold__matter"
    ):
        held[patient_id].append(matter)
    return held


def retention_statuses(patient_ids: list[int] | None = None) -> list[RetentionStatus]:
    """The retention status of every patient with encounters (or of the ones given)."""
    rules = current_rules()
    days = _last_days(patient_ids)
    held = active_holds()
    destroyed = dict(DestroyedRecord.objects.values_list("patient_id", "certificate__number"))
    patients = Patient.objects.in_bulk(list(days.keys()) if patient_ids is None else patient_ids)
    statuses = []
    for patient_id, patient in patients.items():
        encounters = days.get(patient_id, [])
        dates = [encounter_retention_date(patient.birth_date, last_day, rules[kind])
                 for kind, last_day in encounters if kind in rules]
        statuses.append(RetentionStatus(
            patient=patient,
            last_encounter_on=max((day for _, day in encounters), default=None),
            retain_until=max(dates) if dates and len(dates) == len(encounters) else None,
            holds=tuple(held.get(patient_id, [])),
            destroyed_under=destroyed.get(patient_id, ""),
        ))
    return statuses


def access_due_for_destruction(user: Any, as_of: date) -> list[RetentionStatus]:
    """Records whose retention ended by `as_of`, including held ones (shown with their hold), oldest first."""
    require_permission(user, MANAGE_RETENTION, "manage retention, holds and destruction")
    due = [status for status in retention_statuses()
           if status.retain_until is not None and status.retain_until <= as_of and not status.destroyed_under
           and restriction_allows(user, status.patient)]
    due.sort(key=lambda status: (status.retain_until, status.patient.mrn))
    record_event(AuditAction.VIEW, user=user, object_type="retention_due_report",
                 detail={"as_of": as_of.isoformat(), "patient_ids": [status.patient.pk for status in due]})
    return due


# ----------------------------------------------------------------------------- legal holds


def do_place_legal_hold(*, matter: str, patients: list[Patient], acting_user: Any, reason: str = "") -> LegalHold:
    """Put patients' records on hold for a matter; held records are never destroyed."""
    require_permission(acting_user, MANAGE_RETENTION, "manage retention, holds and destruction")
    matter = (matter or "").strip()[:200]
    if not matter:
        raise ChartdeskError(MATTER_REQUIRED, field="matter")
    if not patients:
        raise ChartdeskError(NO_PATIENTS, field="mrns")
    with transaction.atomic():
        hold = LegalHold.objects.create(matter=matter, reason=(reason or "").strip()[:300], placed_by=acting_user)
        for patient in dict.fromkeys(patients):
            LegalHoldPatient.objects.create(hold=hold, patient=patient)
            record_event(AuditAction.CREATE, user=acting_user, patient=patient, object_type="legal_hold",
                         object_id=hold.pk, detail={"matter": matter})
    return hold


def do_release_legal_hold(hold: LegalHold, *, reason: str, acting_user: Any) -> LegalHold:
    """Release a hold (the matter ended), with the reason; its patients may then be destroyed when due."""
    require_permission(acting_user, MANAGE_RETENTION, "manage retention, holds and destruction")
    reason = (reason or "").strip()[:300]
    if not reason:
        raise ChartdeskError(REASON_REQUIRED, field="reason")
    with transaction.atomic():
        locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if locked.released_at is not None:
            raise ChartdeskError(ALREADY_RELEASED)
        locked.released_at, locked.released_by, locked.release_reason = timezone.now(), acting_user, reason
        locked.save(update_fields=["released_at", "released_by", "release_reason"])
        record_event(AuditAction.UPDATE, user=acting_user, object_type="legal_hold", object_id=locked.pk,
                     detail={"change": "released", "reason": reason,
                             "patient_ids": list(locked.held.values_list("patient_id", flat=True))})
    return locked


# ----------------------------------------------------------------------------- destruction


def _next_certificate_number() -> str:
    last = DestructionCertificate.objects.select_for_update().aggregate(highest=Max("id"))["highest"] or 0
    return f"D{last + 1:06d}"


def do_destroy_records(patients: list[Patient], *, method: str, witness: str, acting_user: Any, as_of: date,
                       note: str = "", destroyed_on: date | None = None) -> DestructionCertificate:
    """Destroy the records of `patients` whose retention ended by `as_of` and that no hold covers.

    All or nothing: one patient not due, on hold or already destroyed refuses the whole run, naming
    the MRN. Writes the certificate with one line per patient, marks their paper volumes destroyed
    and removes their documents' content; the index entries stay.
    """
    require_permission(acting_user, MANAGE_RETENTION, "manage retention, holds and destruction")
    if method not in DestructionMethod.values:
        raise ChartdeskError(METHOD_UNKNOWN, field="method")
    witness = (witness or "").strip()[:120]
    if not witness:
        raise ChartdeskError(WITNESS_REQUIRED, field="witness")
    if not patients:
        raise ChartdeskError(NOTHING_CHOSEN, field="patients")
    with transaction.atomic():
        # Lock the held-patient rows' holds so that a hold placed now waits for this run, or this run
        # sees the hold: a record must never be destroyed while a hold is being placed on it.
        list(LegalHold.objects.select_for_update().filter(released_at__isnull=True))
        statuses = {status.patient.pk: status for status in retention_statuses([p.pk for p in patients])}
        for patient in patients:
            status = statuses[patient.pk]
            if status.destroyed_under:
                raise ChartdeskError(ALREADY_DESTROYED.format(mrn=patient.mrn, number=status.destroyed_under))
            if status.holds:
                raise ChartdeskError(ON_HOLD.format(mrn=patient.mrn, matter="; ".join(status.holds)))
            if status.retain_until is None:
                raise ChartdeskError(NO_RULE.format(mrn=patient.mrn))
            if status.retain_until > as_of:
                raise ChartdeskError(NOT_DUE.format(mrn=patient.mrn, until=status.retain_until.isoformat()))
        certificate = DestructionCertificate.objects.create(
            number=_next_certificate_number(), destroyed_on=destroyed_on or timezone.localdate(), method=method,
            witness=witness, performed_by=acting_user, note=(note or "").strip()[:300],
        )
        for patient in patients:
            _destroy_one(patient, statuses[patient.pk], certificate, acting_user)
        record_event(AuditAction.CREATE, user=acting_user, object_type="destruction_certificate",
                     object_id=certificate.pk, detail={"number": certificate.number, "method": method,
                                                       "witness": witness,
                                                       "patient_ids": [patient.pk for patient in patients]})
    return certificate


def _destroy_one(patient: Patient, status: RetentionStatus, certificate: DestructionCertificate,
                 user: Any) -> DestroyedRecord:
    volumes = list(PaperChart.objects.select_for_update().filter(patient=patient).exclude(
        status=ChartStatus.DESTROYED))
    for chart in volumes:
        ChartMovement.objects.create(chart=chart, kind=MovementKind.DESTROYED, by=user,
                                     note=f"certificate {certificate.number}")
        chart.status = ChartStatus.DESTROYED
        chart.current_checkout = None
        chart.save(update_fields=["status", "current_checkout"])
    versions = DocumentVersion.objects.filter(document__patient=patient, content_destroyed_at__isnull=True).count()
    for document in Document.objects.filter(patient=patient):
        do_destroy_document_content(document, certificate_reference=certificate.number, acting_user=user)
    assert status.last_encounter_on is not None and status.retain_until is not None
    record = DestroyedRecord.objects.create(certificate=certificate, patient=patient,
                                            last_encounter_on=status.last_encounter_on,
                                            retain_until=status.retain_until, paper_volumes=len(volumes),
                                            document_versions=versions)
    record_event(AuditAction.UPDATE, user=user, patient=patient, object_type="destroyed_record", object_id=record.pk,
                 detail={"change": "destroyed", "certificate": certificate.number, "paper_volumes": len(volumes),
                         "document_versions": versions})
    return record
