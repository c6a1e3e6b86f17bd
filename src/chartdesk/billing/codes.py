"""Syntax of the code sets a claim carries: ICD-10-CM, CPT, HCPCS Level II and modifiers.

Only the shape is checked here (whether a code exists in this year's code set is the coding
validator's business, see scrubber.coding_validator_findings).
"""

from __future__ import annotations

import re

ICD10CM = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")
CPT = re.compile(r"^[0-9]{4}[0-9FTU]$")  # Category I, II (…F), III (…T) and PLA (…U)
HCPCS = re.compile(r"^[A-V][0-9]{4}$")
MODIFIER = re.compile(r"^[A-Z0-9]{2}$")


def normal_diagnosis(code: str) -> str:
    """The claim form of an ICD-10-CM code: upper case, no dot (837P HI and box 21 carry no dot)."""
    return code.strip().upper().replace(".", "")


def dotted_diagnosis(code: str) -> str:
    bare = normal_diagnosis(code)
    return bare if len(bare) <= 3 else f"{bare[:3]}.{bare[3:]}"


def is_icd10cm(code: str) -> bool:
    return bool(ICD10CM.match(code.strip().upper()))


def procedure_system(code: str) -> str | None:
    """'CPT' or 'HCPCS' for a well-formed procedure code, None otherwise."""
    value = code.strip().upper()
    if CPT.match(value):
        return "CPT"
    if HCPCS.match(value):
        return "HCPCS"
    return None


def is_modifier(value: str) -> bool:
    return bool(MODIFIER.match(value))
