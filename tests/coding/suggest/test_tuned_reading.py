"""How the engine reads dictated notes after tuning on the dev and tune MTSamples sets: headers run
into a title or named in the plural, studies whose impression finds nothing, a trigger that may look
either way, and diagnostic items the classification's index is entered by in other words. Every
note here was written for the test."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from chartdesk.coding.encoder.index import CodeIndex
from chartdesk.coding.encoder.search import Hit
from chartdesk.coding.suggest import encoder_index, suggest_codes
from chartdesk.coding.suggest.indexed import rewordings, suitable
from chartdesk.coding.suggest.sections import SectionKind, split_sections
from tests.coding.index_extracts import write_release_zip
from tests.coding.suggest.helpers import codes, suggestion


def kinds(text: str) -> list[tuple[str, SectionKind]]:
    return [(section.heading, section.kind) for section in split_sections(text)]


def test_a_header_run_into_the_title_before_it_is_still_a_header() -> None:
    text = "LEXISCAN NUCLEAR SCAN,INDICATION: , Chest pain.,IMPRESSION: , Normal perfusion scan."
    assert kinds(text) == [("", SectionKind.OTHER), ("INDICATION", SectionKind.HISTORY),
                           ("IMPRESSION", SectionKind.DIAGNOSIS)]
    assert text[split_sections(text)[0].start:split_sections(text)[0].end] == "LEXISCAN NUCLEAR SCAN,"
    assert codes(text) == {"R07.9"}
    # A diagnostic heading followed by another word after a comma stays the diagnostic statement.
    assert kinds("DISCHARGE DIAGNOSES,CONSULTATIONS: Asthma.") == [
        ("DISCHARGE DIAGNOSES,CONSULTATIONS", SectionKind.DIAGNOSIS)]


def test_plural_exam_headers_prescriptions_and_findings_are_not_read_as_diagnoses() -> None:
    text = ("LUNGS:  Clear.,EXTREMITIES:  No edema.,CLINICAL ASSESSMENT AND FINDINGS:, Tender A1 pulley.,"
            "PRESCRIPTIONS:,  Lotrimin AF 1% cream.,INDICATION: , Chest pain.")
    assert kinds(text) == [("LUNGS", SectionKind.EXAM), ("EXTREMITIES", SectionKind.EXAM),
                           ("CLINICAL ASSESSMENT AND FINDINGS", SectionKind.EXAM),
                           ("PRESCRIPTIONS", SectionKind.MEDICATIONS), ("INDICATION", SectionKind.HISTORY)]
    note = "IMPRESSION: , Tinea pedis.,PRESCRIPTIONS:,  Lotrimin AF  Dosage:  1% cream  Sig:  apply qid"
    assert "I48.91" not in codes(note)  # "AF" in a drug's name is no atrial fibrillation


def test_a_normal_study_is_coded_from_the_reason_it_was_done_for() -> None:
    normal = ("EXAM:,  Nuclear myocardial perfusion scan.,INDICATION:,  Chest pain.,"
              "IMPRESSION:,  Normal nuclear myocardial perfusion scan.")
    assert codes(normal) == {"R07.9"}
    # When the impression codes a diagnosis, the reason's symptom is integral to it and not coded.
    found = ("EXAM:,  Chest x-ray.,INDICATION:,  Cough.,IMPRESSION:,  Community acquired pneumonia.")
    assert codes(found) == {"J18.9"}
    assert suggestion(found, "R05.9").excluded_reason == "symptom outside the diagnostic statement"
    # Only the reason for the study stands in: a symptom told in the history of a normal visit does not.
    history = ("HISTORY OF PRESENT ILLNESS: , Chest pain for a week.,IMPRESSION: , Normal examination.")
    assert codes(history) == set()


def test_a_trigger_that_can_look_either_way_looks_at_the_condition_after_it() -> None:
    note = "IMPRESSION: , Overactive bladder with microscopic hematuria most likely some mild atrophic vaginitis."
    assert codes(note) == {"N32.81", "R31.29"}
    assert suggestion(note, "N76.0").excluded_reason.startswith("uncertain")
    # With nothing after it, "likely" still looks back at the condition before it.
    assert codes("IMPRESSION: , Community acquired pneumonia likely.") == set()


def test_an_item_is_looked_up_again_without_degree_words_and_with_its_site_as_a_noun() -> None:
    assert rewordings("Mild right lumbosacral radiculopathies") == ["right lumbosacral radiculopathies"]
    assert rewordings("Degenerative disk disease at C5-C6") == ["Degenerative disk disease"]
    assert rewordings("Left facial cellulitis") == ["Left cellulitis of face"]
    assert rewordings("Active renal failure") == ["renal failure", "failure of kidney"]
    assert rewordings("Tinea pedis") == []


def hit(code: str) -> Hit:
    return Hit(code.replace(".", ""), code, "", True, 0.95)


def test_history_and_external_cause_answers_do_not_code_an_item_that_names_neither() -> None:
    answers = [hit("Z83.719"), hit("Y84.8"), hit("K63.5")]
    assert [item.display for item in suitable(answers, "Colonic polyps")] == ["K63.5"]
    assert [item.display for item in suitable(answers, "Family history of colonic polyps")] == ["Z83.719", "K63.5"]


@pytest.mark.django_db
def test_a_degree_word_no_longer_hides_the_diagnosis_from_the_index(tmp_path: Path) -> None:
    call_command("codes", "load", "icd10cm", str(write_release_zip(tmp_path)), stdout=io.StringIO())
    index: CodeIndex | None = encoder_index()
    assert index is not None
    note = "IMPRESSION:,  1.  Mild right lumbosacral radiculopathies.  This could not be further localized."
    assert {item.code for item in suggest_codes(note, setting="outpatient", index=index)} == {"M54.17"}
