"""What the coding screen borrows from the rest of the coding area: the edits, the encoder and the
computer-assisted suggestions, each fed from the case as it stands.

The validator and the suggestion engine are the coding and CAC engineers' own; this module only
turns a case into their inputs. Evidence of a suggestion is always recomputed on the server from
the documents, never taken from the browser.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from chartdesk.charts.models import DocumentStatus, Encounter
from chartdesk.coding.edits.validator import CodedDiagnosis as DiagnosisToCheck
from chartdesk.coding.edits.validator import EncounterCodes, Report, validate
from chartdesk.coding.models import CodeSystem
from chartdesk.coding.suggest import EncounterSuggestion, encoder_index, suggest_for_encounter
from chartdesk.coding.workflow.models import CodingCase
from chartdesk.core.dates import age_on


def service_day(encounter: Encounter) -> datetime.date:
    from chartdesk.coding.workflow.actions import service_day as day_of

    return day_of(encounter)


def validation_report(case: CodingCase) -> Report:
    """The official edits on the case's diagnoses, in sequence, as of the date of service."""
    from chartdesk.coding.workflow.actions import code_day

    encounter = case.encounter
    day = service_day(encounter)
    patient = encounter.patient
    return validate(EncounterCodes(
        diagnoses=tuple(DiagnosisToCheck(row.code, row.poa) for row in case.diagnoses.order_by("position")),
        # The release's day: the date of service, or inside the nearest release the coder chose.
        service_date=code_day(case, CodeSystem.ICD10CM),
        inpatient=encounter.encounter_class == "inpatient",
        sex=patient.sex if patient.sex in ("F", "M") else "",
        age=age_on(patient.birth_date, day) if patient.birth_date else None,
    ))


@dataclass(frozen=True)
class ShownEvidence:
    document_id: int
    document_title: str
    start: int
    end: int
    text: str
    before: str  # a little of the note either side, so the coder reads the words in context
    after: str


@dataclass(frozen=True)
class ShownSuggestion:
    code: str
    display: str
    title: str
    system: str
    confidence: float
    flags: tuple[str, ...]
    evidence: tuple[ShownEvidence, ...]


CONTEXT_CHARACTERS = 60


def suggestions_for(case: CodingCase) -> list[ShownSuggestion]:
    """Suggestions (diagnoses; procedures too for inpatient stays) for the encounter's current
    documents, less codes already coded or already decided."""
    encounter = case.encounter
    documents = {
        str(document.pk): document
        for document in encounter.documents.exclude(status=DocumentStatus.ENTERED_IN_ERROR)
        .select_related("current_version")
        if document.current_version and document.current_version.text
    }
    texts = {key: document.current_version.text for key, document in documents.items()}  # type: ignore[union-attr]
    if not texts:
        return []
    patient = encounter.patient
    day = service_day(encounter)
    found: list[EncounterSuggestion] = suggest_for_encounter(
        texts,
        setting="inpatient" if encounter.encounter_class == "inpatient" else "outpatient",
        sex=patient.sex if patient.sex in ("F", "M") else None,
        age=age_on(patient.birth_date, day) if patient.birth_date else None,
        # The classification in effect on the date of service: its index and tables code the
        # diagnostic items the dictionary does not know (coding.suggest.indexed).
        index=encoder_index(day),
        on=day,
    )
    # Keyed by system too: a diagnosis and a procedure code may share characters.
    diagnosis_codes = case.diagnoses.values_list("code", flat=True)
    handled: set[tuple[str, str]] = {(str(CodeSystem.ICD10CM), code) for code in diagnosis_codes}
    handled |= set(case.procedures.values_list("system", "code"))
    handled |= set(case.suggestion_decisions.values_list("system", "suggested_code"))
    shown = []
    for suggestion in found:
        code = suggestion.code.replace(".", "").upper()
        if (suggestion.system, code) in handled:
            continue
        evidence = tuple(
            ShownEvidence(
                int(item.document), documents[item.document].title, item.start, item.end, item.text,
                texts[item.document][max(item.start - CONTEXT_CHARACTERS, 0):item.start],
                texts[item.document][item.end:item.end + CONTEXT_CHARACTERS],
            )
            for item in suggestion.evidence
        )
        display = f"{code[:3]}.{code[3:]}" if suggestion.system == CodeSystem.ICD10CM and len(code) > 3 else code
        shown.append(ShownSuggestion(code, display, suggestion.title, suggestion.system, suggestion.confidence,
                                     tuple(sorted(suggestion.flags)), evidence))
    return shown
