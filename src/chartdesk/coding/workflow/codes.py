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
NO_RELEASE_NEAREST = ("No {system} release covering {day} is loaded. The nearest loaded is {label} ({span}): "
                      "load the release in effect, or choose to code against the nearest on the coding screen.")
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
        nearest = nearest_release(system, on)
        if nearest is not None:
            raise ChartdeskError(NO_RELEASE_NEAREST.format(system=label, day=on.isoformat(), label=nearest.label,
                                                           span=span_of(nearest)), field=field)
        raise ChartdeskError(NO_RELEASE.format(system=label, day=on.isoformat()), field=field)
    found = Code.objects.filter(release=release, code=code).first()
    if found is None:
        raise ChartdeskError(CODE_UNKNOWN.format(display=dotted(system, code), system=label, day=on.isoformat()),
                             field=field)
    if not found.billable:
        raise ChartdeskError(CODE_NOT_BILLABLE.format(display=found.display), field=field)
    return CheckedCode(system, code, found.display, found.title, poa_exempt=found.poa_exempt)


def nearest_release(system: str, on: datetime.date) -> CodeSetRelease | None:
    """The loaded release of `system` closest in time to `on` (the one in effect, if any)."""

    def days_away(release: CodeSetRelease) -> int:
        if on < release.effective_from:
            return (release.effective_from - on).days
        if release.effective_to is not None and on >= release.effective_to:
            return (on - release.effective_to).days + 1
        return 0

    return min(CodeSetRelease.objects.filter(system=system), key=days_away, default=None)


def span_of(release: CodeSetRelease) -> str:
    end = f" to {release.effective_to - datetime.timedelta(days=1)}" if release.effective_to else " on"
    return f"in effect from {release.effective_from}{end}"


def lookup_day(system: str, on: datetime.date, *, nearest: bool) -> datetime.date:
    """The day whose release checks codes of `system`: `on` itself, or, when the case chose the nearest
    release and none covers `on`, a day inside the nearest release."""
    if not nearest or system == CodeSystem.CPT or CodeSetRelease.objects.in_effect(system, on) is not None:
        return on
    release = nearest_release(system, on)
    if release is None:
        return on
    if on < release.effective_from:
        return release.effective_from
    return release.effective_to - datetime.timedelta(days=1) if release.effective_to else on


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
