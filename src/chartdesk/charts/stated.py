"""What each encounter's source said about the person, kept as it came (the evidence for overlays).

Every feed that opens or updates a visit calls `do_record_stated_demographics` in its own
transaction: HL7 ADT (the PID of the A01/A04/A08), the FHIR import (the Patient beside the
Encounter), the registration desk (the chart as the registrar confirmed it) and the CSV import.
The statement is then checked for an overlay at once (charts.overlays.do_check_overlay).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction

from chartdesk.audit.models import AuditAction
from chartdesk.charts.actions import _audit
from chartdesk.charts.models import DemographicsSource, Encounter, OverlayCase, StatedDemographics
from chartdesk.core.crypto import keyed_digest
from chartdesk.patients.models import Patient
from chartdesk.patients.validation import InvalidField, clean_ssn


@dataclass(frozen=True)
class StatedPerson:
    """The person as a source stated them. `ssn` in clear here only: kept as digest and last four."""

    given_name: str = ""
    family_name: str = ""
    birth_date: date | None = None
    sex: str = ""
    ssn: str = ""
    identifiers: tuple[tuple[str, str, str], ...] = field(default=())  # (type, issuer, value)

    @classmethod
    def of_chart(cls, patient: Patient) -> StatedPerson:
        """The chart as it is now, for the desk: what the registrar confirmed when opening the visit."""
        return cls(given_name=patient.given_name, family_name=patient.family_name, birth_date=patient.birth_date,
                   sex=patient.sex)

    @classmethod
    def of_registration(cls, registration: Any, identifiers: Iterable[Any] = ()) -> StatedPerson:
        """A patients.schemas.PatientRegistration (built from a PID, a FHIR Patient or a CSV row)."""
        return cls(given_name=registration.given_name, family_name=registration.family_name,
                   birth_date=registration.birth_date, sex=registration.sex, ssn=registration.ssn,
                   identifiers=tuple((i.type, i.issuer, i.value) for i in identifiers))


def _ssn_parts(ssn: str) -> tuple[str, str]:
    if not ssn.strip():
        return "", ""
    try:
        digits = clean_ssn(ssn)
    except InvalidField:
        return "", ""  # a malformed SSN is no evidence (the registration refused or left it out already)
    return keyed_digest(digits), digits[-4:]


@transaction.atomic
def do_record_stated_demographics(encounter: Encounter, person: StatedPerson, *, source: str, reference: str,
                                  acting_user: Any) -> tuple[StatedDemographics, OverlayCase | None]:
    """Keep what this encounter's source stated, and check the chart for an overlay at once.

    Called by the feeds and the desk right after they opened or updated the visit, in the same
    transaction (their permission checks have run). Returns the statement and the chart's overlay
    case when it is to review (a new conflict puts the chart on the list at once)."""
    from chartdesk.charts.overlays import do_check_overlay

    if source not in DemographicsSource.values:
        raise ValueError(f"unknown demographics source {source!r}")
    digest, last4 = _ssn_parts(person.ssn)
    stated = StatedDemographics.objects.create(
        encounter=encounter, source=source, reference=reference[:200], given_name=person.given_name[:80],
        family_name=person.family_name[:80], birth_date=person.birth_date, sex=(person.sex or "")[:1],
        ssn_digest=digest, ssn_last4=last4,
        identifiers=[{"type": kind, "issuer": issuer, "value": value} for kind, issuer, value in person.identifiers])
    _audit(AuditAction.CREATE, acting_user, encounter.patient, "stated_demographics", stated.pk,
           encounter=encounter.account_number, source=source)
    case = do_check_overlay(encounter.patient, acting_user=acting_user, trigger=f"intake:{source}")
    return stated, case


@transaction.atomic
def do_open_desk_encounter(patient: Patient, *, acting_user: Any, **opening: Any) -> Encounter:
    """The registration desk opens a visit (charts.actions.do_open_encounter) and keeps the chart's
    demographics as the registrar confirmed them for it, in one transaction."""
    from chartdesk.charts.actions import do_open_encounter

    encounter = do_open_encounter(patient, acting_user=acting_user, **opening)
    do_record_stated_demographics(encounter, StatedPerson.of_chart(patient), source=DemographicsSource.DESK,
                                  reference="registration desk", acting_user=acting_user)
    return encounter
