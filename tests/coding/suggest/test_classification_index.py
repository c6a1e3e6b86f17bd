"""Suggestions through the classification's Alphabetic Index and tables (suggest/indexed.py), on
extracts of the CMS index files loaded over the session's tabular subset: injuries with laterality
and the 7th character from the note's wording, neoplasms by site and behaviour, poisonings by
substance and intent, each item still under the engine's rules."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from chartdesk.coding.encoder.index import CodeIndex
from chartdesk.coding.suggest import Suggestion, encoder_index, suggest_codes
from tests.coding.index_extracts import write_release_zip

pytestmark = pytest.mark.django_db


@pytest.fixture
def index(tmp_path: Path) -> CodeIndex:
    call_command("codes", "load", "icd10cm", str(write_release_zip(tmp_path)), stdout=io.StringIO())
    loaded = encoder_index()
    assert loaded is not None
    return loaded


def suggested(text: str, index: CodeIndex | None, setting: str = "outpatient") -> dict[str, Suggestion]:
    return {item.code: item for item in suggest_codes(text, setting=setting, index=index)}  # type: ignore[arg-type]


def test_an_injury_gets_its_side_and_the_initial_encounter_from_the_note(index: CodeIndex) -> None:
    note = "POSTOPERATIVE DIAGNOSIS: Fracture of neck of left femur.,PROCEDURE: Hemiarthroplasty."
    assert suggested(note, None) == {}  # the dictionary leaves injuries alone
    found = suggested(note, index)
    assert list(found) == ["S72.002A"]
    evidence = found["S72.002A"].evidence
    assert [(item.text, note[item.start:item.end]) for item in evidence] == [
        ("Fracture of neck of left femur", "Fracture of neck of left femur")]
    assert set(suggested("ASSESSMENT: Fracture, neck of femur, right.", index)) == {"S72.001A"}


@pytest.mark.parametrize(("wording", "expected"), [
    ("Fracture of neck of right femur, routine healing, follow-up visit.", "S72.001D"),
    ("Fracture of neck of right femur, sequela.", "S72.001S"),
    ("Open fracture of neck of right femur.", "S72.001B"),
])
def test_the_seventh_character_follows_the_encounter_wording(index: CodeIndex, wording: str, expected: str) -> None:
    assert set(suggested(f"ASSESSMENT: {wording}", index)) == {expected}


def test_the_neoplasm_table_gives_site_behaviour_and_side(index: CodeIndex) -> None:
    # The dictionary alone reads "carcinoma in situ" (D09.9) and "breast cancer" (unspecified side).
    assert set(suggested("IMPRESSION: Carcinoma in situ of breast, left.", None)) == {"D09.9"}
    found = suggested("IMPRESSION: Carcinoma in situ of breast, left.", index)
    assert set(found) == {"D05.92"}
    assert found["D05.92"].evidence[0].text == "Carcinoma in situ of breast, left"
    assert set(suggested("IMPRESSION: Breast cancer, left.", index)) == {"C50.912"}
    assert set(suggested("IMPRESSION: Liver metastases from colon cancer.", index)) == {"C78.7", "C18.9"}


def test_the_drug_table_gives_substance_and_intent(index: CodeIndex) -> None:
    assert set(suggested("ASSESSMENT: Accidental overdose of acetaminophen.", None)) == set()
    assert set(suggested("ASSESSMENT: Accidental overdose of acetaminophen.", index)) == {"T39.1X1A"}


def test_index_items_keep_the_engine_rules(index: CodeIndex) -> None:
    assert suggested("IMPRESSION: No evidence of carcinoma in situ of breast.", index) == {}
    # Outpatient, an uncertain diagnosis is not coded; inpatient it is, flagged.
    assert suggested("ASSESSMENT: Possible fracture of neck of left femur.", index) == {}
    found = suggested("DISCHARGE DIAGNOSIS: Possible fracture of neck of left femur.", index, "inpatient")
    assert set(found) == {"S72.002A"} and "uncertain" in found["S72.002A"].flags
    # A family member's cancer is a family-history code, never the patient's cancer.
    assert "C50.919" not in suggested("ASSESSMENT: Mother has breast cancer.", index)


def test_what_the_index_does_not_settle_is_left_to_the_coder(index: CodeIndex) -> None:
    # External causes are not suggested; a one-word heading inside a section is not a diagnosis; a
    # fluid collection "of uncertain etiology" is no neoplasm of uncertain behaviour.
    assert suggested("ASSESSMENT: Fall from ladder.", index) == {}
    assert suggested("ASSESSMENT: Development.,Social: He has a sense of humor.", index) == {}
    assert not any(code.startswith("D48") for code in
                   suggested("IMPRESSION: Fluid collection of the liver of uncertain etiology.", index))
