"""Computer-assisted coding: suggested ICD-10-CM (and inpatient ICD-10-PCS) codes with their
evidence in the note, and the measures of how well the suggestions serve the coder."""

from chartdesk.coding.suggest.encounter import DocumentEvidence, EncounterSuggestion, suggest_for_encounter
from chartdesk.coding.suggest.engine import suggest_codes
from chartdesk.coding.suggest.indexed import encoder_index
from chartdesk.coding.suggest.results import Evidence, Suggestion

__all__ = ["DocumentEvidence", "EncounterSuggestion", "Evidence", "encoder_index", "Suggestion", "suggest_codes",
           "suggest_for_encounter"]
