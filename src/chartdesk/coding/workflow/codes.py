"""Checking a code the coder typed against the code set in effect on the date of service.

Until the coding engineer's validator lands this is the workflow's own floor: the code must have
the right shape and, for ICD-10-CM, ICD-10-PCS and HCPCS, be a billable code of the release in
effect on the day. CPT is licensed and often not loaded: when no CPT release covers the day, a
well-formed CPT code is accepted on its shape alone (and the coding screen says so).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from chartdesk.coding.models import Code, CodeSetRelease, CodeSystem
from chartdesk.core.errors import ChartdeskError

SHAPES = {
    CodeSystem.ICD10CM: re.compile(r"^[A-Z][0-9][0-9A-Z]{1,5}$"),
    CodeSystem.ICD10PCS: re.compile(r"^[0-9A-HJ-NP-Z]{7}$"),
    CodeSystem.HCPCS: re.compile(r"^[A-V][0-9]{4}$"),
    CodeSystem.CPT: re.compile(r"^[0-9]{4}[0-9FTU]$"),
}
MODIFIER_SHAPE = re.compile(r"^[0-9A-Z]{2}$")

CODE_REQUIRED = "Give the {system} code."
CODE_MALFORMED = "'{code}' does not have the shape of {system} codes."
NO_RELEASE = "No {system} release covering {day} is loaded; load the code set before coding this encounter."
CODE_UNKNOWN = "{display} is not in the {system} release in effect on {day}."
CODE_NOT_BILLABLE = "{display} is a header, not a billable code: choose a more specific code below it."
MODIFIER_MALFORMED = "Modifier '{modifier}' must be two letters or digits."
TOO_MANY_MODIFIERS = "At most four modifiers per procedure line."


@dataclass(frozen=True)
class CheckedCode:
    system: str
    code: str
    display: str
    title: str
    poa_exempt: bool = False
    shape_only: bool = False  # CPT with no release loaded: checked for shape only


def normalized(code: str) -> str:
    return (code or "").strip().upper().replace(".", "")


def dotted(system: str, code: str) -> str:
    if system == CodeSystem.ICD10CM and len(code) > 3:
        return f"{code[:3]}.{code[3:]}"
    return code


def check_code(system: str, raw: str, on: datetime.date, *, field: str = "code") -> CheckedCode:
    """The code, if it is a billable code of `system` in the release in effect on `on`; else ChartdeskError."""
    label = CodeSystem(system).label
    code = normalized(raw)
    if not code:
        raise ChartdeskError(CODE_REQUIRED.format(system=label), field=field)
    if not SHAPES[CodeSystem(system)].match(code):
        raise ChartdeskError(CODE_MALFORMED.format(code=raw.strip(), system=label), field=field)
    release = CodeSetRelease.objects.in_effect(system, on)
    if release is None:
        if system == CodeSystem.CPT:
            return CheckedCode(system, code, code, "", shape_only=True)
        raise ChartdeskError(NO_RELEASE.format(system=label, day=on.isoformat()), field=field)
    found = Code.objects.filter(release=release, code=code).first()
    if found is None:
        raise ChartdeskError(CODE_UNKNOWN.format(display=dotted(system, code), system=label, day=on.isoformat()),
                             field=field)
    if not found.billable:
        raise ChartdeskError(CODE_NOT_BILLABLE.format(display=found.display), field=field)
    return CheckedCode(system, code, found.display, found.title, poa_exempt=found.poa_exempt)


def check_modifiers(raw: str | list[str]) -> list[str]:
    parts = raw if isinstance(raw, list) else re.split(r"[\s,]+", raw or "")
    modifiers = [part.strip().upper() for part in parts if part.strip()]
    if len(modifiers) > 4:
        raise ChartdeskError(TOO_MANY_MODIFIERS, field="modifiers")
    for modifier in modifiers:
        if not MODIFIER_SHAPE.match(modifier):
            raise ChartdeskError(MODIFIER_MALFORMED.format(modifier=modifier), field="modifiers")
    return modifiers


def titles_for(system: str, codes: list[str], on: datetime.date) -> dict[str, tuple[str, str]]:
    """{code: (display, title)} for the codes found in the release in effect on `on` (one query)."""
    release = CodeSetRelease.objects.in_effect(system, on)
    if release is None or not codes:
        return {}
    rows = Code.objects.filter(release=release, code__in=codes).values_list("code", "display", "title")
    return {code: (display, title) for code, display, title in rows}
