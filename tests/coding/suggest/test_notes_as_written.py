"""Notes as they are dictated and typed: curly apostrophes and accents, abbreviated section headings,
the organism of an infection, and the reasons a superseded preoperative statement still gives."""

from __future__ import annotations

from chartdesk.coding.suggest import suggest_codes
from tests.coding.suggest.helpers import codes, suggestion


def test_curly_apostrophes_and_accents_read_as_plain_letters() -> None:
    assert codes("ASSESSMENT: Crohn\u2019s disease.") == {"K50.90"}
    assert codes("ASSESSMENT: M\u00e9ni\u00e8re\u2019s disease, left ear.") == {"H81.02"}
    # The evidence is the note's own characters, curly apostrophe and accents included.
    note = "IMPRESSION: M\u00e9ni\u00e8re\u2019s disease, left ear."
    found = suggestion(note, "H81.02")
    assert [(item.text, note[item.start:item.end]) for item in found.evidence] == [
        ("M\u00e9ni\u00e8re\u2019s disease, left ear", "M\u00e9ni\u00e8re\u2019s disease, left ear")]


def test_abbreviated_preop_heading_gives_way_to_the_postop_one() -> None:
    note = "PREOP DIAGNOSIS: Abdominal pain.,POSTOP DIAGNOSIS: Acute appendicitis.,PROCEDURE: Appendectomy."
    assert codes(note) == {"K35.80"}
    note = "PRE-OPERATIVE DIAGNOSIS: Abdominal pain.,POST-OPERATIVE DIAGNOSIS: Acute appendicitis."
    assert codes(note) == {"K35.80"}
    note = "PREPROCEDURE DIAGNOSIS: Chest pain.,POSTPROCEDURE DIAGNOSIS: Acute cholecystitis."
    assert codes(note) == {"K81.0"}


def test_principal_diagnosis_is_a_diagnostic_statement() -> None:
    note = "PRINCIPAL DIAGNOSIS: Acute cholecystitis.,HOSPITAL COURSE: Nausea and right upper quadrant pain."
    found = suggest_codes(note, setting="inpatient")
    assert [(item.code, item.section) for item in found] == [("K81.0", "PRINCIPAL DIAGNOSIS")]


def test_a_superseded_preoperative_statement_still_gives_screening_and_family_history() -> None:
    note = ("PREOPERATIVE DIAGNOSES:,1. Colon cancer screening.,2. Family history of colon polyps.,"
            "POSTOPERATIVE DIAGNOSES:,1. Sigmoid diverticulosis.,2. Internal hemorrhoids.")
    assert codes(note) >= {"Z12.11", "Z83.719", "K57.30"}
    # A condition of the preoperative statement is superseded; only encounter reasons carry over.
    note = "PREOPERATIVE DIAGNOSIS: Acute appendicitis.,POSTOPERATIVE DIAGNOSIS: Ovarian cyst, left."
    assert "K35.80" not in codes(note)


def test_the_organism_of_an_infection_is_added() -> None:
    note = "ASSESSMENT: Urinary tract infection. Urine culture grew E. coli."
    assert codes(note) == {"N39.0", "B96.20"}
    evidence = suggestion(note, "B96.20").evidence
    assert [(item.text, note[item.start:item.end]) for item in evidence] == [("E. coli", "E. coli")]
    note = "DISCHARGE DIAGNOSIS: Cellulitis of the right lower leg due to methicillin-resistant Staphylococcus aureus."
    assert codes(note, "inpatient") == {"L03.115", "B95.62"}
    assert codes("ASSESSMENT: Cellulitis of left upper limb, MRSA.") == {"L03.114", "B95.62"}


def test_no_organism_without_an_infection_that_asks_for_one_or_when_negated() -> None:
    # Strep throat names its organism (J02.0); sepsis due to E. coli is one code (A41.51).
    assert codes("ASSESSMENT: Strep throat.") == {"J02.0"}
    assert codes("ASSESSMENT: E. coli sepsis.", "inpatient") == {"A41.51"}
    assert codes("ASSESSMENT: Urinary tract infection. Culture negative for E. coli.") == {"N39.0"}
    assert codes("ASSESSMENT: Hypertension. Roommate had MRSA.") == {"I10"}


def test_hepatomegaly_with_splenomegaly_is_one_code() -> None:
    note = "IMPRESSION:,1. Hepatomegaly.,2. Splenomegaly."
    assert codes(note) == {"R16.2"}
    assert [item.text for item in suggestion(note, "R16.2").evidence] == ["Hepatomegaly", "Splenomegaly"]
