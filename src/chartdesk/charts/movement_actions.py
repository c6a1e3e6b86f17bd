"""Encounter changes that registration systems send after the admission: a transfer (and its
cancellation), a change of patient class, a cancelled admission, a cancelled discharge, a new account
number, and the diagnoses the sender reports. Same rules as
charts.actions: permission and chart checks, one transaction, a row lock, the audit event (with the
values before the change) in that transaction, nothing deleted: a cancelled admission keeps its row
with status "cancelled"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from chartdesk.audit.models import AuditAction
from chartdesk.charts.actions import (
    ACCOUNT_NUMBER_INVALID,
    ACCOUNT_NUMBER_PATTERN,
    ACCOUNT_NUMBER_TAKEN,
    _audit,
    _limited,
    _locked_encounter,
    _require_chart,
)
from chartdesk.charts.models import Encounter, EncounterClass, EncounterStatus, ReportedDiagnosis
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.notices import Change, announce
from chartdesk.core.permissions import require_permission

NOT_IN_PROGRESS = "This encounter is {status}: only an encounter in progress can be {what}."
NOT_FINISHED = "This encounter is {status}: only a finished encounter's discharge can be cancelled."
SAME_CLASS = "This encounter is already {kind}."


def _may_change(encounter: Encounter, acting_user: Any, what: str) -> None:
    require_permission(acting_user, "charts.open_encounter", what)
    _require_chart(acting_user, encounter.patient)


def _given(value: str, limit: int, field: str, refusal: str) -> str:
    text = _limited(value, limit, field, field)
    if not text:
        raise ChartdeskError(refusal, field=field)
    return text


def _open(encounter: Encounter, what: str) -> Encounter:
    locked = _locked_encounter(encounter)
    if locked.status != EncounterStatus.IN_PROGRESS:
        raise ChartdeskError(NOT_IN_PROGRESS.format(status=locked.get_status_display().lower(), what=what))
    return locked


def do_transfer_encounter(encounter: Encounter, *, location: str, acting_user: Any) -> Encounter:
    """Move a patient in progress to another location (a transfer, or the undoing of one)."""
    _may_change(encounter, acting_user, "transfer patients")
    location = _given(location, 80, "location", "Give the location the patient moves to.")
    with transaction.atomic():
        locked = _open(encounter, "transferred")
        if locked.location == location:
            return locked
        before = locked.location
        locked.location = location
        locked.save(update_fields=["location"])
        _audit(AuditAction.UPDATE, acting_user, locked.patient, "encounter", locked.pk, change="transfer",
               location_before=before, location=location)
        announce(Change.VISIT_UPDATED, patient=locked.patient, encounter=locked, acting_user=acting_user)
    return locked


def do_change_encounter_class(encounter: Encounter, *, encounter_class: str, acting_user: Any) -> Encounter:
    """An outpatient visit becomes an inpatient stay, or the other way round, while in progress."""
    _may_change(encounter, acting_user, "change encounter classes")
    if encounter_class not in EncounterClass.values:
        raise ChartdeskError("Choose the encounter class: outpatient, emergency, inpatient or observation.",
                             field="encounter_class")
    with transaction.atomic():
        locked = _open(encounter, "changed")
        if locked.encounter_class == encounter_class:
            raise ChartdeskError(SAME_CLASS.format(kind=locked.get_encounter_class_display().lower()),
                                 field="encounter_class")
        before = locked.encounter_class
        locked.encounter_class = encounter_class
        locked.save(update_fields=["encounter_class"])
        _audit(AuditAction.UPDATE, acting_user, locked.patient, "encounter", locked.pk, change="class",
               class_before=before, encounter_class=encounter_class)
        announce(Change.VISIT_UPDATED, patient=locked.patient, encounter=locked, acting_user=acting_user)
    return locked


def do_cancel_encounter(encounter: Encounter, *, reason: str, acting_user: Any) -> Encounter:
    """An admission or registration made in error: the encounter is kept, with status "cancelled"."""
    _may_change(encounter, acting_user, "cancel encounters")
    reason = _given(reason, 200, "reason", "Say why the encounter is cancelled.")
    with transaction.atomic():
        locked = _open(encounter, "cancelled")
        locked.status = EncounterStatus.CANCELLED
        locked.save(update_fields=["status"])
        _audit(AuditAction.UPDATE, acting_user, locked.patient, "encounter", locked.pk, change="cancel",
               reason=reason)
    return locked


def do_reopen_encounter(encounter: Encounter, *, reason: str, acting_user: Any) -> Encounter:
    """A discharge recorded in error: the stay is in progress again; the discharge time and
    disposition it had are kept in the audit event."""
    _may_change(encounter, acting_user, "cancel discharges")
    reason = _given(reason, 200, "reason", "Say why the discharge is cancelled.")
    with transaction.atomic():
        locked = _locked_encounter(encounter)
        if locked.status != EncounterStatus.FINISHED:
            raise ChartdeskError(NOT_FINISHED.format(status=locked.get_status_display().lower()))
        before = {"discharge_at": locked.discharge_at.isoformat() if locked.discharge_at else "",
                  "disposition": locked.discharge_disposition}
        locked.status = EncounterStatus.IN_PROGRESS
        locked.discharge_at = None
        locked.discharge_disposition = ""
        locked.save(update_fields=["status", "discharge_at", "discharge_disposition"])
        _audit(AuditAction.UPDATE, acting_user, locked.patient, "encounter", locked.pk, change="reopen",
               reason=reason, **before)
    return locked


def do_change_account_number(encounter: Encounter, *, account_number: str, reason: str, acting_user: Any) -> Encounter:
    """Give an encounter the account number its registration system now uses (HL7 A35); the number
    before is kept in the audit event. A number another encounter holds is refused."""
    require_permission(acting_user, "charts.open_encounter", "change account numbers")
    _require_chart(acting_user, encounter.patient)
    number = (account_number or "").strip()
    if not ACCOUNT_NUMBER_PATTERN.match(number):
        raise ChartdeskError(ACCOUNT_NUMBER_INVALID, field="account_number")
    reason = _limited(reason, 200, "reason", "reason")
    if not reason:
        raise ChartdeskError("Say why the account number changes.", field="reason")
    with transaction.atomic():
        locked = _locked_encounter(encounter)
        if locked.account_number == number:
            return locked
        if Encounter.objects.filter(account_number=number).exclude(pk=locked.pk).exists():
            raise ChartdeskError(ACCOUNT_NUMBER_TAKEN.format(number=number), field="account_number")
        before = locked.account_number
        locked.account_number = number
        try:
            with transaction.atomic():
                locked.save(update_fields=["account_number"])
        except IntegrityError:  # a concurrent registration took the number between check and update
            raise ChartdeskError(ACCOUNT_NUMBER_TAKEN.format(number=number), field="account_number") from None
        _audit(AuditAction.UPDATE, acting_user, locked.patient, "encounter", locked.pk, change="account_number",
               account_number_before=before, account_number=number, reason=reason)
        announce(Change.VISIT_UPDATED, patient=locked.patient, encounter=locked, acting_user=acting_user)
    return locked


def do_record_reported_diagnosis(encounter: Encounter, *, code: str, coding_system: str, description: str,
                                 diagnosis_type: str, diagnosed_at: datetime | None, source: str,
                                 acting_user: Any) -> tuple[ReportedDiagnosis, bool]:
    """Keep a diagnosis as the sender reported it on the encounter (not coded). The same diagnosis
    (code, system, text and type) already on the encounter is not kept twice: feeds repeat DG1 in
    every update. Returns the row and whether it is new."""
    require_permission(acting_user, "charts.open_encounter", "record reported diagnoses")
    _require_chart(acting_user, encounter.patient)
    code = _limited(code, 20, "diagnosis code", "code")
    coding_system = _limited(coding_system, 20, "coding system", "coding_system")
    description = _limited(description, 200, "diagnosis description", "description")
    diagnosis_type = _limited(diagnosis_type, 40, "diagnosis type", "diagnosis_type")
    source = _limited(source, 200, "source", "source")
    if not code and not description:
        raise ChartdeskError("A reported diagnosis needs its code or its description.", field="code")
    with transaction.atomic():
        # The encounter row is locked so that two messages reporting the same diagnosis at once keep it once.
        locked = _locked_encounter(encounter)
        existing = ReportedDiagnosis.objects.filter(encounter=locked, code=code, coding_system=coding_system,
                                                    description=description, diagnosis_type=diagnosis_type).first()
        if existing is not None:
            return existing, False
        diagnosis = ReportedDiagnosis.objects.create(
            encounter=locked, code=code, coding_system=coding_system, description=description,
            diagnosis_type=diagnosis_type, diagnosed_at=diagnosed_at, source=source, recorded_by=acting_user)
        _audit(AuditAction.CREATE, acting_user, locked.patient, "reported_diagnosis", diagnosis.pk,
               encounter_id=locked.pk, code=code, coding_system=coding_system, diagnosis_type=diagnosis_type)
    return diagnosis, True
