"""MS-DRG grouping against answers established from CMS's v43 definitions (no database needed).

Each case's answer follows from the MS-DRG Definitions Manual: the principal diagnosis's MDC, the
CC/MCC lists and CC exclusions (Appendix C), the HAC list, the O.R. procedure tables and Table 5.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from chartdesk.coding.drg.grouper import (
    AbstractDiagnosis,
    AbstractProcedure,
    DrgInputError,
    InpatientAbstract,
    group,
    version_for,
)
from chartdesk.coding.drg.mce import mce_findings

SPRING_2026 = datetime.date(2026, 5, 4)  # v43.1, FY2026: Table 5 of FY2026 applies as is


def stay(dx, poa=None, pcs=(), *, age=70, sex="F", status="01", day=SPRING_2026):
    poa = poa or "Y" * len(dx)
    return InpatientAbstract(tuple(AbstractDiagnosis(code, mark) for code, mark in zip(dx, poa, strict=True)),
                             tuple(AbstractProcedure(code) for code in pcs), age, sex, status, day)


def test_heart_failure_splits_by_mcc_and_cc():
    alone, with_cc, with_mcc = (group(stay(dx)) for dx in (
        ["I50.23"], ["I50.23", "N17.9"], ["I50.23", "J96.01", "N17.9"]))
    assert (alone.drg, alone.cc_mcc, alone.mdc) == ("293", "", "05")
    assert (with_cc.drg, with_cc.cc_mcc, with_cc.cc_mcc_code) == ("292", "CC", "N179")
    assert (with_mcc.drg, with_mcc.cc_mcc, with_mcc.cc_mcc_code) == ("291", "MCC", "J9601")
    assert (with_mcc.weight.weight, with_mcc.weight.gmlos) == (Decimal("1.2838"), Decimal("3.8"))
    assert with_mcc.version_label == "v43.1" and not with_mcc.weight.nearest


def test_a_cc_excluded_by_the_principal_diagnosis_does_not_count():
    result = group(stay(["I50.23", "I50.22"]))
    assert (result.drg, result.cc_mcc) == ("293", "")
    (chronic,) = [role for role in result.diagnoses if role.code == "I5022"]
    assert (chronic.severity, chronic.effect) == ("CC", "excluded")


def test_a_hospital_acquired_pressure_ulcer_loses_its_mcc_when_not_present_on_admission():
    present = group(stay(["J18.9", "L89.153"], "YY"))
    acquired = group(stay(["J18.9", "L89.153"], "YN"))
    assert (present.drg, present.cc_mcc, present.cc_mcc_code) == ("193", "MCC", "L89153")
    assert (acquired.drg, acquired.cc_mcc) == ("195", "")
    (ulcer,) = [role for role in acquired.diagnoses if role.code == "L89153"]
    assert ulcer.effect == "hac" and "Pressure Ulcers" in ulcer.note


def test_an_or_procedure_makes_the_stay_surgical():
    medical = group(stay(["M16.11"]))
    surgical = group(stay(["M16.11"], pcs=["0SR9019"]))
    assert (medical.drg, medical.weight.kind) == ("554", "MED")
    assert (surgical.drg, surgical.mdc, surgical.weight.kind) == ("470", "08", "SURG")


def test_a_cc_on_a_drg_that_splits_only_by_mcc_is_named_but_does_not_drive_it():
    result = group(stay(["M16.11", "N17.9"], pcs=["0SR9019"]))
    assert (result.drg, result.cc_mcc, result.cc_mcc_code) == ("470", "", "")
    (kidney,) = [role for role in result.diagnoses if role.code == "N179"]
    assert (kidney.severity, kidney.effect) == ("CC", "counts") and "does not split" in kidney.note
    with_mcc = group(stay(["M16.11", "J96.01"], pcs=["0SR9019"]))
    assert (with_mcc.drg, with_mcc.cc_mcc, with_mcc.cc_mcc_code) == ("469", "MCC", "J9601")


def test_transplant_and_tracheostomy_group_pre_mdc():
    transplant = group(stay(["I50.23"], pcs=["02YA0Z0"]))
    trach = group(stay(["J96.01"], pcs=["0B110F4", "5A1955Z"]))
    assert (transplant.drg, transplant.mdc) == ("002", "PRE")
    assert (trach.drg, trach.mdc) == ("004", "PRE")


def test_the_version_follows_the_discharge_date_and_other_years_use_the_nearest_table():
    assert version_for(datetime.date(2025, 9, 30)) == 421
    assert version_for(datetime.date(2026, 10, 1)) == 440
    later = group(stay(["I50.23"], day=datetime.date(2026, 12, 1)))
    assert later.version_label == "v44.0" and later.weight.nearest and later.weight.fiscal_year == 2026
    assert later.as_json()["weight_table"] == "FY2026 (nearest)"
    with pytest.raises(DrgInputError, match="before 2022-10-01"):
        group(stay(["I50.23"], day=datetime.date(2021, 1, 1)))


@pytest.mark.parametrize(("abstract", "message"), [
    (stay([]), "principal diagnosis"),
    (stay(["150.23"]), "Diagnosis 1 '150.23' is not an ICD-10-CM code"),
    (stay(["I50.23", "N17.9"], "YX"), "POA indicator 'X' of diagnosis 2"),
    (stay(["I50.23"], pcs=["0SR901"]), "Procedure 1 '0SR901'"),
    (stay(["I50.23"], age=130), "Age must be"),
    (stay(["I50.23"], sex="X"), "Sex must be M, F or U"),
    (stay(["I50.23"], status="1"), "Discharge status must be the two-digit"),
])
def test_bad_abstracts_are_refused_naming_the_field(abstract, message):
    with pytest.raises(DrgInputError, match=message):
        group(abstract)


def test_the_medicare_code_editor_names_the_code_for_age_sex_and_manifestation_edits():
    assert [(f.edit, f.code) for f in mce_findings(stay(["G63", "E11.42"]))] == [("MANIFESTATION_AS_PDX", "G63")]
    assert [(f.edit, f.code) for f in mce_findings(stay(["O80"], age=70))] == [("AGE_CONFLICT", "O80")]
    # CMS retired the MCE sex conflict edit from FY2025 (MCE v42); discharges before still get it.
    fy2024 = datetime.date(2024, 3, 1)
    sex = mce_findings(stay(["J18.9", "C61"], sex="F", day=fy2024))
    assert [(f.edit, f.code) for f in sex] == [("SEX_CONFLICT", "C61")] and sex[0].blocking
    assert mce_findings(stay(["J18.9", "C61"], sex="F")) == []
    assert mce_findings(stay(["I50.23", "N17.9"])) == []
