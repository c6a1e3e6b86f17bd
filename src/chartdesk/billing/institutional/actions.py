"""Writes of the institutional side of billing, each audited in its transaction: loading the chargemaster
and creating the facility claim of a coded stay."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.billing import codes, ledger
from chartdesk.billing.actions import (
    CLAIM_EXISTS,
    ENCOUNTER_RETRACTED,
    NO_COVERAGE,
    SELF_PAY_RESTRICTED,
    SETUP,
    WORK,
    _claim_number,
    _provisional_number,
    _require_chart,
    do_scrub_claim,
)
from chartdesk.billing.institutional.chargemaster import facility_charges, parse_chargemaster
from chartdesk.billing.models import (
    Charge,
    ChargemasterItem,
    Claim,
    ClaimKind,
    ClaimLine,
    Coverage,
    CoverageRank,
    InstitutionalClaim,
    PlaceOfService,
)
from chartdesk.charts.models import CareRole, Encounter, EncounterClass, EncounterStatus, Provider
from chartdesk.coding.workflow.coded import coded_encounter
from chartdesk.coding.workflow.models import CaseStatus, CodingCase
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.permissions import require_permission
from chartdesk.disclosures.restrictions import health_plan_disclosure_blocked

NOT_CODED = "Coding of this encounter is not complete."
NOT_DISCHARGED = "The stay has no discharge yet: an institutional claim is billed after discharge."
NO_DISCHARGE_STATUS = "Record the discharge status (UB-04 patient status) on the inpatient abstract first."
INPATIENT_FACILITY, OUTPATIENT_FACILITY = "11", "13"  # hospital inpatient (Part A), hospital outpatient
PLACE = {INPATIENT_FACILITY: "21", OUTPATIENT_FACILITY: "22"}


def do_load_chargemaster(text: str, *, acting_user: Any) -> int:
    """Load chargemaster lines from CSV (all or nothing). A line with the code and effective date of an
    existing one replaces its values; a newer line of a code closes the open-ended older one the day before."""
    require_permission(acting_user, SETUP, "load the chargemaster")
    rows = parse_chargemaster(text)
    with transaction.atomic():
        for row in rows:
            values = dict(row.values)
            item, _ = ChargemasterItem.objects.update_or_create(
                charge_code=values.pop("charge_code"), effective_from=values.pop("effective_from"), defaults=values)
            ChargemasterItem.objects.filter(
                charge_code=item.charge_code, effective_from__lt=item.effective_from, effective_to__isnull=True,
            ).update(effective_to=item.effective_from - datetime.timedelta(days=1))
        record_event(AuditAction.UPDATE, user=acting_user, object_type="chargemaster", object_id="",
                     detail={"loaded_lines": len(rows)})
    return len(rows)


def _attending(encounter: Encounter) -> Provider | None:
    role = encounter.care_team.filter(role=CareRole.ATTENDING).select_related("provider").order_by("id").first()
    return role.provider if role else None


def _operating(encounter: Encounter, provider_ids: list[int]) -> Provider | None:
    if provider_ids:
        return Provider.objects.filter(pk=provider_ids[0]).first()
    role = encounter.care_team.filter(role=CareRole.SURGEON).select_related("provider").order_by("id").first()
    return role.provider if role else None


def do_create_facility_claim(encounter: Encounter, *, acting_user: Any) -> Claim:
    """The institutional claim of a coded stay or hospital outpatient visit: facility charges priced from the
    chargemaster, the UB-04 data from the encounter and its coding (admission, discharge status, diagnoses
    with POA, ICD-10-PCS procedures, the final MS-DRG), the ledger charge, and a scrub."""
    require_permission(acting_user, WORK, "create claims")
    _require_chart(acting_user, encounter.patient)
    if encounter.status == EncounterStatus.ENTERED_IN_ERROR:
        raise ChartdeskError(ENCOUNTER_RETRACTED)
    coded = coded_encounter(encounter)
    if coded is None:
        raise ChartdeskError(NOT_CODED)
    inpatient = encounter.encounter_class == EncounterClass.INPATIENT
    case = CodingCase.objects.get(encounter=encounter)
    status = case.discharge_status or encounter.discharge_disposition
    if inpatient and encounter.discharge_at is None:
        raise ChartdeskError(NOT_DISCHARGED)
    if inpatient and not status:
        raise ChartdeskError(NO_DISCHARGE_STATUS)
    if health_plan_disclosure_blocked(encounter):
        raise ChartdeskError(SELF_PAY_RESTRICTED)
    coverage = Coverage.objects.select_related("payer").filter(
        patient=encounter.patient, rank=CoverageRank.PRIMARY, active=True).first()
    if coverage is None:
        raise ChartdeskError(NO_COVERAGE)
    priced = facility_charges(encounter, coded)
    facility_type = INPATIENT_FACILITY if inpatient else OUTPATIENT_FACILITY
    place = PlaceOfService.objects.get(code=PLACE[facility_type])
    pcs = [line for line in coded.procedures if line.system == "icd10pcs"]
    admitted = timezone.localtime(encounter.admit_at)
    discharged = timezone.localtime(encounter.discharge_at) if encounter.discharge_at else None
    with transaction.atomic():
        existing = Claim.objects.select_for_update().filter(
            encounter=encounter, rank=CoverageRank.PRIMARY, kind=ClaimKind.INSTITUTIONAL).first()
        if existing is not None:
            raise ChartdeskError(CLAIM_EXISTS.format(number=existing.claim_number))
        charges = [
            Charge.objects.create(
                encounter=encounter, patient=encounter.patient, code=entry.hcpcs, code_system="REV",
                modifiers=list(entry.modifiers), units=entry.units, amount=entry.amount, diagnosis_pointers=[],
                service_date=entry.service_date, place_of_service=place, kind=ClaimKind.INSTITUTIONAL,
                revenue_code=entry.item.revenue_code, created_by=acting_user,
            )
            for entry in priced
        ]
        total = sum((c.amount for c in charges), Decimal("0.00"))
        claim = Claim.objects.create(
            claim_number=_provisional_number(), encounter=encounter, patient=encounter.patient, coverage=coverage,
            payer=coverage.payer, rank=CoverageRank.PRIMARY, kind=ClaimKind.INSTITUTIONAL,
            diagnoses=[codes.normal_diagnosis(d.code) for d in coded.diagnoses],
            place_of_service=place.code, total_charge=total, created_by=acting_user,
        )
        claim.claim_number = _claim_number(claim.pk)
        claim.save(update_fields=["claim_number"])
        for number, charge in enumerate(charges, start=1):
            ClaimLine.objects.create(
                claim=claim, charge=charge, line_number=number, code=charge.code, modifiers=charge.modifiers,
                units=charge.units, amount=charge.amount, diagnosis_pointers=[], service_date=charge.service_date,
                place_of_service=place.code, revenue_code=charge.revenue_code,
            )
        InstitutionalClaim.objects.create(
            claim=claim, facility_type=facility_type, frequency="1", statement_from=admitted.date(),
            statement_to=(discharged or admitted).date(),
            admission_at=encounter.admit_at if inpatient else None,
            # FL 14 is the priority of the admission or visit: an emergency department visit is an emergency
            admission_type=case.admission_type if inpatient else (
                "1" if encounter.encounter_class == EncounterClass.EMERGENCY else ""),
            admission_source=case.admission_source if inpatient else "",
            discharge_at=encounter.discharge_at, patient_status=status or "01",
            poa=[d.poa if inpatient else "" for d in coded.diagnoses],
            admitting_diagnosis=codes.normal_diagnosis(coded.diagnoses[0].code) if inpatient and coded.diagnoses
            else "",
            reasons_for_visit=[] if inpatient else [codes.normal_diagnosis(d.code) for d in coded.diagnoses[:1]],
            procedures=[[line.code, line.performed_on.isoformat()] for line in pcs],
            drg=coded.ms_drg if inpatient else "", attending=_attending(encounter),
            operating=_operating(encounter, [line.provider_id for line in pcs if line.provider_id]) if pcs else None,
        )
        ledger.post_charge(claim, total, acting_user=acting_user)
        record_event(AuditAction.CREATE, user=acting_user, patient=encounter.patient, object_type="claim",
                     object_id=claim.pk, detail={"claim_number": claim.claim_number, "kind": "institutional",
                                                 "bill_type": f"0{facility_type}1", "payer": coverage.payer.payer_id,
                                                 "total": str(total)})
        do_scrub_claim(claim, acting_user=acting_user)
    return claim


# Encounter classes a hospital bills on the institutional claim by default; clinic visits (outpatient) are
# billed professionally, and a hospital outpatient department names the class when it runs the facility bill.
FACILITY_CLASSES = (EncounterClass.INPATIENT, EncounterClass.EMERGENCY, EncounterClass.OBSERVATION)


def encounters_for_facility_claims(classes: tuple[str, ...] = FACILITY_CLASSES) -> list[Encounter]:
    """Coded encounters of `classes` with no institutional claim yet."""
    return list(
        Encounter.objects.filter(coding_case__status=CaseStatus.CODED, encounter_class__in=classes)
        .exclude(claims__kind=ClaimKind.INSTITUTIONAL).exclude(status=EncounterStatus.ENTERED_IN_ERROR)
        .select_related("patient").order_by("id")
    )


def do_create_facility_claims(*, acting_user: Any, classes: tuple[str, ...] = FACILITY_CLASSES
                              ) -> tuple[list[Claim], list[tuple[str, str]]]:
    """The facility claim of every coded encounter of `classes` without one; an encounter that cannot be
    billed (a service the chargemaster cannot price, no coverage) is listed with its reason and the rest go on."""
    require_permission(acting_user, WORK, "create claims")
    created: list[Claim] = []
    refused: list[tuple[str, str]] = []
    for encounter in encounters_for_facility_claims(classes):
        try:
            created.append(do_create_facility_claim(encounter, acting_user=acting_user))
        except ChartdeskError as refusal:
            refused.append((encounter.account_number, refusal.message))
    return created, refused
