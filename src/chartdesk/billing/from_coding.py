"""Where coding hands encounters to billing: the coding workflow's final codes become charges.

An encounter is ready to bill once its coder has completed it (`coded_encounter` answers only then,
and not while a second-level review has it open again). Its ICD-10-CM diagnoses become the claim's
diagnoses and its CPT/HCPCS lines the professional claim's charge lines; ICD-10-PCS procedures
belong on the facility claim (837I, billing/institutional), so they are left out here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chartdesk.billing.actions import do_create_charges, encounters_ready_to_bill
from chartdesk.billing.models import Charge, ChargeStatus, ClaimKind
from chartdesk.billing.schemas import CodedDiagnosis, CodedEncounter, CodedProcedure
from chartdesk.charts.models import Encounter, EncounterClass, EncounterStatus, Provider
from chartdesk.coding.workflow.coded import coded_encounter
from chartdesk.coding.workflow.models import CaseStatus
from chartdesk.core.errors import ChartdeskError

# CMS place-of-service codes by encounter class (professional services).
PLACE_OF_SERVICE: dict[str, str] = {
    EncounterClass.OUTPATIENT: "11",  # office
    EncounterClass.EMERGENCY: "23",  # emergency room, hospital
    EncounterClass.INPATIENT: "21",  # inpatient hospital
    EncounterClass.OBSERVATION: "22",  # on-campus outpatient hospital
}
NOTHING_TO_CHARGE = "Coded, but with no CPT or HCPCS line to charge (ICD-10-PCS belongs on the facility claim)."


def billing_codes_of(encounter: Encounter) -> CodedEncounter | None:
    """The encounter's final codes in billing's shape, or None while coding is not complete."""
    coded = coded_encounter(encounter)
    if coded is None:
        return None
    professional = [line for line in coded.procedures if line.system in ("cpt", "hcpcs")]
    providers = Provider.objects.in_bulk([line.provider_id for line in professional if line.provider_id])
    return CodedEncounter(
        diagnoses=[CodedDiagnosis(line.code, line.poa, line.principal) for line in coded.diagnoses],
        procedures=[
            CodedProcedure(line.code, line.system.upper(), line.modifiers, line.units, line.performed_on,
                           providers.get(line.provider_id) if line.provider_id else None)
            for line in professional
        ],
    )


@dataclass
class ChargeRun:
    charged: list[Encounter] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (account number, why)


def coded_encounters_without_charges() -> list[Encounter]:
    return list(
        Encounter.objects.filter(coding_case__status=CaseStatus.CODED)
        .exclude(pk__in=Charge.objects.filter(status=ChargeStatus.ACTIVE, kind=ClaimKind.PROFESSIONAL)
                 .values("encounter_id"))
        .exclude(status=EncounterStatus.ENTERED_IN_ERROR)
        .select_related("patient").distinct().order_by("id")
    )


def encounters_to_bill() -> int:
    """How many encounters `do_create_claims` takes up: charged with no claim yet, or coded and waiting
    for their charges (the count the desk shows beside its button)."""
    return len(encounters_ready_to_bill()) + len(coded_encounters_without_charges())


def charge_coded_encounter(encounter: Encounter, *, acting_user: Any) -> str:
    """Charge one coded encounter from its final codes (`do_create_charges`, audited there); returns ""
    when charged, else why not (coding not complete, no professional line, a code without a fee)."""
    codes = billing_codes_of(encounter)
    if codes is None:
        return "Coding is not complete."
    if not codes.procedures:
        return NOTHING_TO_CHARGE
    try:
        do_create_charges(encounter, codes, acting_user=acting_user,
                          place_of_service=PLACE_OF_SERVICE.get(encounter.encounter_class, "11"))
    except ChartdeskError as refusal:
        return refusal.message
    return ""


def do_charge_coded_encounters(*, acting_user: Any) -> ChargeRun:
    """Create the charges of every coded encounter that has none yet, priced from the fee schedule.
    An encounter that cannot be charged (a code missing from the fee schedule, no professional line)
    is listed with its reason and the rest go on; each charge is its own audited action."""
    run = ChargeRun()
    for encounter in coded_encounters_without_charges():
        why = charge_coded_encounter(encounter, acting_user=acting_user)
        if why:
            run.refused.append((encounter.account_number, why))
        else:
            run.charged.append(encounter)
    return run
