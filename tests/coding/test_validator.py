"""The coding edits on real ICD-10-CM content: one finding per problem, each with a clear message."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from chartdesk.coding.actions import do_load_code_set
from chartdesk.coding.edits.validator import CodedDiagnosis, EncounterCodes, Severity, validate

pytestmark = pytest.mark.django_db
SERVICE_DAY = datetime.date(2026, 5, 4)


def check(*codes: str, **details: object) -> list[tuple[str, str]]:
    """(edit, first code) of each finding, in order."""
    report = validate(EncounterCodes.of(list(codes), service_date=SERVICE_DAY, **details))  # type: ignore[arg-type]
    return [(finding.edit, finding.codes[0] if finding.codes else "") for finding in report.findings]


def messages(*codes: str, **details: object) -> list[str]:
    report = validate(EncounterCodes.of(list(codes), service_date=SERVICE_DAY, **details))  # type: ignore[arg-type]
    return [finding.message for finding in report.findings]


def test_a_billable_code_on_its_own_is_clean_apart_from_the_reminder_its_category_prints() -> None:
    report = validate(EncounterCodes.of(["E11.9"], service_date=SERVICE_DAY))
    assert report.clean
    assert [(f.edit, f.severity) for f in report.findings] == [("use_additional_code_reminder", Severity.REMINDER)]
    assert "insulin (Z79.4)" in report.findings[0].message


def test_the_reminder_is_satisfied_by_coding_what_it_asks_for() -> None:
    assert check("E11.9", "Z79.4") == []


def test_a_header_code_is_refused_and_a_billable_code_below_it_suggested() -> None:
    assert messages("E11", "Z79.4") == [
        "E11 (Type 2 diabetes mellitus) is a header, not a billable code: choose a code below it, e.g. E11.9."
    ]


def test_a_fracture_code_without_its_seventh_character_is_refused() -> None:
    found = messages("S72.001")
    assert found == ["S72.001 needs a 7th character (A, B, C, D, E, F, G, H, J, K, M, N, P, Q, R, S), e.g. "
                     "S72.001A initial encounter for closed fracture."]
    assert check("S72.001A") == []


def test_a_seventh_character_without_its_placeholder_x_is_caught() -> None:
    assert messages("S01.01A") == ["S01.01A lacks its placeholder X before the 7th character: did you mean S01.01XA?"]


def test_type_1_and_type_2_diabetes_together_break_excludes1() -> None:
    found = validate(EncounterCodes.of(["E10.9", "E11.9"], service_date=SERVICE_DAY)).findings
    pair = [finding for finding in found if finding.edit == "excludes1"]
    assert len(pair) == 1
    assert pair[0].codes == ("E10.9", "E11.9")
    assert pair[0].severity == Severity.ERROR
    assert "may not be reported together" in pair[0].message


def test_excludes1_with_a_fifth_character_qualifier_only_catches_that_code() -> None:
    # G63 excludes "diabetes mellitus (E08-E13 with .42)": E11.42 clashes, E11.9 does not.
    assert ("excludes1", "E11.42") in check("E11.42", "G63", "Z79.4")
    assert "excludes1" not in [edit for edit, _ in check("E85.1", "E11.9", "G63", "Z79.4")]


def test_g63_first_listed_and_without_its_etiology_is_refused_twice() -> None:
    assert check("G63") == [("manifestation_first", "G63"), ("manifestation_without_etiology", "G63")]
    assert "amyloidosis (E85.-)" in messages("G63")[1]


def test_g63_after_amyloidosis_is_clean() -> None:
    assert check("E85.1", "G63") == []


def test_g63_after_an_unrelated_condition_is_flagged_for_a_second_look() -> None:
    assert check("I10", "G63") == [("manifestation_etiology_unnamed", "G63")]


def test_an_obstetric_code_on_a_male_patient_is_a_sex_conflict() -> None:
    found = validate(EncounterCodes.of(["O80", "Z37.0"], service_date=SERVICE_DAY, sex="M", age=30)).findings
    assert [(f.edit, f.codes) for f in found] == [("sex_conflict", ("O80",))]
    assert found[0].message.startswith("O80 is for female patients only; this patient is recorded as male")


def test_an_obstetric_code_outside_child_bearing_age_is_an_age_conflict() -> None:
    assert check("O80", "Z37.0", sex="F", age=61) == [("age_conflict", "O80")]


def test_a_newborn_code_on_an_adult_is_an_age_conflict() -> None:
    found = messages("P07.00", age=45)
    assert found == [
        "P07.00 is for age 0 (newborn); this patient is 45 (source: CMS Medicare Code Editor: newborn diagnoses "
        "(chapter 16, P00-P96) for age 0; the chapter's own note says they are for newborn records only)."
    ]
    assert check("P07.00", age=0) == []


def test_a_male_only_code_on_a_female_patient_is_a_sex_conflict() -> None:
    assert check("N40.0", sex="F") == [("sex_conflict", "N40.0")]


def test_a_code_listed_twice_is_a_duplicate() -> None:
    assert check("I10", "I10.") == [("duplicate", "I10")]


def test_inpatient_diagnoses_need_a_valid_present_on_admission_indicator() -> None:
    assert check("I10", "R07.9", "R50.9", inpatient=True, poa=["Y", "", "Q"]) == [
        ("poa_missing", "R07.9"), ("poa_invalid", "R50.9")]
    assert check("I10", "R07.9", inpatient=True, poa=["W", "U"]) == []


def test_poa_exempt_codes_take_no_indicator() -> None:
    assert check("E11.9", "Z79.4", inpatient=True, poa=["Y", ""]) == []
    assert check("E11.9", "Z79.4", inpatient=True, poa=["Y", "N"]) == [("poa_exempt", "Z79.4")]


def test_outpatient_encounters_carry_no_poa_edits() -> None:
    assert check("I10", "R07.9", poa=["Y", "N"]) == []


def test_an_uncertain_diagnosis_coded_on_an_outpatient_encounter_is_refused() -> None:
    encounter = EncounterCodes(
        (CodedDiagnosis("R07.9", source_text="chest pain"), CodedDiagnosis("I21.9", source_text="rule out MI")),
        service_date=SERVICE_DAY,
    )
    found = [finding for finding in validate(encounter).findings if finding.severity != Severity.REMINDER]
    assert [(f.edit, f.position) for f in found] == [("uncertain_outpatient", 1)]
    assert "'rule out MI' is an uncertain diagnosis ('rule out')" in found[0].message


@pytest.mark.parametrize("wording", ["probable pneumonia", "suspected pneumonia", "pneumonia?", "possible pneumonia"])
def test_uncertain_wording_is_recognised(wording: str) -> None:
    assert ("uncertain_outpatient", "J18.9") in check("J18.9", texts=[wording])


def test_an_uncertain_diagnosis_is_coded_as_established_on_an_inpatient_stay() -> None:
    assert "uncertain_outpatient" not in [edit for edit, _ in check("J18.9", texts=["probable pneumonia"],
                                                                    inpatient=True, poa=["Y"])]


def test_malformed_and_unknown_codes_are_named() -> None:
    assert messages("11E.9", "E11.999") == [
        "'11E.9' is not an ICD-10-CM code (a letter, then 2 characters, then up to 4 more).",
        "E11.999 is not in ICD-10-CM (ICD-10-CM FY2026 April update).",
    ]


def test_no_code_set_for_the_date_of_service_is_said_plainly() -> None:
    report = validate(EncounterCodes.of(["E11.9"], service_date=datetime.date(2025, 5, 1)))
    assert [f.message for f in report.findings] == ["No ICD-10-CM code set is loaded for 2025-05-01."]
    assert not report.clean


def test_a_code_that_came_in_with_a_later_edition_is_not_valid_before_it(tmp_path: Path) -> None:
    earlier = tmp_path / "icd10cm-tabular-October-1-2024.xml"
    earlier.write_text(
        "<ICD10CM.tabular><version>2025</version><chapter><name>4</name><desc>Endocrine</desc>"
        '<section id="E08-E13"><desc>Diabetes mellitus (E08-E13)</desc><diag><name>E11</name>'
        "<desc>Type 2 diabetes mellitus</desc><diag><name>E11.9</name><desc>Type 2 diabetes mellitus without "
        "complications</desc></diag></diag></section></chapter></ICD10CM.tabular>"
    )
    do_load_code_set("icd10cm", earlier, acting_user=None)
    report = validate(EncounterCodes.of(["E11.A"], service_date=datetime.date(2025, 6, 1)))
    assert [f.message for f in report.findings] == [
        "E11.A is not valid on 2025-06-01 (ICD-10-CM FY2025); it is in FY2026 April update, valid from 2026-04-01."
    ]
    later = validate(EncounterCodes.of(["E11.A"], service_date=SERVICE_DAY)).findings
    assert "not_valid_on_date" not in [finding.edit for finding in later]
