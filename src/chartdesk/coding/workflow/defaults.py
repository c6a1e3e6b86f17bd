"""What the coding screen's forms start with: the procedure date and the provider.

A coder accepts most defaults as they come, so a wrong one becomes a wrong claim: the provider
defaults to the encounter's attending (else the author of its notes), never to whoever sorts first
in the list, and the procedure date to the day the encounter's service was given.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from chartdesk.charts.models import DocumentStatus, DocumentType, Encounter, EncounterClass, Provider


def _notes(encounter: Encounter, document_type: str | None = None) -> list[object]:
    documents = encounter.documents.exclude(status=DocumentStatus.ENTERED_IN_ERROR).select_related("author")
    if document_type:
        documents = documents.filter(document_type=document_type)
    return list(documents.order_by("service_date", "pk"))


def default_provider(encounter: Encounter) -> Provider | None:
    """The attending; without one, the author of the encounter's operative report, else of its first note."""
    if encounter.attending is not None:
        return encounter.attending
    for document_type in (DocumentType.OPERATIVE_REPORT, None):
        authors = [note.author for note in _notes(encounter, document_type) if note.author]  # type: ignore[attr-defined]
        if authors:
            return authors[0]
    return None


def default_procedure_day(encounter: Encounter) -> datetime.date:
    """The encounter's service date: the visit's day, or for a stay the day of its operative report
    (where the procedure is documented), else the day of admission."""
    if encounter.encounter_class == EncounterClass.INPATIENT:
        reports = _notes(encounter, DocumentType.OPERATIVE_REPORT)
        if reports:
            return reports[0].service_date  # type: ignore[attr-defined, no-any-return]
    return timezone.localtime(encounter.admit_at).date()
