"""Encounter changes that registration systems send after the admission: a transfer (and its
cancellation), a change of patient class, a cancelled admission, a cancelled discharge. Same rules as
charts.actions: permission and chart checks, one transaction, a row lock, the audit event (with the
values before the change) in that transaction, nothing deleted: a cancelled admission keeps its row
with status "cancelled"."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from chartdesk.audit.models import AuditAction
from chartdesk.charts.actions import _audit, _limited, _locked_encounter, _require_chart
from chartdesk.charts.models import Encounter, EncounterClass, EncounterStatus
from chartdesk.core.errors import ChartdeskError
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
