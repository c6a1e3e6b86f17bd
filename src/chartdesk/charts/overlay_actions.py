"""The HIM manager's overlay list: reads (access_*) and the three decisions (do_*), each audited.

- confirmed overlay: the encounters that belong to someone else move to the right chart, or to a
  new registration built from what those encounters stated (charts.encounter_moves, undoable);
- not an overlay: remembered with the conflicts it covered, offered again only for a new one;
- needs research: assigned to someone who may decide it, with a note.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from chartdesk.accounts.roles import users_with_permission
from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.encounter_moves import do_move_encounters, do_undo_encounter_move
from chartdesk.charts.models import Encounter, EncounterMove, OverlayCase, OverlayStatus, StatedDemographics
from chartdesk.charts.overlays import do_check_overlay
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.permissions import require_permission
from chartdesk.patients.access import charts_open_to, restriction_allows
from chartdesk.patients.merge_actions import MERGE_PERMISSION
from chartdesk.patients.models import Patient, PatientStatus
from chartdesk.patients.schemas import PatientRegistration

NOTE_LIMIT = 500
OPEN_STATUSES = (OverlayStatus.OPEN, OverlayStatus.RESEARCH)


def _note(note: str, *, required: bool) -> str:
    note = " ".join((note or "").split())
    if required and not note:
        raise ChartdeskError("Note: say why (what was checked).", field="note")
    if len(note) > NOTE_LIMIT:
        raise ChartdeskError(f"Note: at most {NOTE_LIMIT} characters.", field="note")
    return note


def _locked(case: OverlayCase, acting_user: Any) -> OverlayCase:
    """The case, locked, if the user may decide it: the chart open to them, still undecided."""
    require_permission(acting_user, MERGE_PERMISSION, "decide overlays")
    current = OverlayCase.objects.select_for_update().select_related("patient").filter(pk=case.pk).first()
    if current is None or not restriction_allows(acting_user, current.patient):
        raise NotFound("overlay case")
    if current.status not in OPEN_STATUSES:
        raise ChartdeskError(f"This chart was already decided ({current.get_status_display().lower()}).")
    return current


def _decided(case: OverlayCase, status: str, acting_user: Any, detail: dict[str, Any]) -> OverlayCase:
    case.status, case.decided_by, case.decided_at = status, acting_user, timezone.now()
    case.save()
    record_event(AuditAction.UPDATE, user=acting_user, patient=case.patient, object_type="overlay_case",
                 object_id=case.pk, detail={"decision": status, "fields": case.fields, **detail})
    return case


@transaction.atomic
def do_mark_not_overlay(case: OverlayCase, *, note: str, acting_user: Any) -> OverlayCase:
    """One person after all: not offered again unless a new encounter brings a new conflict."""
    current = _locked(case, acting_user)
    current.note = _note(note, required=True)
    current.dismissed_keys = sorted(set(current.dismissed_keys) | set(current.conflict_keys))
    current.assigned_to = None
    return _decided(current, OverlayStatus.NOT_OVERLAY, acting_user, {"note": current.note})


@transaction.atomic
def do_mark_overlay_research(case: OverlayCase, *, assigned_to: Any, note: str, acting_user: Any) -> OverlayCase:
    """Not decidable yet: assigned to someone who may decide it, with what to find out."""
    current = _locked(case, acting_user)
    if assigned_to is None or not assigned_to.is_active or not assigned_to.has_perm(MERGE_PERMISSION):
        raise ChartdeskError("Assign to: choose an active user who may decide overlays.", field="assigned_to")
    current.note = _note(note, required=True)
    current.assigned_to = assigned_to
    return _decided(current, OverlayStatus.RESEARCH, acting_user,
                    {"assigned_to": assigned_to.username, "note": current.note})


def _registration_from(encounters: list[Encounter]) -> PatientRegistration:
    """The other person, as the first chosen encounter's source stated them."""
    stated = (StatedDemographics.objects.filter(encounter__in=encounters).exclude(birth_date=None)
              .order_by("stated_at", "pk").first())
    if stated is None or not stated.given_name or not stated.family_name:
        raise ChartdeskError("These encounters state no name and birth date to register the other person with: "
                             "register them at the desk, then move the encounters to that chart.", field="target")
    return PatientRegistration(given_name=stated.given_name, family_name=stated.family_name,
                               birth_date=stated.birth_date, sex=stated.sex or "U")


@transaction.atomic
def do_confirm_overlay(case: OverlayCase, *, encounter_ids: list[int], target: Patient | None, reason: str,
                       acting_user: Any) -> EncounterMove:
    """Two people in one chart: `encounter_ids` belong to someone else and move to `target`, or to a
    new registration made from what they stated when `target` is None. Both charts are checked again."""
    from chartdesk.patients.actions import do_register_patient

    current = _locked(case, acting_user)
    encounters = list(Encounter.objects.filter(pk__in=encounter_ids, patient=current.patient).order_by("pk"))
    if not encounters or len(encounters) != len(set(encounter_ids)):
        raise ChartdeskError("Choose the encounters of this chart that belong to someone else.", field="encounters")
    if len(encounters) == Encounter.objects.filter(patient=current.patient).count():
        raise ChartdeskError("Leave at least one encounter on this chart: if every encounter belongs to someone "
                             "else, correct the chart's demographics instead.", field="encounters")
    new_registration = target is None
    if target is None:
        target = do_register_patient(_registration_from(encounters), acting_user=acting_user)
    move = do_move_encounters(current.patient, target, encounters, reason=reason, acting_user=acting_user,
                              overlay=current, new_registration=new_registration)
    current.note = _note(reason, required=False)
    current.dismissed_keys = sorted(set(current.dismissed_keys) | set(current.conflict_keys))
    current.assigned_to = None
    _decided(current, OverlayStatus.CONFIRMED, acting_user, {"move": move.pk, "to_mrn": target.mrn,
                                                             "new_registration": new_registration})
    do_check_overlay(current.patient, acting_user=acting_user, trigger="decision")
    do_check_overlay(target, acting_user=acting_user, trigger="decision")
    return move


@transaction.atomic
def do_undo_overlay_move(move: EncounterMove, *, reason: str, acting_user: Any) -> EncounterMove:
    """Undo a confirmed overlay's move; the chart's case is to review again (its conflicts are back)."""
    undone = do_undo_encounter_move(move, reason=reason, acting_user=acting_user)
    if undone.overlay_id is not None:
        case = OverlayCase.objects.select_for_update().get(pk=undone.overlay_id)
        case.status, case.dismissed_keys = OverlayStatus.OPEN, []
        case.save(update_fields=["status", "dismissed_keys"])
        record_event(AuditAction.UPDATE, user=acting_user, patient=case.patient, object_type="overlay_case",
                     object_id=case.pk, detail={"decision": "move_undone", "move": undone.pk})
        do_check_overlay(case.patient, acting_user=acting_user, trigger="undo")
    return undone


def overlay_users() -> list[Any]:
    """Who a case can be assigned to for research: active users who may decide overlays."""
    return list(users_with_permission(MERGE_PERMISSION))


def _may_list(user: Any) -> None:
    if not user.is_authenticated or not user.has_perm(MERGE_PERMISSION):
        raise NotFound("overlay case")


def overlay_cases_open_to(user: Any, *, status: str = OverlayStatus.OPEN) -> QuerySet[OverlayCase]:
    """Cases with `status` on active charts this user may open (a total never counts a hidden one)."""
    _may_list(user)
    open_to = Patient.objects.filter(charts_open_to(user)).values("pk")
    cases = OverlayCase.objects.filter(status=status, patient__status=PatientStatus.ACTIVE, patient__in=open_to)
    if status in OPEN_STATUSES:
        cases = cases.exclude(conflict_keys=[])  # conflicts gone (moved, corrected): nothing to review
    return cases.select_related("patient", "assigned_to", "decided_by")


def record_overlay_list_view(user: Any, cases: list[OverlayCase], *, status: str, total: int) -> None:
    """One SEARCH audit event per page of the list, naming the charts shown."""
    record_event(AuditAction.SEARCH, user=user, object_type="overlay_list",
                 detail={"status": status, "results": len(cases), "total": total,
                         "patient_ids": sorted(case.patient_id for case in cases)})


def count_overlays_to_review(user: Any) -> int | None:
    """For the HIM manager's home page, beside the duplicate rate (a count, no patient data)."""
    if not user.is_authenticated or not user.has_perm(MERGE_PERMISSION):
        return None
    return overlay_cases_open_to(user).count() + overlay_cases_open_to(user, status=OverlayStatus.RESEARCH).count()


def access_overlay_case(user: Any, case_id: Any) -> OverlayCase:
    """One case with its chart, for a user who may decide overlays and open the chart; the view audited."""
    try:
        case_pk = int(case_id)
    except (TypeError, ValueError):
        raise NotFound("overlay case") from None
    _may_list(user)
    case = (OverlayCase.objects.select_related("patient", "assigned_to", "decided_by").filter(pk=case_pk).first())
    if case is None or not restriction_allows(user, case.patient):
        raise NotFound("overlay case")
    record_event(AuditAction.VIEW, user=user, patient=case.patient, object_type="overlay_case", object_id=case.pk)
    return case


def case_moves(case: OverlayCase) -> list[EncounterMove]:
    return list(EncounterMove.objects.filter(Q(overlay=case)).select_related("to_patient", "from_patient"))


def start_overlay_scan(*, acting_user: Any) -> Any:
    """The scan as a background job (the desk's button): the job, which runs `do_scan_overlays`."""
    from chartdesk.charts.tasks import overlay_scan
    from chartdesk.jobs.actions import do_start_job

    require_permission(acting_user, MERGE_PERMISSION, "scan for overlays")
    with transaction.atomic():
        return do_start_job(overlay_scan, title="Overlay scan of the index", acting_user=acting_user,
                            about_type="overlay_scan")

