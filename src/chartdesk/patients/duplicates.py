"""The duplicate work queue: the whole-index scan fills it, the HIM manager decides each pair.

`do_scan_duplicates` reads every active chart, scores the pairs with the trained model
(patients.linkage) and records them as `DuplicateCandidate`s. Decisions are actions too: merge
(through `do_merge_patients`, so it can be undone), not a duplicate (remembered with the two
charts' revisions: offered again only when one of them changes) and needs research (assigned to a
user, with a note). Each writes its audit events in its own transaction. Reads for the desk are
the `access_*` functions at the end: permission, restriction, audit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chartdesk.accounts.roles import users_with_permission
from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.permissions import require_permission
from chartdesk.patients.access import charts_open_to, restriction_allows
from chartdesk.patients.linkage import (
    FIELD_LABELS,
    RECORD_FIELDS,
    LinkRecord,
    Records,
    ScoredPair,
    load_model,
    save_model,
    score,
    train,
)
from chartdesk.patients.merge_actions import MERGE_PERMISSION, do_merge_patients
from chartdesk.patients.models import (
    DuplicateCandidate,
    DuplicateScan,
    DuplicateStatus,
    MergeEvent,
    Patient,
    PatientAddress,
    PatientPhone,
    PatientStatus,
)
from chartdesk.patients.validation import InvalidField

NOTE_LIMIT = 500
WORK_LIST_CAP = 500
OPEN_STATUSES = (DuplicateStatus.OPEN, DuplicateStatus.RESEARCH)
CHUNK = 2000  # rows per query when the scan reads the index and writes the queue
UPDATED_FIELDS = ["probability", "match_weight", "band", "evidence", "flags", "scanned_at"]


def index_records() -> Any:
    """Every active chart as the model sees it (a frame with LinkRecord's fields as columns): legal
    name, birth date, sex, suffix, the newest active home address and phone, the SSN's keyed digest
    and last four digits. Read as three plain queries into pandas, joined there: a million charts
    as model objects or dataclasses would cost more than scoring them."""
    import pandas as pd

    addresses = pd.DataFrame.from_records(
        PatientAddress.objects.filter(active=True, patient__status="active").order_by("patient_id", "use", "pk")
        .values_list("patient_id", "line1", "postal_code").iterator(chunk_size=CHUNK),
        columns=["pk", "address", "postal_code"]).drop_duplicates("pk", keep="last")
    phones = pd.DataFrame.from_records(
        PatientPhone.objects.filter(active=True, patient__status="active").order_by("patient_id", "pk")
        .values_list("patient_id", "number").iterator(chunk_size=CHUNK),
        columns=["pk", "phone"]).drop_duplicates("pk", keep="last")
    patients = pd.DataFrame.from_records(
        Patient.objects.filter(status=PatientStatus.ACTIVE).order_by("pk").values_list(
            "pk", "given_name", "family_name", "suffix", "birth_date", "sex", "ssn_digest", "ssn_last4")
        .iterator(chunk_size=CHUNK),
        columns=["pk", "given_name", "family_name", "suffix", "birth_date", "sex", "ssn_key", "ssn_last4"])
    frame = patients.merge(addresses, on="pk", how="left").merge(phones, on="pk", how="left").fillna("")
    frame["birth_date"] = frame["birth_date"].map(lambda born: born.isoformat() if born else "")
    frame["unique_id"] = frame["pk"].astype(str)
    return frame[list(RECORD_FIELDS)]


def link_records(patient_ids: Collection[int]) -> list[LinkRecord]:
    """The charts of `patient_ids` (the active ones) as the model sees them, with the same fields as
    `index_records` reads for the whole index: single-record matching (patients.linkage_match)
    compares a registration with a few candidates, for which a frame is more cost than help."""
    charts = Patient.objects.filter(status=PatientStatus.ACTIVE, pk__in=list(patient_ids))
    addresses: dict[int, tuple[str, str]] = {}
    for patient_id, line1, postal_code in (PatientAddress.objects.filter(active=True, patient__in=charts)
                                           .order_by("patient_id", "use", "pk")
                                           .values_list("patient_id", "line1", "postal_code")):
        addresses[patient_id] = (line1, postal_code)
    phones: dict[int, str] = {}
    for patient_id, number in (PatientPhone.objects.filter(active=True, patient__in=charts)
                               .order_by("patient_id", "pk").values_list("patient_id", "number")):
        phones[patient_id] = number
    rows = charts.order_by("pk").values_list(
        "pk", "given_name", "family_name", "suffix", "birth_date", "sex", "ssn_digest", "ssn_last4")
    return [
        LinkRecord(unique_id=str(pk), given_name=given, family_name=family, suffix=suffix,
                   birth_date=born.isoformat() if born else "", sex=sex, address=addresses.get(pk, ("", ""))[0],
                   postal_code=addresses.get(pk, ("", ""))[1], phone=phones.get(pk, ""), ssn_key=ssn_digest,
                   ssn_last4=ssn_last4)
        for pk, given, family, suffix, born, sex, ssn_digest, ssn_last4 in rows
    ]


def _evidence(pair: ScoredPair) -> list[dict[str, Any]]:
    return [{"field": item.field, "label": FIELD_LABELS.get(item.field, item.field), "level": item.level,
             "weight": item.weight} for item in pair.evidence]


def do_scan_duplicates(*, acting_user: Any, model: dict[str, Any] | None = None,
                       score_pairs: Callable[[Records, dict[str, Any]], list[ScoredPair]] = score,
                       ) -> tuple[DuplicateScan, list[DuplicateCandidate]]:
    """Score the whole index and bring the work queue up to date; returns the scan and its open pairs.

    A pair already decided "not a duplicate" stays closed while both charts keep the revisions the
    decision was made on; a merged pair stays closed. Open pairs the scan no longer finds become
    "no longer a candidate" (kept, not deleted). Scoring runs before the transaction (it can take
    minutes on a large index); the queue is then updated in one transaction, audited.
    """
    require_permission(acting_user, MERGE_PERMISSION)
    started = time.perf_counter()
    records = index_records()
    pairs = score_pairs(records, model if model is not None else load_model())
    with transaction.atomic():
        return _record_scan(pairs, records=len(records), started=started, acting_user=acting_user)


def _record_scan(pairs: list[ScoredPair], *, records: int, started: float,
                 acting_user: Any) -> tuple[DuplicateScan, list[DuplicateCandidate]]:
    now = timezone.now()
    existing = {(c.patient_low_id, c.patient_high_id): c for c in DuplicateCandidate.objects.select_for_update()}
    revisions = dict(Patient.objects.filter(status=PatientStatus.ACTIVE).values_list("pk", "revision"))
    found: list[DuplicateCandidate] = []
    new: list[DuplicateCandidate] = []
    changed: list[DuplicateCandidate] = []
    seen: set[tuple[int, int]] = set()
    for pair in pairs:
        low, high = sorted((int(pair.left), int(pair.right)))
        seen.add((low, high))
        values = {"probability": pair.probability, "match_weight": pair.match_weight, "band": pair.band,
                  "evidence": _evidence(pair), "flags": pair.flags, "scanned_at": now}
        candidate = existing.get((low, high))
        if candidate is None:
            candidate = DuplicateCandidate(patient_low_id=low, patient_high_id=high, first_found_at=now, **values)
            new.append(candidate)
            found.append(candidate)
            continue
        if candidate.status == DuplicateStatus.MERGED:
            continue
        if candidate.status == DuplicateStatus.NOT_DUPLICATE:
            if (revisions.get(low), revisions.get(high)) == (candidate.low_revision, candidate.high_revision):
                continue
            values["status"] = DuplicateStatus.OPEN  # one of the charts changed since the decision
        elif candidate.status == DuplicateStatus.GONE:
            values["status"] = DuplicateStatus.OPEN
        for name, value in values.items():
            setattr(candidate, name, value)
        changed.append(candidate)
        found.append(candidate)
    # A large index finds pairs by the hundred thousand: written in batches, not a query each.
    DuplicateCandidate.objects.bulk_create(new, batch_size=CHUNK)
    DuplicateCandidate.objects.bulk_update(changed, [*UPDATED_FIELDS, "status"], batch_size=CHUNK)
    gone = [c.pk for key, c in existing.items() if key not in seen and c.status in OPEN_STATUSES]
    for start in range(0, len(gone), CHUNK):
        DuplicateCandidate.objects.filter(pk__in=gone[start:start + CHUNK]).update(status=DuplicateStatus.GONE,
                                                                                  scanned_at=now)
    in_pairs = {pk for c in found for pk in (c.patient_low_id, c.patient_high_id)}
    seconds = round(time.perf_counter() - started, 2)
    scan = DuplicateScan.objects.create(started_by=acting_user, patients=records, pairs=len(found),
                                        patients_in_pairs=len(in_pairs), seconds=seconds)
    record_event(AuditAction.CREATE, user=acting_user, object_type="duplicate_scan", object_id=scan.pk,
                 detail={"patients": scan.patients, "pairs": scan.pairs, "no_longer_candidates": len(gone)})
    return scan, found


def _locked(candidate: DuplicateCandidate, acting_user: Any) -> DuplicateCandidate:
    """The pair, locked, if the user may decide it: both charts open to them, still undecided."""
    require_permission(acting_user, MERGE_PERMISSION)
    current = (DuplicateCandidate.objects.select_for_update().select_related("patient_low", "patient_high")
               .filter(pk=candidate.pk).first())
    if current is None or not all(restriction_allows(acting_user, p)
                                  for p in (current.patient_low, current.patient_high)):
        raise NotFound("duplicate pair")
    if current.status not in OPEN_STATUSES:
        raise ChartdeskError(f"This pair was already decided ({current.get_status_display().lower()}).")
    return current


def _note(note: str, *, required: bool) -> str:
    note = " ".join((note or "").split())
    if required and not note:
        raise InvalidField("note", "Note: say why (what was checked).")
    if len(note) > NOTE_LIMIT:
        raise InvalidField("note", f"Note: at most {NOTE_LIMIT} characters.")
    return note


def _audit_decision(candidate: DuplicateCandidate, acting_user: Any, detail: dict[str, Any]) -> None:
    for patient in (candidate.patient_low, candidate.patient_high):
        record_event(AuditAction.UPDATE, user=acting_user, patient=patient, object_type="duplicate_pair",
                     object_id=candidate.pk, detail=detail)


@transaction.atomic
def do_mark_not_duplicate(candidate: DuplicateCandidate, *, note: str, acting_user: Any) -> DuplicateCandidate:
    """Two people, not one: closed and not offered again while neither chart changes."""
    current = _locked(candidate, acting_user)
    current.note = _note(note, required=True)
    current.status = DuplicateStatus.NOT_DUPLICATE
    current.low_revision, current.high_revision = current.patient_low.revision, current.patient_high.revision
    current.decided_by, current.decided_at = acting_user, timezone.now()
    current.save()
    _audit_decision(current, acting_user, {"decision": "not_duplicate", "note": current.note})
    return current


@transaction.atomic
def do_mark_needs_research(candidate: DuplicateCandidate, *, assigned_to: Any, note: str,
                           acting_user: Any) -> DuplicateCandidate:
    """Not decidable yet: assigned to someone who may decide it, with what to find out."""
    current = _locked(candidate, acting_user)
    if assigned_to is None or not assigned_to.is_active or not assigned_to.has_perm(MERGE_PERMISSION):
        raise InvalidField("assigned_to", "Assign to: choose an active user who may merge patients.")
    current.note = _note(note, required=True)
    current.status = DuplicateStatus.RESEARCH
    current.assigned_to = assigned_to
    current.decided_by, current.decided_at = acting_user, timezone.now()
    current.save()
    _audit_decision(current, acting_user, {"decision": "research", "assigned_to": assigned_to.username,
                                           "note": current.note})
    return current


@transaction.atomic
def do_merge_duplicate(candidate: DuplicateCandidate, *, survivor_id: int, reason: str,
                       acting_user: Any) -> MergeEvent:
    """One person: the other chart is merged into `survivor_id` by the reversible merge action."""
    current = _locked(candidate, acting_user)
    by_pk = {current.patient_low_id: current.patient_low, current.patient_high_id: current.patient_high}
    if survivor_id not in by_pk:
        raise InvalidField("survivor", "Survivor: choose one of the two charts of this pair.")
    survivor = by_pk.pop(survivor_id)
    retired = next(iter(by_pk.values()))
    event = do_merge_patients(survivor, retired, reason=reason, acting_user=acting_user)
    current.status, current.merge = DuplicateStatus.MERGED, event
    current.decided_by, current.decided_at = acting_user, timezone.now()
    current.note = _note(reason, required=False)
    current.save()
    _audit_decision(current, acting_user, {"decision": "merged", "merge": event.pk})
    return event


def merge_users() -> list[Any]:
    """Who a pair can be assigned to for research: active users who may merge."""
    return list(users_with_permission(MERGE_PERMISSION))


def access_duplicate_work_list(user: Any, *, status: str = DuplicateStatus.OPEN,
                               limit: int = WORK_LIST_CAP) -> tuple[list[DuplicateCandidate], int]:
    """The work list: pairs of charts this user may open, likeliest first, and how many there are.
    One SEARCH audit event per listing (it names no chart)."""
    if not user.is_authenticated or not user.has_perm(MERGE_PERMISSION):
        raise NotFound("duplicate pair")
    open_to = Patient.objects.filter(charts_open_to(user)).values("pk")
    pairs = (DuplicateCandidate.objects.filter(status=status, patient_low__status=PatientStatus.ACTIVE,
                                               patient_high__status=PatientStatus.ACTIVE)
             .filter(Q(patient_low__in=open_to) & Q(patient_high__in=open_to))
             .select_related("patient_low", "patient_high", "assigned_to"))
    listed = list(pairs[:limit])
    total = pairs.count()
    record_event(AuditAction.SEARCH, user=user, object_type="duplicate_work_list",
                 detail={"status": status, "results": len(listed), "total": total})
    return listed, total


def access_duplicate_pair(user: Any, pair_id: Any) -> DuplicateCandidate:
    """One pair with both charts, for a user who may merge and open both; a view recorded on each."""
    try:
        pair_pk = int(pair_id)
    except (TypeError, ValueError):
        raise NotFound("duplicate pair") from None
    if not user.is_authenticated or not user.has_perm(MERGE_PERMISSION):
        raise NotFound("duplicate pair")
    pair = (DuplicateCandidate.objects.select_related("patient_low", "patient_high", "assigned_to", "decided_by")
            .filter(pk=pair_pk).first())
    if pair is None or not all(restriction_allows(user, p) for p in (pair.patient_low, pair.patient_high)):
        raise NotFound("duplicate pair")
    for patient in (pair.patient_low, pair.patient_high):
        record_event(AuditAction.VIEW, user=user, patient=patient, object_type="duplicate_pair", object_id=pair.pk)
    return pair


def latest_scans(user: Any, *, count: int = 12) -> list[DuplicateScan]:
    """The duplicate rate's trend for the HIM manager's home page (counts only, no patient data)."""
    if not user.is_authenticated or not user.has_perm(MERGE_PERMISSION):
        return []
    return list(DuplicateScan.objects.all()[:count])


def do_train_model(output: Path, *, acting_user: Any) -> int:
    """Re-estimate the model on the active charts (EM, no labels) and write it; the number of charts.
    Audited (counts only). Nothing in the database changes, so there is no transaction to hold."""
    require_permission(acting_user, MERGE_PERMISSION)
    records = index_records()
    try:
        model = train(records)
    except ValueError as small:
        raise ChartdeskError(str(small)) from None
    save_model(model, output)
    record_event(AuditAction.UPDATE, user=acting_user, object_type="duplicate_model",
                 detail={"trained_on_charts": len(records), "output": output.name})
    return len(records)


def _identifiers(patient: Patient) -> list[dict[str, str]]:
    return [{"type": i.type, "issuer": i.issuer, "value": i.value}
            for i in patient.identifiers.filter(active=True).order_by("pk")]


def pair_as_json(pair: DuplicateCandidate) -> dict[str, Any]:
    """One pair for `duplicates scan --json`: both MRNs and identifiers with issuers, probability, band."""
    return {
        "pair_id": pair.pk,
        "probability": round(pair.probability, 6),
        "match_weight": round(pair.match_weight, 2),
        "band": pair.band,
        "status": pair.status,
        "flags": pair.flags,
        "patients": [{"mrn": p.mrn, "identifiers": _identifiers(p)} for p in (pair.patient_low, pair.patient_high)],
        "evidence": pair.evidence,
    }

