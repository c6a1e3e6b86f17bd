"""Loading a demo plan through the real actions, exactly as the desk would write it.

Everything goes through the apps' actions (registration, encounters, notes, signatures, corrections,
retraction), so the demo database has the same audit trail and invariants as a real one. The whole
load is one transaction: with synchronous=FULL every commit waits for the disk, and a half-loaded
demo is worth less than none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from chartdesk.core.context import acting_as
from chartdesk.core.demo.plan import DemoPlan, DocumentPlan, EncounterPlan, PatientPlan

DEMO_PASSWORD = "chartdesk-demo"  # printed by `chartdesk demo-logins`; demo mode only


@dataclass
class DemoResult:
    patients: int = 0
    encounters: int = 0
    documents: int = 0
    signed: int = 0
    corrected: int = 0
    addenda: int = 0
    retracted: int = 0
    coded_for_billing: int = 0  # recent visits coded through the coding workflow, ready to bill
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, original MRN, duplicate MRN)
    restricted: list[tuple[str, str]] = field(default_factory=list)  # (MRN, restriction)
    users: list[str] = field(default_factory=list)


def load_demo(plan: DemoPlan, *, password: str = DEMO_PASSWORD) -> DemoResult:
    """Create the demo users, providers, patients, encounters and documents of `plan`."""
    result = DemoResult()
    with transaction.atomic(), acting_as(channel="cli"):
        staff = _create_role_users(plan, password, result)
        providers = _create_providers(plan, staff, result)
        registered: dict[int, Any] = {}
        for person in plan.patients:
            patient = _register(person, staff)
            registered[person.key] = patient
            result.patients += 1
            for stay in person.encounters:
                _load_encounter(patient, stay, providers, staff, result)
            # Restricted last: a restricted chart refuses writes from anyone without a grant, the way
            # a chart flagged after years of care keeps the care it already had.
            if person.restriction:
                _restrict(patient, person, staff)
                result.restricted.append((patient.mrn, person.restriction))
        from chartdesk.disclosures.demo import load_disclosures_demo  # the ROI area's own demo records

        load_disclosures_demo(list(registered.values()), staff)
        queue = _coding_demo(staff)
        from chartdesk.billing.demo import load_billing_demo  # billing set-up; recent visits coded for billing

        result.coded_for_billing = load_billing_demo(staff, seed=plan.seed, leave_alone=queue).ready_to_bill
        from chartdesk.filing.demo import load_records_demo  # paper charts, pick list, an overdue loan

        load_records_demo(staff, list(registered.values()))
        from chartdesk.schedule.demo import load_schedule_demo  # the coming days' appointments (and pick list)

        load_schedule_demo(staff, list(registered.values()))
        for person in plan.patients:
            if person.duplicate_of is not None:
                result.duplicates.append(
                    (person.duplicate_kind, registered[person.duplicate_of].mrn, registered[person.key].mrn)
                )
    return result


def _coding_demo(staff: dict[str, Any]) -> list[Any]:
    from chartdesk.coding.workflow.demo import load_coding_demo

    return load_coding_demo(staff)


def _create_role_users(plan: DemoPlan, password: str, result: DemoResult) -> dict[str, Any]:
    """One user per role, named by the role's slug; the `provider` user is the plan's first clinician."""
    from chartdesk.accounts.actions import NewProvider, do_create_user
    from chartdesk.accounts.roles import ROLES, role_label

    staff: dict[str, Any] = {}
    # The administrator comes first: it creates everyone else, as it would on a real site.
    ordered = sorted(ROLES, key=lambda role: role.slug != "administrator")
    for role in ordered:
        full_name, provider = f"Demo {role_label(role.slug)}", None
        if role.slug == "provider":
            clinician = plan.providers[0]
            full_name = f"{clinician.given_name} {clinician.family_name}"
            provider = NewProvider(clinician.npi, clinician.credentials, clinician.specialty)
        staff[role.slug] = do_create_user(
            role.slug,
            role=role.slug,
            password=password,
            acting_user=staff.get("administrator"),
            full_name=full_name,
            email=f"{role.slug}@example.org",
            provider=provider,
        )
        result.users.append(role.slug)
    return staff


def _create_providers(plan: DemoPlan, staff: dict[str, Any], result: DemoResult) -> list[tuple[Any, Any]]:
    """The clinicians and their log-ins (each signs their own notes); the first is the demo `provider`."""
    from chartdesk.accounts.actions import NewProvider, do_create_user

    first = staff["provider"]
    providers = [(first.provider, first)]
    for planned in plan.providers[1:]:
        # No usable password: these accounts exist so each clinician signs their own notes, and
        # only the role users are for logging in (hashing a password costs half a second each).
        user = do_create_user(
            planned.username,
            role="provider",
            password=None,
            acting_user=staff["administrator"],
            full_name=f"{planned.given_name} {planned.family_name}",
            provider=NewProvider(planned.npi, planned.credentials, planned.specialty),
        )
        result.users.append(planned.username)
        providers.append((user.provider, user))
    return providers


def _register(person: PatientPlan, staff: dict[str, Any]) -> Any:
    from chartdesk.patients.actions import do_register_patient
    from chartdesk.patients.schemas import AddressInput, IdentifierInput, PatientRegistration

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
    from chartdesk.patients.actions import do_set_restriction

    do_set_restriction(
        patient, restriction=person.restriction, note=person.restriction_note, acting_user=staff["privacy_officer"]
    )


def _load_encounter(
    patient: Any, stay: EncounterPlan, providers: list[tuple[Any, Any]], staff: dict[str, Any], result: DemoResult
) -> None:
    from chartdesk.charts.actions import do_discharge_encounter, do_finish_encounter, do_open_encounter

    encounter = do_open_encounter(
        patient,
        encounter_class=stay.encounter_class,
        admit_at=stay.admit_at,
        acting_user=staff["registrar"],
        attending=providers[stay.attending][0],
        service=stay.service,
        location=stay.location,
        reason=stay.reason,
    )
    result.encounters += 1
    for planned in stay.documents:
        _load_document(patient, encounter, planned, providers, staff, result)
    if stay.discharge_at is None:
        return
    if stay.encounter_class == "outpatient":
        do_finish_encounter(encounter, acting_user=staff["registrar"])
    else:
        do_discharge_encounter(
            encounter, discharge_at=stay.discharge_at, disposition=stay.disposition, acting_user=staff["registrar"]
        )


def _load_document(
    patient: Any,
    encounter: Any,
    planned: DocumentPlan,
    providers: list[tuple[Any, Any]],
    staff: dict[str, Any],
    result: DemoResult,
) -> None:
    from chartdesk.charts.actions import (
        do_add_addendum,
        do_correct_document,
        do_create_note,
        do_retract_document,
        do_sign_document,
    )

    author, author_user = providers[planned.author]
    document = do_create_note(
        patient,
        document_type=planned.document_type,
        title=planned.title,
        text=planned.text,
        service_date=planned.service_date,
        acting_user=author_user,
        encounter=encounter,
        author=author,
    )
    result.documents += 1
    if not planned.sign:
        return
    document = do_sign_document(document, acting_user=author_user)
    result.signed += 1
    if planned.correction is not None:
        reason, text = planned.correction
        document.refresh_from_db()
        document = do_correct_document(
            document, reason=reason, acting_user=author_user, expected_revision=document.revision, text=text
        )
        result.corrected += 1
    if planned.addendum is not None:
        document.refresh_from_db()
        do_add_addendum(document, text=planned.addendum, acting_user=author_user, sign=True)
        result.addenda += 1
    if planned.retraction is not None:
        document.refresh_from_db()
        do_retract_document(document, reason=planned.retraction, acting_user=staff["him_manager"])
        result.retracted += 1
