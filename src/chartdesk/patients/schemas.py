"""Typed inputs to the MPI actions, shared by the desk forms, the API and importers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class AddressInput:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str = ""
    use: str = "home"
    country: str = "US"


@dataclass(frozen=True)
class IdentifierInput:
    type: str  # patients.models.IdentifierType
    issuer: str
    value: str


@dataclass(frozen=True)
class ContactInput:
    role: str  # patients.models.ContactRole
    name: str
    relationship: str = ""
    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class NameInput:
    family_name: str
    given_name: str = ""
    middle_name: str = ""
    use: str = "alias"  # patients.models.NameUse


@dataclass(frozen=True)
class PatientRegistration:
    given_name: str
    family_name: str
    birth_date: date | None  # None only where allow_incomplete registers a legacy record
    sex: str  # patients.models.Sex
    birth_date_partial: str = ""  # "1975" or "1975-03" when only part of the date is known
    middle_name: str = ""
    prefix: str = ""
    suffix: str = ""
    preferred_name: str = ""
    gender_identity: str = ""
    preferred_language: str = "English"
    race: str = ""
    ethnicity: str = ""
    marital_status: str = ""
    primary_care_provider: str = ""
    email: str = ""
    ssn: str = ""
    deceased_at: datetime | None = None
    phones: tuple[tuple[str, str], ...] = ()  # (use, number)
    addresses: tuple[AddressInput, ...] = ()
    identifiers: tuple[IdentifierInput, ...] = ()
    other_names: tuple[NameInput, ...] = field(default=())
