"""The most specific billable code the text supports, combination codes, never a header."""

from __future__ import annotations

import pytest

from chartdesk.coding.suggest import suggest_codes
from chartdesk.coding.suggest.tabular import load_tabular
from tests.coding.suggest.helpers import codes


@pytest.mark.parametrize(("text", "expected"), [
    ("ASSESSMENT: Type 2 diabetes mellitus with diabetic neuropathy.", {"E11.40"}),
    ("ASSESSMENT: Type 2 diabetes mellitus. Peripheral neuropathy.", {"E11.42"}),
    ("ASSESSMENT: Type 1 diabetes with gastroparesis.", {"E10.43"}),
    ("ASSESSMENT: Diabetes type 2, A1c 7.1%.", {"E11.9"}),
    ("ASSESSMENT: Peripheral neuropathy.", {"G62.9"}),
    ("ASSESSMENT: Type 2 diabetes with chronic kidney disease, stage 3a.", {"E11.22", "N18.31"}),
    ("ASSESSMENT: Hypertension. Chronic systolic congestive heart failure.", {"I11.0", "I50.22"}),
    ("ASSESSMENT: HTN. CKD stage 4.", {"I12.9", "N18.4"}),
    ("ASSESSMENT: Hypertension. Chronic diastolic heart failure. CKD stage 3b.", {"I13.0", "I50.32", "N18.32"}),
    ("ASSESSMENT: Acute exacerbation of chronic obstructive pulmonary disease.", {"J44.1"}),
    ("ASSESSMENT: Heart failure. Chronic systolic heart failure.", {"I50.22"}),
    ("ASSESSMENT: Mild intermittent asthma. Asthma.", {"J45.20"}),
    ("HPI: Nausea and vomiting since last night.", {"R11.2"}),
])
def test_the_most_specific_supported_code_is_suggested(text: str, expected: set[str]) -> None:
    assert codes(text) == expected


def test_a_combination_code_points_at_every_phrase_that_supports_it() -> None:
    text = "ASSESSMENT: Hypertension. Chronic systolic congestive heart failure."
    combined = next(item for item in suggest_codes(text, setting="outpatient") if item.code == "I11.0")
    assert [evidence.text for evidence in combined.evidence] == ["Hypertension",
                                                                "Chronic systolic congestive heart failure"]


def test_header_codes_are_never_suggested() -> None:
    tabular = load_tabular()
    text = ("ASSESSMENT: Diabetes. Type 2 diabetes mellitus. Multiple sclerosis. Lymphoma. Hypertensive heart "
            "disease. Otitis media. Fracture of the femur. Migraine. Gout. Malignant neoplasm of breast.")
    suggested = suggest_codes(text, setting="inpatient", include_excluded=True)
    assert suggested
    assert all(tabular.is_billable(item.code) for item in suggested if item.system == "icd10cm")
    assert "E11" not in {item.code for item in suggested}


def test_codes_the_patients_sex_or_age_rules_out_are_dropped() -> None:
    assert codes("ASSESSMENT: Benign prostatic hyperplasia.", sex="F") == set()
    assert codes("ASSESSMENT: Benign prostatic hyperplasia.", sex="M") == {"N40.0"}
    assert codes("ASSESSMENT: Right tubal pregnancy without intrauterine pregnancy.", sex="M") == set()
    assert codes("ASSESSMENT: Right tubal pregnancy without intrauterine pregnancy.", sex="F") == {"O00.101"}


def test_the_section_a_suggestion_came_from_is_named() -> None:
    text = "CHIEF COMPLAINT: Follow-up.\nASSESSMENT AND PLAN:\n1. Hypothyroidism, continue levothyroxine."
    (found,) = suggest_codes(text, setting="outpatient")
    assert (found.code, found.section, found.evidence[0].text) == ("E03.9", "ASSESSMENT AND PLAN", "Hypothyroidism")


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="setting"):
        suggest_codes("Hypertension.", setting="emergency")  # type: ignore[arg-type]
