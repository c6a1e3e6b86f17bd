"""Analysis: find each finished encounter's deficiencies and bring the stored ones up to date.

Runs at discharge and whenever a document of the encounter changes (hooks.py), on demand for many
encounters (`chartdesk completion analyse`), and after every queue action. It is idempotent: it opens
what the rules find missing, completes what is no longer missing, never reopens what HIM closed by
hand, and keeps the encounter's ChartCompletion status (incomplete, delinquent, complete) in step.
Facts are loaded a chunk of encounters at a time, in a fixed number of queries per chunk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q

from chartdesk.audit.actions import PendingEvent, record_events
from chartdesk.audit.models import AuditAction
from chartdesk.charts.models import Document, Encounter, EncounterProvider, EncounterStatus
from chartdesk.completion.models import (
    CLOSED_BY_HIM,
    OUTSTANDING,
    ChartCompletion,
    ChartStatus,
    CompletionPolicy,
    CoSignature,
    Deficiency,
    DeficiencyRule,
    DeficiencyStatus,
)
from chartdesk.completion.rules import DocumentFacts, EncounterFacts, Finding, findings_for
from chartdesk.core import clock

CHUNK = 500
SYSTEM_ACTOR = "chartdesk-completion"


@dataclass
class AnalysisSummary:
    encounters: int = 0
    opened: int = 0
    completed: int = 0
    changed_charts: list[int] = field(default_factory=list)


def _facts_for(encounters: Sequence[Encounter]) -> dict[int, EncounterFacts]:
    ids = [encounter.pk for encounter in encounters]
    patient_ids = {encounter.patient_id for encounter in encounters}
    team: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for encounter_id, provider_id, role in EncounterProvider.objects.filter(encounter_id__in=ids).values_list(
        "encounter_id", "provider_id", "role"
    ):
        team[encounter_id].append((provider_id, role))
    rows = Document.objects.filter(
        Q(encounter_id__in=ids) | Q(patient_id__in=patient_ids, encounter__isnull=True)
    ).values_list(
        "id", "encounter_id", "patient_id", "document_type", "service_date", "status", "author_id",
        "author__credentials", "current_version_id", "current_version__signed_at",
    )
    linked: dict[int, list[DocumentFacts]] = defaultdict(list)
    unlinked: dict[int, list[DocumentFacts]] = defaultdict(list)
    version_ids = []
    for (doc_id, encounter_id, patient_id, doc_type, service_date, status, author_id, credentials, version_id,
         signed_at) in rows:
        facts = DocumentFacts(doc_id, doc_type, service_date, status, encounter_id is not None, author_id,
                              credentials or "", version_id, signed_at is not None)
        if encounter_id is None:
            unlinked[patient_id].append(facts)
        else:
            linked[encounter_id].append(facts)
        if version_id is not None and signed_at is not None:
            version_ids.append(version_id)
    cosigned = frozenset(
        CoSignature.objects.filter(version_id__in=version_ids).values_list("version_id", "provider_id")
    )
    return {
        encounter.pk: EncounterFacts(
            id=encounter.pk,
            encounter_class=encounter.encounter_class,
            admit_at=encounter.admit_at,
            discharge_at=encounter.discharge_at or encounter.admit_at,
            care_team=tuple(team[encounter.pk]),
            documents=tuple(linked[encounter.pk] + unlinked[encounter.patient_id]),
            cosigned_versions=cosigned,
        )
        for encounter in encounters
    }


def chart_status(outstanding: int, discharge_at: datetime, now: datetime, delinquent_after_days: int
                 ) -> tuple[str, datetime | None]:
    """The status a record has with `outstanding` deficiencies at `now`, and since when it is delinquent."""
    if outstanding == 0:
        return ChartStatus.COMPLETE, None
    deadline = discharge_at + timedelta(days=delinquent_after_days)
    if now >= deadline:
        return ChartStatus.DELINQUENT, deadline
    return ChartStatus.INCOMPLETE, None


def update_chart(completion: ChartCompletion, outstanding: int, now: datetime, policy: CompletionPolicy) -> bool:
    """Move one record to the status its outstanding deficiencies give it; True when it changed."""
    status, delinquent_since = chart_status(outstanding, completion.discharge_at, now, policy.delinquent_after_days)
    before = (completion.status, completion.delinquent_since, completion.completed_at)
    if status == ChartStatus.COMPLETE:
        completion.completed_at = completion.completed_at if completion.status == ChartStatus.COMPLETE else now
    else:
        completion.completed_at = None
        # A record keeps the date it first became delinquent, so the monthly rate does not forget it.
        if status == ChartStatus.DELINQUENT:
            completion.delinquent_since = completion.delinquent_since or delinquent_since
    completion.status = status
    completion.analysed_at = now
    return before != (completion.status, completion.delinquent_since, completion.completed_at)


def _open(finding: Finding, encounter: Encounter, now: datetime) -> Deficiency:
    return Deficiency(
        encounter_id=encounter.pk, patient_id=encounter.patient_id, rule_id=finding.rule_id, kind=finding.kind,
        document_id=finding.document_id, provider_id=finding.provider_id, description=finding.description[:300],
        status=DeficiencyStatus.OPEN, opened_at=now, due_at=finding.due_at,
    )


def _active_rules() -> list[DeficiencyRule]:
    return list(DeficiencyRule.objects.filter(active=True))


def analyse_encounters(encounter_ids: Iterable[int], *, acting_user: Any = None, now: datetime | None = None
                       ) -> AnalysisSummary:
    """Analyse the finished encounters among `encounter_ids`; one audit event per patient whose record changed."""
    now = now or clock.now()
    rules = _active_rules()
    policy = CompletionPolicy.current()
    summary = AnalysisSummary()
    wanted = list(dict.fromkeys(int(key) for key in encounter_ids))
    for start in range(0, len(wanted), CHUNK):
        with transaction.atomic():
            _analyse_chunk(wanted[start:start + CHUNK], rules, policy, now, acting_user, summary)
    return summary


def _analyse_chunk(ids: list[int], rules: list[DeficiencyRule], policy: CompletionPolicy, now: datetime,
                   acting_user: Any, summary: AnalysisSummary) -> None:
    encounters = list(
        Encounter.objects.filter(pk__in=ids, status=EncounterStatus.FINISHED, discharge_at__isnull=False)
        .select_related("patient")
    )
    if not encounters:
        return
    facts = _facts_for(encounters)
    existing: dict[int, list[Deficiency]] = defaultdict(list)
    for deficiency in Deficiency.objects.filter(encounter_id__in=facts.keys()).exclude(
        status=DeficiencyStatus.COMPLETED
    ):
        existing[deficiency.encounter_id].append(deficiency)
    completions = {row.encounter_id: row for row in ChartCompletion.objects.filter(encounter_id__in=facts.keys())}
    to_create: list[Deficiency] = []
    to_complete: list[Deficiency] = []
    completion_rows: list[tuple[ChartCompletion, bool]] = []
    changes: dict[int, dict[str, list[str]]] = {}
    for encounter in encounters:
        summary.encounters += 1
        found = {finding.key: finding for finding in findings_for(facts[encounter.pk], rules)}
        known = {(d.rule_id, d.document_id, d.provider_id): d for d in existing[encounter.pk]}
        opened = [_open(finding, encounter, now) for key, finding in found.items() if key not in known]
        completed = [d for key, d in known.items() if key not in found and d.status in OUTSTANDING]
        for deficiency in completed:
            deficiency.status = DeficiencyStatus.COMPLETED
            deficiency.closed_at = now
        to_create += opened
        to_complete += completed
        outstanding = len(opened) + sum(
            1 for key, d in known.items() if d.status in OUTSTANDING and key in found
        )
        completion = completions.get(encounter.pk)
        created = completion is None
        if completion is None:
            completion = ChartCompletion(encounter_id=encounter.pk, patient_id=encounter.patient_id,
                                         discharge_at=encounter.discharge_at)
        moved = update_chart(completion, outstanding, now, policy)
        completion_rows.append((completion, created))
        # A first analysis that finds the record complete changes nothing in it: no trail entry.
        if opened or completed or (moved and not created):
            changes[encounter.pk] = {
                "opened": [finding.description for finding in opened],
                "completed": [d.description for d in completed],
                "status": [completion.status],
            }
    Deficiency.objects.bulk_create(to_create)
    if to_complete:
        Deficiency.objects.filter(pk__in=[d.pk for d in to_complete]).update(
            status=DeficiencyStatus.COMPLETED, closed_at=now)
    ChartCompletion.objects.bulk_create([row for row, created in completion_rows if created])
    _save_moved([row for row, created in completion_rows if not created and row.encounter_id in changes], now)
    ChartCompletion.objects.filter(encounter_id__in=list(facts)).update(analysed_at=now)
    _audit_changes(changes, {encounter.pk: encounter for encounter in encounters}, acting_user)
    summary.opened += len(to_create)
    summary.completed += len(to_complete)
    summary.changed_charts += list(changes)


def _audit_changes(changes: dict[int, dict[str, list[str]]], encounters: dict[int, Encounter], acting_user: Any
                   ) -> None:
    """One event per patient whose record changed (deficiencies opened or completed, the record's status
    moved), naming each encounter and change, so the patient's own audit trail shows it. A bulk run
    writes them through the audit chain's batch form (one head lock, bulk inserts)."""
    by_patient: dict[int, dict[str, dict[str, list[str]]]] = defaultdict(dict)
    for encounter_id, detail in changes.items():
        by_patient[encounters[encounter_id].patient_id][str(encounter_id)] = detail
    patients = {encounter.patient_id: encounter.patient for encounter in encounters.values()}
    planned = [
        PendingEvent(AuditAction.UPDATE, user=acting_user, username="" if acting_user else SYSTEM_ACTOR,
                     patient=patients[patient_id], object_type="chart_completion",
                     object_id=next(iter(records)) if len(records) == 1 else "",
                     detail={"change": "deficiency analysis", "encounters": records})
        for patient_id, records in by_patient.items()
    ]
    record_events(planned)


def _save_moved(rows: list[ChartCompletion], now: datetime) -> None:
    # One UPDATE per distinct outcome instead of bulk_update's CASE per row, which costs seconds a chunk.
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for row in rows:
        groups[(row.status, row.delinquent_since, row.completed_at)].append(row.pk)
    for (status, delinquent_since, completed_at), keys in groups.items():
        ChartCompletion.objects.filter(pk__in=keys).update(
            status=status, delinquent_since=delinquent_since, completed_at=completed_at)


def analyse_encounter(encounter: Encounter | int, *, acting_user: Any = None, now: datetime | None = None
                      ) -> AnalysisSummary:
    """Analyse one encounter (a no-op until it is finished)."""
    key = encounter if isinstance(encounter, int) else encounter.pk
    return analyse_encounters([key], acting_user=acting_user, now=now)


def refresh_chart(encounter_id: int, *, now: datetime | None = None) -> ChartCompletion | None:
    """Recount one record's outstanding deficiencies after a queue or HIM action (without re-analysing)."""
    now = now or clock.now()
    completion = ChartCompletion.objects.select_for_update().filter(encounter_id=encounter_id).first()
    if completion is None:
        return None
    outstanding = Deficiency.objects.filter(encounter_id=encounter_id, status__in=OUTSTANDING).count()
    if update_chart(completion, outstanding, now, CompletionPolicy.current()):
        completion.save(update_fields=["status", "analysed_at", "delinquent_since", "completed_at"])
    return completion


__all__ = ["CLOSED_BY_HIM", "analyse_encounter", "analyse_encounters", "chart_status", "refresh_chart"]
