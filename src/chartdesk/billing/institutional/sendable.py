"""Can the 837I carry it? The values of an institutional claim checked against what 005010X223A3 and the
NUBC code lists allow, on the same snapshot the writer writes from (the parties' checks are shared with
the 837P in x12/sendable.py). The scrubber turns each problem into a finding with the fix named."""

from __future__ import annotations

import re
from datetime import date

from chartdesk.billing.x12.sendable import Problem, party_problems, provider_problems
from chartdesk.billing.x12.writer837i import InstitutionalClaimData

ADMISSION_TYPES = frozenset("123459")
ADMISSION_SOURCES = frozenset("12456789DEFG")
# NUBC patient discharge status codes (UB-04 form locator 17)
PATIENT_STATUSES = frozenset({
    "01", "02", "03", "04", "05", "06", "07", "09", "20", "21", "30", "40", "41", "42", "43", "50", "51", "61",
    "62", "63", "64", "65", "66", "69", "70", "81", "82", "83", "84", "85", "86", "87", "88", "89", "90", "91",
    "92", "93", "94", "95",
})
FREQUENCIES = frozenset("012345789")  # 6 (adjustment of a prior claim) is retired
POA_FLAGS = frozenset({"Y", "N", "U", "W", "1", ""})
MAX_OTHER_DIAGNOSES = 24  # two HI segments of twelve
MAX_LINES = 999
_FACILITY = re.compile(r"[1-8][1-9]")
_REVENUE = re.compile(r"\d{4}")
_HCPCS = re.compile(r"[A-Z0-9]{5}")
_PCS = re.compile(r"[0-9A-HJ-NP-Z]{7}")
_ICD10CM = re.compile(r"[A-Z][0-9][0-9A-Z]{1,5}")
_DRG = re.compile(r"\d{3}")


def _stay_problems(claim: InstitutionalClaimData) -> list[Problem]:
    found: list[Problem] = []
    if not _FACILITY.fullmatch(claim.facility_type) or claim.frequency not in FREQUENCIES:
        found.append(Problem("x12_bill_type", f"Bill type {claim.bill_type!r} is not a UB-04 type of bill "
                                              f"(facility, classification, frequency): correct the claim."))
    if claim.frequency in ("7", "8") and not claim.payer_claim_number:
        found.append(Problem("x12_original_claim", "A replacement or void needs the payer's claim number of the "
                                                   "claim it corrects (REF*F8): give it on the claim."))
    if claim.patient_status not in PATIENT_STATUSES:
        found.append(Problem("x12_patient_status", f"Patient status {claim.patient_status!r} is not a NUBC "
                                                   f"discharge status: correct it on the inpatient abstract."))
    if claim.statement_to < claim.statement_from:
        found.append(Problem("x12_date", "The statement period ends before it starts: correct the encounter's "
                                         "dates."))
    if claim.inpatient:
        if claim.admission is None:
            found.append(Problem("x12_admission", "An inpatient claim needs the admission date and hour."))
        if claim.admission_type not in ADMISSION_TYPES:
            found.append(Problem("x12_admission_type", f"Admission type {claim.admission_type!r} cannot be sent "
                                                       f"(CL101): record it on the inpatient abstract."))
        if claim.admission_source not in ADMISSION_SOURCES:
            found.append(Problem("x12_admission_source", f"Point of origin {claim.admission_source!r} cannot be "
                                                         f"sent (CL102): record it on the inpatient abstract."))
        if claim.attending is None:
            found.append(Problem("x12_attending", "An institutional claim needs the attending physician (loop "
                                                  "2310A): add the attending to the encounter's care team."))
    return found


def _code_problems(claim: InstitutionalClaimData) -> list[Problem]:
    found: list[Problem] = []
    diagnoses = [claim.principal_diagnosis, *claim.other_diagnoses]
    if not claim.principal_diagnosis.code:
        found.append(Problem("no_diagnosis", "The claim has no principal diagnosis."))
    if len(claim.other_diagnoses) > MAX_OTHER_DIAGNOSES:
        found.append(Problem("too_many_diagnoses", f"An 837I carries the principal and {MAX_OTHER_DIAGNOSES} other "
                                                   f"diagnoses; this claim has {len(diagnoses)}."))
    for diagnosis in diagnoses:
        if diagnosis.code and not _ICD10CM.fullmatch(diagnosis.code):
            found.append(Problem("x12_diagnosis", f"{diagnosis.code!r} is not an ICD-10-CM code."))
        if diagnosis.poa not in POA_FLAGS:
            found.append(Problem("x12_poa", f"Present-on-admission {diagnosis.poa!r} for {diagnosis.code} must be "
                                            f"Y, N, U, W or 1: correct it on the coding screen."))
    for procedure in claim.procedures:
        if not _PCS.fullmatch(procedure.code):
            found.append(Problem("x12_procedure", f"{procedure.code!r} is not a seven-character ICD-10-PCS code."))
    if claim.drg and not _DRG.fullmatch(claim.drg):
        found.append(Problem("x12_drg", f"MS-DRG {claim.drg!r} must be three digits."))
    return found


def institutional_problems(claim: InstitutionalClaimData, *, today: date) -> list[Problem]:
    """Every value of `claim` that the 837I writer would send and the guide does not allow."""
    first_service = min((line.service_date for line in claim.lines if line.service_date), default=None)
    found = party_problems(claim, first_service or claim.statement_from, "837I")
    found += _stay_problems(claim)
    found += _code_problems(claim)
    found += provider_problems("attending physician", claim.attending)
    found += provider_problems("operating physician", claim.operating)
    if not claim.lines:
        found.append(Problem("no_lines", "The claim has no service lines."))
    if len(claim.lines) > MAX_LINES:
        found.append(Problem("too_many_lines", f"An 837I carries at most {MAX_LINES} lines; this one has "
                                               f"{len(claim.lines)}: split it."))
    for number, line in enumerate(claim.lines, start=1):
        if not _REVENUE.fullmatch(line.revenue_code):
            found.append(Problem("x12_revenue_code", f"Revenue code {line.revenue_code!r} must be four digits: "
                                                     f"correct the chargemaster line.", number))
        if line.hcpcs and not _HCPCS.fullmatch(line.hcpcs):
            found.append(Problem("x12_hcpcs", f"{line.hcpcs!r} is not a HCPCS/CPT code.", number))
        if line.service_date is not None and line.service_date > today:
            found.append(Problem("x12_date", f"The service date {line.service_date:%Y-%m-%d} is in the future: "
                                             f"a claim bills services already given.", number))
    return found
