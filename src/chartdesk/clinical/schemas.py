"""Typed inputs to the clinical actions, shared by the FHIR API and the importers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CodedInput:
    code_system: str  # clinical.models.CodeSystem
    code: str
    display: str
    code_system_uri: str = ""


@dataclass(frozen=True)
class ConditionInput:
    coded: CodedInput
    category: str = "encounter-diagnosis"
    clinical_status: str = "active"
    verification_status: str = "confirmed"
    onset_at: datetime | None = None
    abatement_at: datetime | None = None
    recorded_at: datetime | None = None
    encounter: Any = None
    recorder: Any = None
    source: str = ""


@dataclass(frozen=True)
class ProcedureInput:
    coded: CodedInput
    status: str = "completed"
    performed_start: datetime | None = None
    performed_end: datetime | None = None
    encounter: Any = None
    recorder: Any = None
    source: str = ""


@dataclass(frozen=True)
class OrganizationInput:
    name: str
    npi: str = ""
    kind: str = ""
    phone: str = ""
    line1: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""


@dataclass(frozen=True)
class ClinicianInput:
    given_name: str
    family_name: str
    npi: str = ""
    credentials: str = ""
    specialty: str = ""
