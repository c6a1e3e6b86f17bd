"""Every read of a patient goes through here: permission, restriction, audit, in that order.

Forbidden and missing answer alike (NotFound), so an id in a URL tells nobody whether it exists.
A restricted chart (VIP, employee, sensitive) opens only for users granted it or, in an emergency,
by break-the-glass; `RestrictedChart` lets the desk offer that choice to users allowed to make it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn, TypeVar

from django.db.models import Q
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction, AuditOutcome
from chartdesk.core.context import current_actor
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.patients.models import (
    BreakTheGlassAccess,
    ChartAccessGrant,
    MergeEvent,
    Patient,
    PatientStatus,
    Restriction,
)


class RestrictedChart(NotFound):
    """The chart exists and is restricted; the user may break the glass to open it."""

    def __init__(self, patient: Patient) -> None:
        super().__init__("patient")
        self.patient = patient


def active_break_the_glass(user: Any, patient: Patient) -> BreakTheGlassAccess | None:
    """The user's unexpired emergency access to this chart, if any, for the desk only.

    Breaking the glass is a person's decision at a screen, with a reason, for the next hour of their
    own work; a program holding a token that acts as that user made no such decision, so API
    requests (channel "api") never ride on it (docs/permissions.md).
    """
    if current_actor().channel == "api":
        return None
    return (
        BreakTheGlassAccess.objects.filter(user=user, patient=patient, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )


def indexed_patient(*, pk: int | None = None, mrn: str = "") -> tuple[int, str, str] | None:
    """(id, MRN, display name) of the patient with this id or MRN, for the audit reports, which
    show whose trail they list and may not import this app. No permission check and no audit: the
    caller is the audit report, itself permission-checked and audited."""
    rows = Patient.objects.filter(pk=pk) if pk is not None else Patient.objects.filter(mrn__iexact=mrn)
    patient = rows.first()
    return (patient.pk, patient.mrn, patient.display_name) if patient is not None else None


def break_the_glass_reason(user: Any, patient: Patient) -> str | None:
    """The reason `user` gave to break the glass into this restricted chart, for the view's audit
    event; None for an unrestricted chart or one opened by a standing grant."""
    glass = active_break_the_glass(user, patient) if patient.is_restricted else None
    return glass.reason if glass else None


def refuse_change_to_closed_chart(user: Any, patient: Patient, *, during: str, merged: str | None = None) -> None:
    """Let a change to a chart go on only where reads of it would: a restricted chart the user may
    not open refuses the change as not found (the attempt recorded, `during` saying what was tried).
    With `merged`, a merged chart refuses it with that message, formatted with the survivor's `mrn`."""
    if not restriction_allows(user, patient):
        record_event(AuditAction.ACCESS_DENIED, user=user, patient=patient, object_type="patient",
                     object_id=patient.pk, outcome=AuditOutcome.DENIED,
                     detail={"why": f"restricted chart ({patient.restriction})", "during": during})
        raise NotFound("patient")
    if merged is not None and patient.status == PatientStatus.MERGED:
        survivor = patient.merged_into
        raise ChartdeskError(merged.format(mrn=survivor.mrn if survivor else "unknown"))


def restriction_allows(user: Any, patient: Patient) -> bool:
    """May this user open this chart as far as its restriction goes (permissions aside)?"""
    if not patient.is_restricted:
        return True
    if ChartAccessGrant.objects.filter(user=user, patient=patient, revoked_at__isnull=True).exists():
        return True
    return active_break_the_glass(user, patient) is not None


RowT = TypeVar("RowT")


def rows_open_to(user: Any, rows: Iterable[RowT]) -> list[RowT]:
    """The rows (anything with `patient` and `patient_id`) whose charts `user` may open, in their
    order: a list leaves out a restricted chart's rows, asking once per patient."""
    allowed: dict[int, bool] = {}
    shown = []
    for row in rows:
        patient_id = row.patient_id  # type: ignore[attr-defined]
        if patient_id not in allowed:
            allowed[patient_id] = restriction_allows(user, row.patient)  # type: ignore[attr-defined]
        if allowed[patient_id]:
            shown.append(row)
    return shown


def record_list_view(user: Any, what: str, rows: list[Any], **detail: Any) -> None:
    """Audit one view of a list of patients' rows: whose, and how many, in one event."""
    record_event(AuditAction.VIEW, user=user, object_type=what,
                 detail={"patient_ids": sorted({row.patient_id for row in rows}), "count": len(rows), **detail})


def charts_open_to(user: Any) -> Q:
    """`restriction_allows` as a condition on Patient rows: searches filter with it before they count
    or page, so that a total never counts (and so reveals) a restricted chart the user may not open.
    Emergency access counts on the desk only, as in `active_break_the_glass`."""
    condition = (Q(restriction=Restriction.NONE)
                 | Q(pk__in=ChartAccessGrant.objects.filter(user=user, revoked_at__isnull=True).values("patient_id")))
    if current_actor().channel != "api":
        condition |= Q(pk__in=BreakTheGlassAccess.objects.filter(user=user, expires_at__gt=timezone.now())
                       .values("patient_id"))
    return condition


def refuse_restricted_chart(user: Any, patient: Patient, *, object_type: str, object_id: Any) -> NoReturn:
    """Refuse a record of a restricted chart the user may not open, the one way every app does it:
    record the refusal (an auditor wants the attempts, not only the openings), then answer
    RestrictedChart to users who may break the glass (the desk offers it) and NotFound to the rest."""
    record_event(AuditAction.ACCESS_DENIED, user=user, patient=patient, object_type=object_type,
                 object_id=object_id, outcome=AuditOutcome.DENIED,
                 detail={"why": f"restricted chart ({patient.restriction})"})
    if user.has_perm("accounts.break_the_glass"):
        raise RestrictedChart(patient)
    raise NotFound(object_type.replace("_", " "))


def require_open_chart(user: Any, patient: Patient, *, object_type: str, object_id: Any) -> None:
    """Let the read go on if the chart's restriction allows this user; otherwise refuse it, recorded."""
    if not restriction_allows(user, patient):
        refuse_restricted_chart(user, patient, object_type=object_type, object_id=object_id)


def access_patient_by_id(user: Any, patient_id: Any, *, permission: str = "patients.view_chart",
                         audit: bool = True) -> Patient:
    """Return the patient if `user` holds `permission` and may open the chart; record the view.

    Raises NotFound for a missing patient, a missing permission, or a restricted chart the user may
    not open; RestrictedChart (a NotFound) when the user could break the glass to open it.
    """
    try:
        patient_pk = int(patient_id)
    except (TypeError, ValueError):
        raise NotFound("patient") from None
    if not user.is_authenticated or not user.has_perm(permission):
        raise NotFound("patient")
    patient = Patient.objects.filter(pk=patient_pk).first()
    if patient is None:
        raise NotFound("patient")
    require_open_chart(user, patient, object_type="patient", object_id=patient.pk)
    if audit:
        glass = active_break_the_glass(user, patient) if patient.is_restricted else None
        record_event(
            AuditAction.VIEW,
            user=user,
            patient=patient,
            object_type="patient",
            object_id=patient.pk,
            break_the_glass_reason=glass.reason if glass else None,
        )
    return patient


INCOMPLETE_LIST_CAP = 500


def access_incomplete_patients(user: Any, *, limit: int = INCOMPLETE_LIST_CAP) -> tuple[list[Patient], int]:
    """HIM's work list: active records a legacy load flagged incomplete, oldest first, and how many
    there are. Listed like search hits (restricted ones included, their charts stay closed); one
    SEARCH audit event per listing."""
    if not user.is_authenticated or not user.has_perm("patients.edit_patient"):
        raise NotFound("patient")
    flagged = Patient.objects.filter(status="active").exclude(incomplete_fields="")
    patients = list(flagged.order_by("pk")[:limit])
    total = flagged.count()
    record_event(AuditAction.SEARCH, user=user, object_type="incomplete_patients",
                 detail={"results": len(patients), "total": total})
    return patients, total


def access_patient_for_break_the_glass(user: Any, patient_id: Any) -> Patient:
    """The patient behind a break-the-glass page: only for users who may break the glass.

    The page shows the patient's name (to confirm it is the chart the user meant to open) and that
    the chart is restricted; not the MRN, not why it is restricted. Even that is a look at a
    restricted chart, so each showing of the page is recorded (object type `break_the_glass_prompt`).
    """
    try:
        patient_pk = int(patient_id)
    except (TypeError, ValueError):
        raise NotFound("patient") from None
    if not user.is_authenticated or not user.has_perm("accounts.break_the_glass"):
        raise NotFound("patient")
    patient = Patient.objects.filter(pk=patient_pk).first()
    if patient is None:
        raise NotFound("patient")
    if not restriction_allows(user, patient):
        record_event(AuditAction.VIEW, user=user, patient=patient, object_type="break_the_glass_prompt",
                     object_id=patient.pk, detail={"shown": ["name"]})
    return patient


def access_chart_grants_by_patient(user: Any, patient: Patient) -> list[ChartAccessGrant]:
    """Who may open this restricted chart, for the users who manage restrictions."""
    if not user.has_perm("patients.restrict_chart"):
        raise NotFound("patient")
    return list(ChartAccessGrant.objects.filter(patient=patient).select_related("user", "granted_by")
                .order_by("revoked_at", "-granted_at"))


def access_merge_event_by_id(user: Any, merge_id: Any) -> MergeEvent:
    """The merge `merge_id` for a user who may merge and open both of its charts; records the view.

    Raises NotFound for a missing merge, a missing permission, or a restricted chart on either side.
    """
    try:
        merge_pk = int(merge_id)
    except (TypeError, ValueError):
        raise NotFound("merge") from None
    if not user.is_authenticated or not user.has_perm("patients.merge_patients"):
        raise NotFound("merge")
    event = MergeEvent.objects.select_related("survivor", "retired", "merged_by", "unmerged_by").filter(
        pk=merge_pk).first()
    if event is None or not all(restriction_allows(user, p) for p in (event.survivor, event.retired)):
        raise NotFound("merge")
    record_event(AuditAction.VIEW, user=user, patient=event.survivor, object_type="patient_merge", object_id=event.pk)
    return event


def access_merge_events_by_patient(user: Any, patient: Patient) -> list[MergeEvent]:
    """The merges this (already opened) chart took part in, newest first, for users who may merge.

    Merges whose other chart the user may not open are left out."""
    if not user.has_perm("patients.merge_patients"):
        raise NotFound("patient")
    events = MergeEvent.objects.filter(Q(survivor=patient) | Q(retired=patient)).select_related(
        "survivor", "retired", "merged_by", "unmerged_by")
    return [event for event in events
            if restriction_allows(user, event.retired if event.survivor_id == patient.pk else event.survivor)]
