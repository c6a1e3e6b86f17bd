"""Suggestions across an encounter's documents."""

from __future__ import annotations

from chartdesk.coding.suggest import suggest_for_encounter


def test_an_encounters_documents_are_merged_by_code_with_evidence_per_document() -> None:
    documents = {
        "hp-1": "HISTORY OF PRESENT ILLNESS: Cough.\nASSESSMENT: Diabetes. Hypothyroidism.",
        "ds-1": "DISCHARGE DIAGNOSES:\n1. Type 2 diabetes mellitus with diabetic neuropathy.\n2. Hypothyroidism.\n"
                "PROCEDURES: Endotracheal intubation.",
    }
    found = {item.code: item for item in suggest_for_encounter(documents, setting="inpatient")}
    assert set(found) == {"E11.40", "E03.9", "0BH17EZ"}  # E11.9 of the H&P gives way to E11.40
    assert [(item.document, item.text) for item in found["E03.9"].evidence] == [("hp-1", "Hypothyroidism"),
                                                                                ("ds-1", "Hypothyroidism")]
    for item in found["E11.40"].evidence:
        assert documents[item.document][item.start:item.end] == item.text
