"""Negation, uncertainty by setting, history-of and family history, as a coder reads them."""

from __future__ import annotations

import pytest

from chartdesk.coding.suggest import suggest_codes
from tests.coding.suggest.helpers import codes, suggestion


def test_denied_chest_pain_is_not_suggested_and_is_shown_as_negated() -> None:
    text = "HISTORY OF PRESENT ILLNESS: Patient denies chest pain. Cough for three days."
    assert codes(text) == {"R05.9"}
    denied = suggestion(text, "R07.9")
    assert denied.excluded_reason == "negated"
    assert "negated-excluded" in denied.flags


def test_no_evidence_of_pneumonia_is_not_coded() -> None:
    text = "ASSESSMENT: Acute bronchitis. Chest x-ray shows no evidence of pneumonia."
    assert codes(text) == {"J20.9"}


def test_a_denial_covers_the_whole_list_that_follows_it() -> None:
    assert codes("HPI: She denies fever, chills, cough or dysuria.") == set()


def test_negation_scope_ends_at_but() -> None:
    assert codes("HPI: Denies fever but reports a cough and headache.") == {"R05.9", "R51.9"}


def test_negation_scope_ends_at_the_sentence() -> None:
    assert codes("HPI: No fever. Dysuria since yesterday.") == {"R30.0"}


def test_ruled_out_after_the_condition_negates_it() -> None:
    text = "DISCHARGE DIAGNOSES: Chest pain. Myocardial infarction was ruled out."
    assert codes(text, "inpatient") == {"R07.9"}


@pytest.mark.parametrize("wording", ["Probable pneumonia.", "Rule out pneumonia.", "Suspected pneumonia.",
                                     "Likely pneumonia.", "Pneumonia is suspected.", "Possible pneumonia."])
def test_an_uncertain_outpatient_diagnosis_gives_way_to_its_symptoms(wording: str) -> None:
    text = f"HISTORY OF PRESENT ILLNESS: Productive cough and fever for three days.\n\nASSESSMENT: {wording}"
    assert codes(text, "outpatient") == {"R05.9", "R50.9"}
    held_back = suggestion(text, "J18.9", "outpatient")
    assert "uncertain" in held_back.flags and held_back.excluded_reason.startswith("uncertain")


@pytest.mark.parametrize("wording", ["Probable pneumonia.", "Rule out pneumonia.", "Suspected pneumonia."])
def test_an_uncertain_inpatient_diagnosis_is_coded_as_established(wording: str) -> None:
    text = f"HISTORY OF PRESENT ILLNESS: Productive cough and fever for three days.\n\nDISCHARGE DIAGNOSES: {wording}"
    found = {item.code: item for item in suggest_codes(text, setting="inpatient")}
    assert set(found) == {"J18.9"}
    assert "uncertain" in found["J18.9"].flags


def test_symptoms_explained_by_a_definite_diagnosis_are_not_coded() -> None:
    text = "HPI: Productive cough and fever.\n\nASSESSMENT: Community-acquired pneumonia."
    assert codes(text) == {"J18.9"}


def test_history_of_a_treated_cancer_is_its_personal_history_code() -> None:
    text = "PAST MEDICAL HISTORY: History of breast cancer, status post mastectomy, no recurrence."
    found = suggestion(text, "Z85.3", sex="F")
    assert "history-of" in found.flags and not found.excluded_reason
    assert codes(text, sex="F") == {"Z85.3"}


@pytest.mark.parametrize(("text", "expected"), [
    ("PAST MEDICAL HISTORY: Remote history of myocardial infarction.", {"I25.2"}),
    ("SOCIAL HISTORY: Former smoker, quit ten years ago.", {"Z87.891"}),
    ("PAST MEDICAL HISTORY: History of DVT in 2019.", {"Z86.718"}),
    ("PAST MEDICAL HISTORY: History of kidney stones.", {"Z87.442"}),
    ("PAST MEDICAL HISTORY: Hypertension, hyperlipidemia and COPD.", {"I10", "E78.5", "J44.9"}),
    ("PAST MEDICAL HISTORY: History of hypertension.", {"I10"}),
])
def test_history_of_versus_current(text: str, expected: set[str]) -> None:
    assert codes(text) == expected


def test_a_resolved_condition_is_not_coded_at_a_visit_but_is_for_the_stay_it_was_treated_in() -> None:
    assert codes("ASSESSMENT: Sinusitis, resolved. Allergic rhinitis.") == {"J30.9"}
    assert codes("DISCHARGE DIAGNOSES: Acute kidney injury, resolved with fluids.", "inpatient") == {"N17.9"}


def test_relatives_conditions_in_the_family_history_get_family_history_codes() -> None:
    text = "FAMILY HISTORY: Mother had breast cancer. Father had a heart attack at 52. Sister with asthma."
    found = {item.code: item for item in suggest_codes(text, setting="outpatient")}
    assert set(found) == {"Z80.3", "Z82.49", "Z82.5"}
    assert all("family-history" in item.flags for item in found.values())


def test_a_relative_named_outside_the_family_history_section_still_means_family_history() -> None:
    assert codes("HPI: Her mother has type 2 diabetes. She is here for a cough.") == {"Z83.3", "R05.9"}


def test_no_family_history_of_cancer_codes_nothing() -> None:
    assert codes("FAMILY HISTORY: No family history of colon cancer.") == set()


def test_a_spouses_condition_is_not_the_patients() -> None:
    assert codes("HPI: He moved here to help his wife's rheumatoid arthritis.") == set()


def test_risks_explained_before_surgery_are_not_diagnoses() -> None:
    text = ("IMPRESSION: Cholelithiasis. I explained the risks of laparoscopic cholecystectomy including bleeding, "
            "infection, deep venous thrombosis and pulmonary embolism.")
    assert codes(text) == {"K80.20"}
    assert suggestion(text, "I26.99").excluded_reason == "named as a risk or a warning, not a diagnosis"


def test_a_list_of_conditions_is_not_read_as_one_inclusion_term() -> None:
    assert codes("PAST MEDICAL HISTORY: Anxiety, depression.") == {"F41.9", "F32.A"}
