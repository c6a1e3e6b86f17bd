"""Writing many encounters and notes of one chart at once: the bulk path of an import.

Each entry is checked exactly as the one-at-a-time actions check it (`checked_opening`,
`_checked_document_fields`, the closing rules of discharge and finish); an entry refused comes back
as its refusal, in place, and is not written. The accepted rows are inserted with a few statements
and one audit event each, all in one transaction, and `post_save` is sent for every row
(core.bulk.create_rows) so that version keeping and deficiency analysis see them as they see any
other change. An imported encounter arrives already closed when its source says it ended: one row
and one audit event, rather than an open and a close.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import PendingEvent, record_events
from chartdesk.audit.models import AuditAction
from chartdesk.charts.actions import (
    CLOCK_SKEW,
    DISCHARGE_BEFORE_ADMIT,
    DISCHARGE_IN_FUTURE,
    DISPOSITION_UNKNOWN,
    FINISH_BEFORE_ADMIT,
    TEXT_REQUIRED,
    _aware,
    _checked_document_fields,
    _require_chart,
    _shown,
    checked_opening,
)
from chartdesk.charts.models import (
    AccountNumberSequence,
    CareRole,
    DischargeDisposition,
    Document,
    DocumentStatus,
    DocumentVersion,
    Encounter,
    EncounterClass,
    EncounterProvider,
    EncounterStatus,
    Provider,
)
from chartdesk.core.bulk import BATCH_SIZE, create_rows
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.permissions import require_permission
from chartdesk.patients.models import Patient


@dataclass(frozen=True)
class EncounterEntry:
    """An encounter as a source recorded it; `ended_at` closes it (discharge, or finish for a visit)."""

    encounter_class: str
    admit_at: datetime
    attending: Provider | None = None
    service: str = ""
    location: str = ""
    reason: str = ""
    ended_at: datetime | None = None
    disposition: str = DischargeDisposition.HOME


@dataclass(frozen=True)
class NoteEntry:
    document_type: str
    title: str
    text: str
    service_date: date
    encounter: Encounter | None = None
    author: Provider | None = None


def _closing(entry: EncounterEntry, admit_at: datetime) -> dict[str, Any]:
    """The closing fields of an entry that ended, checked as discharge and finish check them."""
    if entry.ended_at is None:
        return {}
    ended = _aware(entry.ended_at, "discharge_at")
    if ended > timezone.now() + CLOCK_SKEW:
        raise ChartdeskError(DISCHARGE_IN_FUTURE.format(when=_shown(ended)), field="discharge_at")
    if entry.encounter_class == EncounterClass.OUTPATIENT:
        if ended < admit_at:
            raise ChartdeskError(FINISH_BEFORE_ADMIT.format(when=_shown(ended), admit=_shown(admit_at)),
                                 field="finished_at")
        return {"status": EncounterStatus.FINISHED, "discharge_at": ended}
    if ended <= admit_at:
        raise ChartdeskError(DISCHARGE_BEFORE_ADMIT.format(when=_shown(ended), admit=_shown(admit_at)),
                             field="discharge_at")
    if entry.disposition not in DischargeDisposition.values:
        raise ChartdeskError(DISPOSITION_UNKNOWN, field="disposition")
    return {"status": EncounterStatus.FINISHED, "discharge_at": ended, "discharge_disposition": entry.disposition}


def _account_numbers(count: int) -> list[str]:
    """`count` fresh account numbers drawn under one lock of the counter (see _next_account_number),
    skipping numbers already taken, with one look-up per batch rather than one per number."""
    sequence, _ = AccountNumberSequence.objects.select_for_update().get_or_create(id=1)
    drawn: list[str] = []
    while len(drawn) < count:
        wanted = count - len(drawn)
        candidates = [f"V{sequence.last_serial + offset}" for offset in range(1, wanted + 1)]
        sequence.last_serial += wanted
        taken = set(Encounter.objects.filter(account_number__in=candidates).values_list("account_number", flat=True))
        drawn.extend(number for number in candidates if number not in taken)
    sequence.save(update_fields=["last_serial"])
    return drawn


def do_import_encounters(patient: Patient, entries: Sequence[EncounterEntry], *,
                         acting_user: Any) -> list[Encounter | ChartdeskError]:
    """Open (and close, where the entry ended) many encounters of one chart together."""
    require_permission(acting_user, "charts.open_encounter", "open encounters")
    _require_chart(acting_user, patient)
    outcomes: list[Encounter | ChartdeskError] = []
    accepted: list[tuple[Encounter, EncounterEntry]] = []
    for entry in entries:
        try:
            admit_at, service, location, reason = checked_opening(
                patient, encounter_class=entry.encounter_class, admit_at=entry.admit_at, attending=entry.attending,
                service=entry.service, location=entry.location, reason=entry.reason)
            encounter = Encounter(patient=patient, encounter_class=entry.encounter_class, admit_at=admit_at,
                                  service=service, location=location, reason=reason, created_by=acting_user,
                                  **_closing(entry, admit_at))
        except ChartdeskError as refusal:
            outcomes.append(refusal)
            continue
        accepted.append((encounter, entry))
        outcomes.append(encounter)
    if not accepted:
        return outcomes
    with transaction.atomic():
        for (encounter, _), number in zip(accepted, _account_numbers(len(accepted)), strict=True):
            encounter.account_number = number
        created = create_rows(Encounter, [encounter for encounter, _ in accepted])
        create_rows(EncounterProvider, [EncounterProvider(encounter=encounter, provider=entry.attending,
                                                          role=CareRole.ATTENDING)
                                        for encounter, (_, entry) in zip(created, accepted, strict=True)
                                        if entry.attending is not None])
        record_events([PendingEvent(
            AuditAction.CREATE, user=acting_user, patient=patient, object_type="encounter", object_id=encounter.pk,
            detail={"account_number": encounter.account_number, "encounter_class": encounter.encounter_class,
                    "admit_at": encounter.admit_at.isoformat(),
                    "attending_provider_id": entry.attending.pk if entry.attending else None,
                    "status": encounter.status,
                    "discharge_at": encounter.discharge_at.isoformat() if encounter.discharge_at else None,
                    "disposition": encounter.discharge_disposition or None, "via": "import"},
        ) for encounter, (_, entry) in zip(created, accepted, strict=True)])
    return outcomes


def do_import_notes(patient: Patient, entries: Sequence[NoteEntry], *,
                    acting_user: Any) -> list[Document | ChartdeskError]:
    """Write many notes of one chart together, each as `do_create_note` writes one: a preliminary
    document with its text as version 1."""
    require_permission(acting_user, "charts.write_note", "write notes")
    _require_chart(acting_user, patient)
    outcomes: list[Document | ChartdeskError] = []
    accepted: list[tuple[Document, PendingEvent, str]] = []
    for entry in entries:
        try:
            title, service_date = _checked_document_fields(
                patient, document_type=entry.document_type, title=entry.title, service_date=entry.service_date,
                encounter=entry.encounter, author=entry.author)
            if not (entry.text or "").strip():
                raise ChartdeskError(TEXT_REQUIRED, field="text")
        except ChartdeskError as refusal:
            outcomes.append(refusal)
            continue
        document = Document(patient=patient, encounter=entry.encounter, document_type=entry.document_type,
                            title=title, author=entry.author, service_date=service_date,
                            status=DocumentStatus.PRELIMINARY, created_by=acting_user)
        event = PendingEvent(AuditAction.CREATE, user=acting_user, patient=patient, object_type="document",
                             detail={"document_type": entry.document_type, "title": title, "version": 1,
                                     "encounter_id": entry.encounter.pk if entry.encounter else None})
        accepted.append((document, event, entry.text))
        outcomes.append(document)
    if not accepted:
        return outcomes
    with transaction.atomic():
        documents = create_rows(Document, [document for document, _, _ in accepted])
        made = create_rows(DocumentVersion, [DocumentVersion(document=document, number=1, created_by=acting_user,
                                                             text=text)
                                             for document, (_, _, text) in zip(documents, accepted, strict=True)])
        for document, version in zip(documents, made, strict=True):
            document.current_version = version
        Document.objects.bulk_update(documents, ["current_version"], batch_size=BATCH_SIZE)
        record_events([replace(event, object_id=document.pk)
                       for document, (_, event, _) in zip(documents, accepted, strict=True)])
    return outcomes
