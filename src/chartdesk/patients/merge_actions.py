"""Merge a duplicate chart into its survivor (one person, two MRNs), and undo such a merge.

Both actions are atomic, lock both patients, write their audit events on both charts in the same
transaction, and delete nothing: moved rows change only their patient column, added rows are
retracted (active=False) by an unmerge, and the retired patient row stays with status "merged".
What moves is decided generically in patients.merging (every link to Patient, any app).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import ChartdeskError, ConcurrentChange, NotFound
from chartdesk.core.notices import Change, announce
from chartdesk.core.permissions import require_permission
from chartdesk.patients.access import restriction_allows
from chartdesk.patients.actions import build_patient_name
from chartdesk.patients.merging import (
    KEEP,
    PatientLink,
    highest_pks,
    merge_policy,
    patient_links,
    repoint,
    rows_added_after,
    rows_to_move,
)
from chartdesk.patients.models import (
    IdentifierType,
    MergeEvent,
    MergeMove,
    MergeMoveKind,
    NameUse,
    Patient,
    PatientIdentifier,
    PatientName,
    PatientStatus,
)
from chartdesk.patients.validation import InvalidField, identifier_value_key

MERGE_PERMISSION = "patients.merge_patients"
RETIRED_MRN_ISSUER = "This facility (merged record)"
REASON_LIMIT = 500
STALE_MERGE = (
    "Someone changed one of these patients since you compared them. Nothing was merged: compare them "
    "again, then confirm."
)


def _clean_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidField("reason", "Reason: say why (for example the duplicate-review case number).")
    if len(reason) > REASON_LIMIT:
        raise InvalidField("reason", f"Reason: at most {REASON_LIMIT} characters.")
    return reason


def _lock_patients(*patients: Patient) -> dict[int, Patient]:
    """Lock the patients' rows, always in primary-key order.

    Two merges touching the same pair from opposite ends (A into B while B into A) would otherwise
    each hold one lock and wait for the other: a deadlock. Locking in one fixed order makes the
    second wait for the first, which then finds the stale revision or the merged status.
    """
    pks = sorted({patient.pk for patient in patients})
    return {patient.pk: patient for patient in Patient.objects.select_for_update().filter(pk__in=pks).order_by("pk")}


def _check_access(acting_user: Any, patients: list[Patient]) -> None:
    # Restricted charts the user may not open answer like missing ones (no probing by MRN).
    for patient in patients:
        if not restriction_allows(acting_user, patient):
            raise NotFound("patient")


def _bump(patient: Patient, **changes: Any) -> None:
    Patient.objects.filter(pk=patient.pk).update(revision=patient.revision + 1, updated_at=timezone.now(), **changes)


def _refuse_merge(survivor: Patient, retired: Patient) -> None:
    if retired.status == PatientStatus.MERGED:
        raise ChartdeskError(f"MRN {retired.mrn} was already merged into another record; it cannot be merged again.")
    if survivor.status == PatientStatus.MERGED:
        target = survivor.merged_into.mrn if survivor.merged_into else "another record"
        raise ChartdeskError(f"MRN {survivor.mrn} was itself merged into MRN {target}: merge into that record instead.")
    if survivor.restriction != retired.restriction:
        # The stricter of two different restrictions is a privacy decision, not a merge's to make;
        # merging an open chart with a restricted one would open the restricted records to everyone.
        raise ChartdeskError(
            f"The two charts are restricted differently (MRN {survivor.mrn}: "
            f"{survivor.get_restriction_display()}; MRN {retired.mrn}: {retired.get_restriction_display()}). "
            "Give both the same restriction first, then merge."
        )


def _added_rows(survivor: Patient, retired: Patient) -> list[Any]:
    """The alias name and the retired MRN the survivor gains, so that both still find the chart."""
    rows: list[Any] = []
    legal = (retired.family_name.casefold(), retired.given_name.casefold(), retired.middle_name.casefold())
    known = {
        (name.family_name.casefold(), name.given_name.casefold(), name.middle_name.casefold())
        for name in PatientName.objects.filter(patient=survivor, active=True)
    }
    if legal not in known:
        alias = build_patient_name(survivor, use=NameUse.ALIAS, family_name=retired.family_name,
                                   given_name=retired.given_name, middle_name=retired.middle_name)
        alias.save()
        rows.append(alias)
    rows.append(PatientIdentifier.objects.create(
        patient=survivor, type=IdentifierType.RETIRED_MRN, issuer=RETIRED_MRN_ISSUER, value=retired.mrn,
        value_key=identifier_value_key(retired.mrn),
    ))
    return rows


@transaction.atomic
def do_merge_patients(survivor: Patient, retired: Patient, *, reason: str, acting_user: Any) -> MergeEvent:
    """Merge `retired` (a duplicate MRN of the same person) into `survivor`; return the MergeEvent.

    Every row of every app that points at the retired patient moves to the survivor (unless its app
    registered another policy in patients.merging); the retired legal name and MRN become an alias
    and a retired-MRN identifier of the survivor; the retired patient stays, status "merged".
    `survivor.revision` and `retired.revision` are the revisions the caller compared: if either
    changed since, ConcurrentChange. Refuses (ChartdeskError) a merge into itself, of or into an
    already merged record, and of charts restricted differently; NotFound for charts the user may
    not open; PermissionRefused without patients.merge_patients.
    """
    require_permission(acting_user, MERGE_PERMISSION)
    reason = _clean_reason(reason)
    if survivor.pk == retired.pk:
        raise ChartdeskError("A patient cannot be merged into itself: choose the duplicate record.")
    locked = _lock_patients(survivor, retired)
    if len(locked) != 2:
        raise NotFound("patient")
    current_survivor, current_retired = locked[survivor.pk], locked[retired.pk]
    _check_access(acting_user, [current_survivor, current_retired])
    if (current_survivor.revision, current_retired.revision) != (survivor.revision, retired.revision):
        raise ConcurrentChange(STALE_MERGE)
    _refuse_merge(current_survivor, current_retired)

    event = MergeEvent.objects.create(
        survivor=current_survivor, retired=current_retired, survivor_mrn=current_survivor.mrn,
        retired_mrn=current_retired.mrn, reason=reason, merged_by=acting_user,
    )
    links = patient_links()
    moves: list[MergeMove] = []
    counts: dict[str, int] = {}
    for link in links:
        pks = rows_to_move(link, current_retired.pk, current_survivor.pk)
        moved = repoint(link, pks, from_pk=current_retired.pk, to_pk=current_survivor.pk)
        if moved:
            counts[link.key] = moved
            moves += [MergeMove(merge=event, model_label=link.label, field_name=link.field.name, object_pk=str(pk))
                      for pk in pks]
    for row in _added_rows(current_survivor, current_retired):
        moves.append(MergeMove(merge=event, kind=MergeMoveKind.ADDED, model_label=row._meta.label,
                               field_name="patient", object_pk=str(row.pk)))
    MergeMove.objects.bulk_create(moves)
    _bump(current_retired, status=PatientStatus.MERGED, merged_into=current_survivor)
    _bump(current_survivor)
    event.moved_counts = counts
    event.high_water = highest_pks(links)
    event.save(update_fields=["moved_counts", "high_water"])

    detail = {"merge_id": event.pk, "survivor_mrn": event.survivor_mrn, "retired_mrn": event.retired_mrn,
              "moved": counts, "reason": reason}
    for patient, role in ((current_survivor, "survivor"), (current_retired, "retired")):
        record_event(AuditAction.UPDATE, user=acting_user, patient=patient, object_type="patient_merge",
                     object_id=event.pk, detail={**detail, "this_record": role})
    survivor.refresh_from_db()
    retired.refresh_from_db()
    announce(Change.PATIENTS_MERGED, patient=survivor, retired=retired, acting_user=acting_user)
    return event


def _later_merges_depending_on(event: MergeEvent) -> list[MergeEvent]:
    """Merges done after `event`, not undone, that retired its survivor or moved rows it moved:
    undoing `event` first would pull rows from under them."""
    mine = MergeMove.objects.filter(merge=event, kind=MergeMoveKind.MOVED, model_label=OuterRef("model_label"),
                                    object_pk=OuterRef("object_pk"))
    overlapping = MergeMove.objects.filter(merge__pk__gt=event.pk, kind=MergeMoveKind.MOVED).filter(
        Exists(mine)).values("merge_id")
    later = MergeEvent.objects.filter(pk__gt=event.pk, unmerged_at__isnull=True)
    return list(later.filter(Q(retired_id=event.survivor_id) | Q(pk__in=overlapping)).order_by("pk"))


def _link_for(label: str, field_name: str) -> PatientLink:
    model = apps.get_model(label)
    return PatientLink(model=model, field=model._meta.get_field(field_name))


def _put_back(event: MergeEvent, survivor: Patient, retired: Patient) -> list[dict[str, str]]:
    """Move the merge's rows back and retract what it added; return rows that could not go back."""
    not_back: list[dict[str, str]] = []
    grouped: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for kind, label, field_name, pk in event.moves.values_list("kind", "model_label", "field_name", "object_pk"):
        grouped[(kind, label, field_name)].append(pk)
    for (kind, label, field_name), pks in sorted(grouped.items()):
        link = _link_for(label, field_name)
        typed = [link.model._meta.pk.to_python(pk) for pk in pks]
        if kind == MergeMoveKind.ADDED:
            # Nothing is deleted: the alias and retired MRN the merge added are marked inactive.
            link.model._base_manager.filter(pk__in=typed).update(active=False)
            continue
        on_survivor = set(link.rows_of(survivor.pk).filter(pk__in=typed).values_list("pk", flat=True))
        repoint(link, sorted(on_survivor), from_pk=survivor.pk, to_pk=retired.pk)
        for row in link.model._base_manager.filter(pk__in=set(typed) - on_survivor).order_by("pk"):
            not_back.append({"record": f"{link.model._meta.verbose_name} #{row.pk}", "label": label,
                             "pk": str(row.pk), "why": "no longer on the survivor: left where it is now"})
    return not_back


def _added_since(event: MergeEvent, survivor: Patient) -> list[dict[str, str]]:
    added = set(event.moves.filter(kind=MergeMoveKind.ADDED).values_list("model_label", "object_pk"))
    review = []
    for link in patient_links():
        if merge_policy(link.model, link.field.name) == KEEP:
            continue
        for row in rows_added_after(link, survivor.pk, event.high_water):
            if (link.label, str(row.pk)) in added:
                continue
            review.append({"record": f"{link.model._meta.verbose_name} #{row.pk}: {str(row)[:120]}",
                           "label": link.label, "pk": str(row.pk),
                           "why": "added to the survivor after the merge: stays there, check whose it is"})
    return review


@transaction.atomic
def do_unmerge_patients(merge_event: MergeEvent, *, reason: str, acting_user: Any) -> MergeEvent:
    """Undo `merge_event` exactly: the rows it moved go back to the retired patient, the alias and
    retired MRN it added are retracted (marked inactive), the retired patient is active again.

    Records added to the survivor after the merge stay there and are listed in the event's
    `review` for the HIM manager. Refuses (ChartdeskError) an unmerge already done, and one that a
    later merge depends on (undo that one first); NotFound for charts the user may not open.
    """
    require_permission(acting_user, MERGE_PERMISSION)
    reason = _clean_reason(reason)
    event = MergeEvent.objects.select_for_update().filter(pk=merge_event.pk).first()
    if event is None:
        raise NotFound("merge")
    locked = _lock_patients(event.survivor, event.retired)
    survivor, retired = locked[event.survivor_id], locked[event.retired_id]
    _check_access(acting_user, [survivor, retired])
    if event.is_undone:
        raise ChartdeskError(f"Merge #{event.pk} was already undone on {event.unmerged_at:%m/%d/%Y}.")
    depending = _later_merges_depending_on(event)
    if depending:
        names = ", ".join(f"#{later.pk} (MRN {later.retired_mrn} into MRN {later.survivor_mrn})" for later in depending)
        raise ChartdeskError(f"Merge #{event.pk} cannot be undone while a later merge depends on it: "
                             f"undo merge {names} first.")

    review = _put_back(event, survivor, retired) + _added_since(event, survivor)
    _bump(retired, status=PatientStatus.ACTIVE, merged_into=None)
    _bump(survivor)
    event.unmerged_at = timezone.now()
    event.unmerged_by = acting_user
    event.unmerge_reason = reason
    event.review = review
    event.save(update_fields=["unmerged_at", "unmerged_by", "unmerge_reason", "review"])

    detail = {"merge_id": event.pk, "survivor_mrn": event.survivor_mrn, "retired_mrn": event.retired_mrn,
              "moved_back": event.moved_counts, "left_for_review": len(review), "reason": reason, "unmerge": True}
    for patient, role in ((survivor, "survivor"), (retired, "retired")):
        record_event(AuditAction.UPDATE, user=acting_user, patient=patient, object_type="patient_unmerge",
                     object_id=event.pk, detail={**detail, "this_record": role})
    merge_event.refresh_from_db()
    return merge_event
