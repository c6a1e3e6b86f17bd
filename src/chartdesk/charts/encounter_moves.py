"""Move encounters that belong to someone else to the right chart (an overlay's cure), and undo it.

What moves is found generically, as a merge finds it (patients.merging.patient_links): the
encounters, and every row of any app that points at the chart and at one of those encounters (or
at a document of one of them): documents, claims, deficiencies... Rows of the chart that belong to
no moved encounter stay. Only the patient column changes; nothing is deleted; each move records
what it moved, and its undo puts those encounters (and what was added to them since) back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from chartdesk.audit.models import AuditAction
from chartdesk.charts.actions import _audit
from chartdesk.charts.models import Document, Encounter, EncounterMove, OverlayCase
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.locking import lock_row
from chartdesk.core.permissions import require_permission
from chartdesk.patients.access import restriction_allows
from chartdesk.patients.merge_actions import MERGE_PERMISSION
from chartdesk.patients.merging import KEEP, PatientLink, merge_policy, patient_links, repoint
from chartdesk.patients.models import Patient, PatientStatus

REASON_LIMIT = 500
ENCOUNTER_LINK = "charts.Encounter.patient"


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ChartdeskError("Reason: say why these encounters belong to another chart.", field="reason")
    if len(reason) > REASON_LIMIT:
        raise ChartdeskError(f"Reason: at most {REASON_LIMIT} characters.", field="reason")
    return reason


def _encounter_paths(model: type[models.Model]) -> list[str]:
    """The lookups from `model` to an encounter: a foreign key to one, or to a document of one."""
    paths = []
    for field in model._meta.concrete_fields:
        if not field.is_relation or not (field.many_to_one or field.one_to_one):
            continue
        if field.related_model is Encounter:
            paths.append(f"{field.name}__in")
        elif field.related_model is Document:
            paths.append(f"{field.name}__encounter__in")
    return paths


def _rows_of_encounters(link: PatientLink, patient_pk: int, encounter_ids: list[int]) -> list[Any]:
    if merge_policy(link.model, link.field.name) == KEEP:
        return []
    if link.key == ENCOUNTER_LINK:
        return list(link.rows_of(patient_pk).filter(pk__in=encounter_ids).order_by("pk").values_list("pk", flat=True))
    paths = _encounter_paths(link.model)
    if not paths:
        return []
    condition = Q()
    for path in paths:
        condition |= Q(**{path: encounter_ids})
    return list(link.rows_of(patient_pk).filter(condition).order_by("pk").values_list("pk", flat=True))


def _repoint_encounters(encounter_ids: list[int], *, from_pk: int, to_pk: int) -> dict[str, list[Any]]:
    moved: dict[str, list[Any]] = {}
    for link in patient_links():
        pks = _rows_of_encounters(link, from_pk, encounter_ids)
        if pks:
            repoint(link, pks, from_pk=from_pk, to_pk=to_pk)
            moved[link.key] = pks
    return moved


def _may_move(user: Any, *patients: Patient) -> None:
    require_permission(user, MERGE_PERMISSION, "move encounters between charts")
    for patient in patients:
        if not restriction_allows(user, patient):
            raise NotFound("patient")
        if patient.status != PatientStatus.ACTIVE:
            raise ChartdeskError(f"MRN {patient.mrn} is merged into another chart: choose the chart it was merged "
                                 "into.", field="target")


@transaction.atomic
def do_move_encounters(from_patient: Patient, to_patient: Patient, encounters: Sequence[Encounter], *, reason: str,
                       acting_user: Any, overlay: OverlayCase | None = None,
                       new_registration: bool = False) -> EncounterMove:
    """Move `encounters` (and every row that belongs to them) from one chart to another; audited on
    both charts, undoable (`do_undo_encounter_move`)."""
    _may_move(acting_user, from_patient, to_patient)
    reason = _reason(reason)
    if from_patient.pk == to_patient.pk:
        raise ChartdeskError("Choose another chart than the one the encounters are on.", field="target")
    ids = sorted({encounter.pk for encounter in encounters})
    if not ids:
        raise ChartdeskError("Choose the encounters that belong to someone else.", field="encounters")
    # Both charts locked in a fixed order: a merge or a second move of either waits for this one.
    for patient in sorted((from_patient, to_patient), key=lambda chart: chart.pk):
        lock_row(patient)
    on_chart = set(Encounter.objects.filter(pk__in=ids, patient=from_patient).values_list("pk", flat=True))
    if on_chart != set(ids):
        raise ChartdeskError("Some of these encounters are no longer on this chart; reload the page.",
                             field="encounters")
    moved = _repoint_encounters(ids, from_pk=from_patient.pk, to_pk=to_patient.pk)
    move = EncounterMove.objects.create(from_patient=from_patient, to_patient=to_patient, overlay=overlay,
                                        moved=moved, new_registration=new_registration, reason=reason,
                                        moved_by=acting_user)
    numbers = list(Encounter.objects.filter(pk__in=ids).order_by("pk").values_list("account_number", flat=True))
    detail = {"encounters": numbers, "moved": {key: len(pks) for key, pks in moved.items()}, "reason": reason,
              "from_mrn": from_patient.mrn, "to_mrn": to_patient.mrn}
    for patient in (from_patient, to_patient):
        _audit(AuditAction.UPDATE, acting_user, patient, "encounter_move", move.pk, **detail)
    return move


@transaction.atomic
def do_undo_encounter_move(move: EncounterMove, *, reason: str, acting_user: Any) -> EncounterMove:
    """Put the moved encounters back on the chart they came from, with every row that belongs to
    them now (documents written since included)."""
    locked = EncounterMove.objects.select_for_update().select_related("from_patient", "to_patient").filter(
        pk=move.pk).first()
    if locked is None:
        raise NotFound("encounter move")
    _may_move(acting_user, locked.from_patient, locked.to_patient)
    reason = _reason(reason)
    if locked.undone_at is not None:
        raise ChartdeskError("This move was already undone.")
    ids = list(Encounter.objects.filter(pk__in=locked.encounter_ids, patient=locked.to_patient)
               .values_list("pk", flat=True))
    moved = _repoint_encounters(ids, from_pk=locked.to_patient_id, to_pk=locked.from_patient_id)
    locked.undone_by, locked.undone_at, locked.undo_reason = acting_user, timezone.now(), reason
    locked.save(update_fields=["undone_by", "undone_at", "undo_reason"])
    detail = {"undo": True, "moved_back": {key: len(pks) for key, pks in moved.items()}, "reason": reason}
    for patient in (locked.from_patient, locked.to_patient):
        _audit(AuditAction.UPDATE, acting_user, patient, "encounter_move", locked.pk, **detail)
    return locked
