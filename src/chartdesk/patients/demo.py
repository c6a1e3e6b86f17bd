"""The demo's patients: registered first, restricted last (stages of `chartdesk demo-data`).

Restriction comes after the charts are written: a restricted chart refuses writes from anyone
without a grant, the way a chart flagged after years of care keeps the care it already had.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from chartdesk.core.demo.load import DemoRun
from chartdesk.core.demo.plan import PatientPlan
from chartdesk.core.demo.story import step
from chartdesk.patients.actions import do_register_patient, do_set_restriction
from chartdesk.patients.schemas import AddressInput, IdentifierInput, PatientRegistration

REGISTERED_BEFORE_THE_VISIT = timedelta(minutes=30)


def register_demo_patients(run: DemoRun) -> None:
    """Each patient registered (in plan order, so MRNs follow it) shortly before their first visit."""
    for person in run.plan.patients:
        first_visit = min((stay.admit_at for stay in person.encounters), default=timezone.now())
        with step(first_visit - REGISTERED_BEFORE_THE_VISIT):
            run.patients[person.key] = _register(person, run.staff)
        run.result.patients += 1


def restrict_demo_patients(run: DemoRun) -> None:
    for person in run.plan.patients:
        if person.restriction:
            patient = run.patients[person.key]
            _restrict(patient, person, run.staff)
            run.result.restricted.append((patient.mrn, person.restriction))


def _register(person: PatientPlan, staff: dict[str, Any]) -> Any:
    line1, city, state, postal_code = person.address
    registration = PatientRegistration(
        given_name=person.given_name,
        family_name=person.family_name,
        middle_name=person.middle_name,
        birth_date=person.birth_date,
        sex=person.sex,
        preferred_language=person.preferred_language,
        email=person.email,
        phones=person.phones,
        addresses=(AddressInput(line1=line1, city=city, state=state, postal_code=postal_code),),
        identifiers=tuple(IdentifierInput(type=kind, issuer=issuer, value=value)
                          for kind, issuer, value in person.identifiers),
    )
    return do_register_patient(registration, acting_user=staff["registrar"])


def _restrict(patient: Any, person: PatientPlan, staff: dict[str, Any]) -> None:
    do_set_restriction(
        patient, restriction=person.restriction, note=person.restriction_note, acting_user=staff["privacy_officer"]
    )
