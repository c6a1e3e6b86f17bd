"""Validation of FHIR R4 resources, in and out, with fhir.resources.

fhir.resources 8 ships R5 at its root and R4B (4.3.0) and STU3 as subpackages; it has no R4 (4.0.1)
package any more. R4B is R4 with a handful of resources added or changed (medication definitions,
subscriptions, evidence); the resources Chartdesk serves (Patient, Encounter, DocumentReference,
Binary, Condition, Procedure, Practitioner, Organization, Consent, Provenance, AuditEvent, Bundle,
OperationOutcome, CapabilityStatement) have the same elements in both, so we validate with the R4B
models and declare FHIR 4.0.1 in the CapabilityStatement. See docs/interop.md.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pydantic
from fhir.resources.R4B import get_fhir_model_class

FHIR_VERSION = "4.0.1"
GENDERS = ("male", "female", "other", "unknown")
# FHIR resources nest a dozen levels or so (a Questionnaire's items a few more); far deeper JSON is an
# attack on the parsers (Python's recursion limit), not a record.
MAX_DEPTH = 64
# FHIR integers are 32-bit and decimals keep 18 significant digits; a longer number is no FHIR value
# (and int() refuses more than 4,300 digits).
MAX_NUMBER_CHARS = 40


class FhirInvalid(Exception):
    """A resource that fails validation; `problems` are (element path, message) pairs; `status` is the
    HTTP answer (400, or 413 for a body over the size limit)."""

    def __init__(self, problems: list[tuple[str, str]], *, status: int = 400) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))
        self.problems = problems
        self.status = status


class UnreadableNumber(str):
    """A JSON number no FHIR element can hold (too long, infinite, NaN), kept as its text so that the
    resource around it can still be read, reported with the element's path and skipped alone."""


def _number(text: str, convert: Any) -> Any:
    if len(text) > MAX_NUMBER_CHARS:
        return UnreadableNumber(f"a number of {len(text)} characters")
    value = convert(text)
    return value if not isinstance(value, float) or math.isfinite(value) else UnreadableNumber(text)


def load_json(text: str | bytes) -> Any:
    """JSON as FHIR allows it: numbers no element can hold are UnreadableNumber (reported by
    `validate_resource` with their path). Raises ValueError (json.JSONDecodeError for syntax) with a
    message fit for a person, also for nesting too deep to parse at all."""
    try:
        return json.loads(text, parse_int=lambda raw: _number(raw, int), parse_float=lambda raw: _number(raw, float),
                          parse_constant=UnreadableNumber)
    except RecursionError:
        raise ValueError(f"nested too deeply (a resource may nest {MAX_DEPTH} levels)") from None


def _shape_problems(resource_type: str, resource: dict[str, Any]) -> list[tuple[str, str]]:
    """Nesting past MAX_DEPTH and unreadable numbers, found without recursion (the point is to stop
    input that would exhaust it); paths as element_path writes them."""
    problems: list[tuple[str, str]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(resource, ())]
    while stack:
        value, location = stack.pop()
        if len(location) > MAX_DEPTH:
            problems.append((element_path(resource_type, location[:MAX_DEPTH]),
                             f"nested more than {MAX_DEPTH} levels deep"))
            continue
        if isinstance(value, UnreadableNumber):
            problems.append((element_path(resource_type, location),
                             f"{value}: not a number a FHIR element can hold"))
        elif isinstance(value, dict):
            stack += [(item, (*location, key)) for key, item in reversed(value.items())]
        elif isinstance(value, list):
            stack += [(item, (*location, index)) for index, item in reversed(list(enumerate(value)))]
    return problems


def element_path(resource_type: str, location: tuple[Any, ...]) -> str:
    """('name', 0, 'family') -> 'Patient.name[0].family' (FHIRPath style, as OperationOutcome wants)."""
    path = resource_type
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif str(part) not in ("__root__",):
            path += f".{part}"
    return path


def _model_class(resource_type: Any) -> Any:
    if not isinstance(resource_type, str) or not resource_type.isalpha():
        raise FhirInvalid([("resourceType", "missing or not a FHIR resource type name")])
    try:
        return get_fhir_model_class(resource_type)
    except (KeyError, ValueError, ImportError, AttributeError):
        raise FhirInvalid([("resourceType", f"{resource_type!r} is not a FHIR R4 resource type")]) from None


def _extra_rules(resource: dict[str, Any]) -> list[tuple[str, str]]:
    """Required-binding codes the models leave as free strings."""
    problems = []
    gender = resource.get("gender")
    if resource.get("resourceType") in ("Patient", "Practitioner") and gender is not None and gender not in GENDERS:
        problems.append((f"{resource['resourceType']}.gender", f"{gender!r} is not one of {', '.join(GENDERS)}"))
    return problems


def validate_resource(resource: Any, *, expected_type: str | None = None) -> Any:
    """The validated fhir.resources model of a JSON resource, or FhirInvalid naming each element."""
    if not isinstance(resource, dict):
        raise FhirInvalid([("(root)", "a resource must be a JSON object")])
    resource_type = resource.get("resourceType")
    if expected_type is not None and resource_type != expected_type:
        raise FhirInvalid([("resourceType", f"expected {expected_type}, got {resource_type!r}")])
    model = _model_class(resource_type)
    problems = _shape_problems(str(resource_type), resource)
    if problems:
        raise FhirInvalid(problems[:20])
    try:
        validated = model.model_validate(resource)
    except pydantic.ValidationError as invalid:
        raise FhirInvalid([(element_path(str(resource_type), tuple(error["loc"])), error["msg"])
                           for error in invalid.errors()]) from None
    except (ValueError, TypeError, RecursionError) as invalid:
        raise FhirInvalid([(str(resource_type), str(invalid))]) from None
    problems = _extra_rules(resource)
    if problems:
        raise FhirInvalid(problems)
    return validated


def checked_json(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource we produce, validated before it leaves; returned unchanged.

    An invalid resource of ours is a bug, so this raises (500 and a log entry), never sends it.
    """
    validate_resource(resource)
    return resource


def operation_outcome(problems: list[tuple[str, str]], *, code: str = "invalid", severity: str = "error"
                      ) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": severity, "code": code, "diagnostics": message,
             **({"expression": [path]} if path else {})}
            for path, message in problems
        ],
    }
