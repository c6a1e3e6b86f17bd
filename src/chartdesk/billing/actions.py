"""Every billing write: set-up data, charges, claims and their scrub, and the statuses of claims.

Each action checks the permission, refuses a restricted chart the user may not open, validates its
input with a message naming the field, runs in one transaction and records its audit event in it.
Remittance posting lives in remittance.py, the ledger in ledger.py, statements in statements.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.billing import codes, ledger
from chartdesk.billing.models import (
    BillingOrganisation,
    Charge,
    ChargeStatus,
    Claim,
    ClaimKind,
    ClaimLine,
    ClaimStatus,
    Coverage,
    CoverageRank,
    EncounterDiagnosis,
    FeeScheduleEntry,
    InstitutionalClaim,
    Payer,
    PlaceOfService,
    ScrubFinding,
)
from chartdesk.billing.schemas import CodedEncounter
from chartdesk.billing.scrubber import MAX_DIAGNOSES, MAX_LINES, scrub
from chartdesk.charts.models import Encounter, EncounterStatus, Provider
from chartdesk.core import clock
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.npi import npi_is_valid
from chartdesk.core.permissions import require_permission
from chartdesk.disclosures.restrictions import health_plan_disclosure_blocked
from chartdesk.jobs.actions import do_start_job
from chartdesk.jobs.models import Job, JobStatus
from chartdesk.patients.access import refuse_change_to_closed_chart
from chartdesk.patients.models import Patient

SETUP = "billing.manage_billing_setup"
WORK = "billing.work_claims"

NPI_INVALID = "The {what} NPI {npi} is not valid (10 digits with a correct check digit)."
PLAN_DATES_REVERSED = "The plan's expiration date {expiration} is before its effective date {effective}."
TAX_ID_INVALID = "The tax ID must be nine digits."
ZIP9_INVALID = "The billing ZIP code must have nine digits (ZIP+4)."
REQUIRED = "Give the {what}."
STATE_INVALID = "The state must be two letters."
PAYER_ID_TAKEN = "Another payer already has the payer ID {payer_id}."
FILING_INDICATOR_UNKNOWN = "Choose the claim filing indicator from the list."
TIMELY_FILING_INVALID = "The timely-filing limit must be a whole number of days between 1 and 3650."
RANK_TAKEN = "The patient already has an active {rank} coverage; end it first."
RELATIONSHIP_UNKNOWN = "Choose the patient's relationship to the subscriber."
MONEY_INVALID = "The {what} must be an amount of money, like 125.00."
CODE_INVALID = "{code} is not a CPT or HCPCS code."
MODIFIER_INVALID = "Modifier {modifier!r} must be two letters or digits."
TOO_MANY_MODIFIERS = "A line carries at most 4 modifiers."
UNITS_INVALID = "Units must be a number above 0 and at most 9999."
NO_FEE = "The fee schedule has no charge for {code}{modifier}; give the charge or add the fee."
POINTERS_INVALID = "Diagnosis pointers must be 1 to 4 numbers, each naming one of the encounter's diagnoses."
POS_UNKNOWN = "Place of service {code} is not in the list."
DIAGNOSIS_INVALID = "{code} is not an ICD-10-CM code."
TOO_MANY_DIAGNOSES = "An encounter bills at most 12 diagnoses; {count} were given."
NO_PROCEDURES = "The coded encounter has no procedures to charge."
NO_DIAGNOSES = "The coded encounter has no diagnoses to point the charges to."
ENCOUNTER_RETRACTED = "This encounter was entered in error; it cannot be billed."
CHARGE_ON_CLAIM = "This charge is on claim {number}, already {status}; adjust it with a corrected claim."
CHARGE_VOIDED = "This charge is voided."
NO_COVERAGE = "The patient has no active primary coverage: add it before creating claims."
SELF_PAY_RESTRICTED = ("The patient paid for this visit in full and the practice agreed not to tell the health plan "
                       "(45 CFR 164.522(a)(1)(vi)): it is billed to the patient, never on a claim.")
NO_CHARGES = "The encounter has no active charges."
CLAIM_EXISTS = "The encounter already has claim {number}."
STATUS_REFUSED = "A {status} claim cannot be {what}."
NO_SECONDARY = "The patient has no active secondary coverage."
PRIMARY_NOT_PAID = "The primary claim must be paid (or partly paid) before a secondary claim."

EDITABLE_CLAIM = {ClaimStatus.DRAFT, ClaimStatus.SCRUBBED, ClaimStatus.READY, ClaimStatus.REJECTED}


def _require_chart(user: Any, patient: Patient) -> None:
    refuse_change_to_closed_chart(user, patient, during="billing change")


def _text(value: Any, what: str, field: str, *, limit: int, required: bool = True) -> str:
    cleaned = str(value or "").strip()
    if required and not cleaned:
        raise ChartdeskError(REQUIRED.format(what=what), field=field)
    if len(cleaned) > limit:
        raise ChartdeskError(f"The {what} may be at most {limit} characters.", field=field)
    return cleaned


def money(value: Any, what: str, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ChartdeskError(MONEY_INVALID.format(what=what), field=field) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e9") or amount != amount.quantize(Decimal("0.01")):
        raise ChartdeskError(MONEY_INVALID.format(what=what), field=field)
    return amount.quantize(Decimal("0.01"))


def _npi(value: Any, what: str, field: str) -> str:
    npi = str(value or "").strip()
    if not npi_is_valid(npi):
        raise ChartdeskError(NPI_INVALID.format(what=what, npi=npi or "(none)"), field=field)
    return npi


# ----------------------------------------------------------------------------- set-up data


def do_save_organisation(*, acting_user: Any, **fields: Any) -> BillingOrganisation:
    """Create or update the billing organisation (there is one): NPI checked by its Luhn digit."""
    require_permission(acting_user, SETUP, "maintain billing set-up")
    values: dict[str, Any] = {
        "name": _text(fields.get("name"), "organisation name", "name", limit=60),
        "npi": _npi(fields.get("npi"), "billing", "npi"),
        "tax_id": _text(fields.get("tax_id"), "tax ID", "tax_id", limit=9),
        "taxonomy": _text(fields.get("taxonomy"), "taxonomy code", "taxonomy", limit=10),
        "address_line": _text(fields.get("address_line"), "street address", "address_line", limit=55),
        "city": _text(fields.get("city"), "city", "city", limit=30),
        "state": _text(fields.get("state"), "state", "state", limit=2).upper(),
        "zip_code": _text(fields.get("zip_code"), "ZIP code", "zip_code", limit=10).replace("-", ""),
        "phone": "".join(ch for ch in str(fields.get("phone") or "") if ch.isdecimal()),
        "contact_name": _text(fields.get("contact_name"), "contact name", "contact_name", limit=60),
        "submitter_id": _text(fields.get("submitter_id"), "submitter ID", "submitter_id", limit=15),
        "receiver_id": _text(fields.get("receiver_id"), "receiver ID", "receiver_id", limit=15),
        "receiver_name": _text(fields.get("receiver_name"), "receiver name", "receiver_name", limit=60),
        "production": bool(fields.get("production", False)),
    }
    if not (values["tax_id"].isdecimal() and len(values["tax_id"]) == 9):
        raise ChartdeskError(TAX_ID_INVALID, field="tax_id")
    if not (values["zip_code"].isdecimal() and len(values["zip_code"]) == 9):
        raise ChartdeskError(ZIP9_INVALID, field="zip_code")
    if not (len(values["state"]) == 2 and values["state"].isalpha()):
        raise ChartdeskError(STATE_INVALID, field="state")
    if len(values["phone"]) != 10:
        raise ChartdeskError("The phone number must have ten digits.", field="phone")
    with transaction.atomic():
        organisation = BillingOrganisation.objects.order_by("id").first() or BillingOrganisation()
        for name, value in values.items():
            setattr(organisation, name, value)
        organisation.updated_at = clock.now()
        organisation.save()
        record_event(AuditAction.UPDATE, user=acting_user, object_type="billing_organisation",
                     object_id=organisation.pk, detail={"npi": organisation.npi})
    return organisation


def do_save_payer(*, acting_user: Any, payer: Payer | None = None, **fields: Any) -> Payer:
    """Create a payer, or update `payer`: payer ID unique, filing indicator and timely-filing days."""
    require_permission(acting_user, SETUP, "maintain billing set-up")
    from chartdesk.billing.models import ClaimFilingIndicator

    name = _text(fields.get("name"), "payer name", "name", limit=60)
    payer_id = _text(fields.get("payer_id"), "payer ID", "payer_id", limit=20).upper()
    indicator = str(fields.get("claim_filing_indicator") or "")
    if indicator not in ClaimFilingIndicator.values:
        raise ChartdeskError(FILING_INDICATOR_UNKNOWN, field="claim_filing_indicator")
    try:
        days = int(fields.get("timely_filing_days") or 365)
    except (TypeError, ValueError):
        raise ChartdeskError(TIMELY_FILING_INVALID, field="timely_filing_days") from None
    if not 1 <= days <= 3650:
        raise ChartdeskError(TIMELY_FILING_INVALID, field="timely_filing_days")
    same_id = Payer.objects.filter(payer_id=payer_id)
    taken = (same_id.exclude(pk=payer.pk) if payer is not None else same_id).exists()
    if taken:
        raise ChartdeskError(PAYER_ID_TAKEN.format(payer_id=payer_id), field="payer_id")
    with transaction.atomic():
        target = payer or Payer()
        target.name, target.payer_id, target.claim_filing_indicator = name, payer_id, indicator
        target.timely_filing_days = days
        for field in ("address_line", "city", "state", "zip_code"):
            setattr(target, field, str(fields.get(field) or "").strip())
        target.save()
        record_event(AuditAction.CREATE if payer is None else AuditAction.UPDATE, user=acting_user,
                     object_type="payer", object_id=target.pk, detail={"payer_id": payer_id})
    return target


def do_add_coverage(patient: Patient, *, payer: Payer, rank: str, member_id: str, acting_user: Any,
                    group_number: str = "", relationship: str = "18", effective_date: date | None = None,
                    expiration_date: date | None = None, **subscriber: Any) -> Coverage:
    """Add a primary or secondary coverage to a patient; the subscriber is the patient unless stated.
    The plan's effective and expiration dates are optional; an expiration before the start is refused."""
    require_permission(acting_user, SETUP, "maintain billing set-up")
    _require_chart(acting_user, patient)
    from chartdesk.billing.models import SubscriberRelationship

    if rank not in CoverageRank.values:
        raise ChartdeskError("Choose primary or secondary.", field="rank")
    if relationship not in SubscriberRelationship.values:
        raise ChartdeskError(RELATIONSHIP_UNKNOWN, field="relationship")
    if effective_date is not None and expiration_date is not None and expiration_date < effective_date:
        raise ChartdeskError(PLAN_DATES_REVERSED.format(expiration=expiration_date, effective=effective_date),
                             field="expiration_date")
    coverage = Coverage(
        patient=patient, payer=payer, rank=rank, relationship=relationship,
        effective_date=effective_date, expiration_date=expiration_date,
        member_id=_text(member_id, "member ID", "member_id", limit=30),
        group_number=_text(group_number, "group number", "group_number", limit=30, required=False),
    )
    if relationship == SubscriberRelationship.SELF:
        coverage.subscriber_given_name, coverage.subscriber_family_name = patient.given_name, patient.family_name
        coverage.subscriber_birth_date, coverage.subscriber_sex = patient.birth_date, patient.sex
    else:
        coverage.subscriber_given_name = _text(subscriber.get("subscriber_given_name"), "subscriber's given name",
                                               "subscriber_given_name", limit=35)
        coverage.subscriber_family_name = _text(subscriber.get("subscriber_family_name"),
                                                "subscriber's family name", "subscriber_family_name", limit=60)
        birth = subscriber.get("subscriber_birth_date")
        if not isinstance(birth, date):
            raise ChartdeskError(REQUIRED.format(what="subscriber's date of birth"), field="subscriber_birth_date")
        coverage.subscriber_birth_date = birth
        sex = str(subscriber.get("subscriber_sex") or "").upper()
        if sex not in {"F", "M", "U"}:
            raise ChartdeskError("The subscriber's sex must be F, M or U.", field="subscriber_sex")
        coverage.subscriber_sex = sex
    for field in ("subscriber_address_line", "subscriber_city", "subscriber_state", "subscriber_zip"):
        setattr(coverage, field, str(subscriber.get(field) or "").strip())
    with transaction.atomic():
        if Coverage.objects.filter(patient=patient, rank=rank, active=True).exists():
            raise ChartdeskError(RANK_TAKEN.format(rank=rank), field="rank")
        coverage.save()
        record_event(AuditAction.CREATE, user=acting_user, patient=patient, object_type="coverage",
                     object_id=coverage.pk, detail={"payer": payer.payer_id, "rank": rank})
    return coverage


def do_end_coverage(coverage: Coverage, *, acting_user: Any) -> Coverage:
    """Mark a coverage inactive (kept for the claims that used it)."""
    require_permission(acting_user, SETUP, "maintain billing set-up")
    _require_chart(acting_user, coverage.patient)
    with transaction.atomic():
        coverage.active = False
        coverage.save(update_fields=["active"])
        record_event(AuditAction.UPDATE, user=acting_user, patient=coverage.patient, object_type="coverage",
                     object_id=coverage.pk, detail={"active": False})
    return coverage


def do_set_fee(
    code: str, charge: Any, *, acting_user: Any, modifier: str = "", description: str = ""
) -> FeeScheduleEntry:
    """Set the fee-schedule charge of a code (and optional modifier)."""
    require_permission(acting_user, SETUP, "maintain billing set-up")
    code = code.strip().upper()
    modifier = modifier.strip().upper()
    if codes.procedure_system(code) is None:
        raise ChartdeskError(CODE_INVALID.format(code=code or "(none)"), field="code")
    if modifier and not codes.is_modifier(modifier):
        raise ChartdeskError(MODIFIER_INVALID.format(modifier=modifier), field="modifier")
    amount = money(charge, "charge", "charge")
    with transaction.atomic():
        entry, _ = FeeScheduleEntry.objects.update_or_create(
            code=code, modifier=modifier, defaults={"charge": amount, "description": description[:100]}
        )
        record_event(AuditAction.UPDATE, user=acting_user, object_type="fee_schedule", object_id=entry.pk,
                     detail={"code": code, "modifier": modifier, "charge": str(amount)})
    return entry


def fee_for(code: str, modifiers: list[str]) -> Decimal | None:
    """The fee of the code with its first modifier, falling back to the code alone."""
    fees = {entry.modifier: entry.charge for entry in FeeScheduleEntry.objects.filter(code=code)}
    for modifier in modifiers[:1]:
        if modifier in fees:
            return fees[modifier]
    return fees.get("")


# ----------------------------------------------------------------------------- charges


@dataclass(frozen=True)
class ChargeInput:
    """A charge line as a person enters it; validated by `_clean_charge`."""

    code: str
    modifiers: tuple[str, ...] = ()
    units: Any = 1
    amount: Any = None  # None: from the fee schedule (times units)
    diagnosis_pointers: tuple[int, ...] = (1,)
    service_date: date | None = None
    rendering_provider: Provider | None = None
    referring_provider: Provider | None = None
    place_of_service: str = "11"


def _clean_charge(entry: ChargeInput, diagnosis_count: int, default_date: date) -> dict[str, Any]:
    code = entry.code.strip().upper()
    system = codes.procedure_system(code)
    if system is None:
        raise ChartdeskError(CODE_INVALID.format(code=code or "(none)"), field="code")
    modifiers = [m.strip().upper() for m in entry.modifiers if m and m.strip()]
    if len(modifiers) > 4:
        raise ChartdeskError(TOO_MANY_MODIFIERS, field="modifiers")
    for modifier in modifiers:
        if not codes.is_modifier(modifier):
            raise ChartdeskError(MODIFIER_INVALID.format(modifier=modifier), field="modifiers")
    try:
        units = Decimal(str(entry.units))
    except (InvalidOperation, ValueError):
        raise ChartdeskError(UNITS_INVALID, field="units") from None
    if not units.is_finite() or not 0 < units <= 9999 or units != units.quantize(Decimal("0.01")):
        raise ChartdeskError(UNITS_INVALID, field="units")
    if entry.amount in (None, ""):
        fee = fee_for(code, modifiers)
        if fee is None:
            mod = f"-{modifiers[0]}" if modifiers else ""
            raise ChartdeskError(NO_FEE.format(code=code, modifier=mod), field="amount")
        amount = (fee * units).quantize(Decimal("0.01"))
    else:
        amount = money(entry.amount, "charge", "amount")
    pointers = list(entry.diagnosis_pointers)
    if not 1 <= len(pointers) <= 4 or len(set(pointers)) != len(pointers) or any(
        not isinstance(p, int) or not 1 <= p <= diagnosis_count for p in pointers
    ):
        raise ChartdeskError(POINTERS_INVALID, field="diagnosis_pointers")
    if not PlaceOfService.objects.filter(code=entry.place_of_service).exists():
        raise ChartdeskError(POS_UNKNOWN.format(code=entry.place_of_service or "(none)"), field="place_of_service")
    return {
        "code": code, "code_system": system, "modifiers": modifiers, "units": units, "amount": amount,
        "diagnosis_pointers": pointers, "service_date": entry.service_date or default_date,
        "rendering_provider": entry.rendering_provider, "referring_provider": entry.referring_provider,
        "place_of_service_id": entry.place_of_service,
    }


def _billable_encounter(encounter: Encounter, acting_user: Any) -> None:
    require_permission(acting_user, WORK, "enter charges")
    _require_chart(acting_user, encounter.patient)
    if encounter.status == EncounterStatus.ENTERED_IN_ERROR:
        raise ChartdeskError(ENCOUNTER_RETRACTED)


def _encounter_date(encounter: Encounter) -> date:
    return timezone.localtime(encounter.admit_at).date()


def do_create_charges(encounter: Encounter, coded: CodedEncounter, *, acting_user: Any,
                      place_of_service: str = "11") -> list[Charge]:
    """Charge a coded encounter: its diagnoses become the claim diagnoses, each procedure a charge line.

    Each line's charge comes from the fee schedule (code and first modifier), times units; each line
    points to the principal diagnosis and the next ones, up to four. The diagnoses replace any the
    encounter had (earlier ones are voided, never deleted).
    """
    _billable_encounter(encounter, acting_user)
    diagnoses = [d for d in coded.diagnoses]
    if len(diagnoses) > MAX_DIAGNOSES:
        raise ChartdeskError(TOO_MANY_DIAGNOSES.format(count=len(diagnoses)), field="diagnoses")
    for diagnosis in diagnoses:
        if not codes.is_icd10cm(diagnosis.code):
            raise ChartdeskError(DIAGNOSIS_INVALID.format(code=diagnosis.code), field="diagnoses")
    if not coded.procedures:
        raise ChartdeskError(NO_PROCEDURES, field="procedures")
    if not diagnoses:
        raise ChartdeskError(NO_DIAGNOSES, field="diagnoses")
    ordered = sorted(diagnoses, key=lambda d: not d.principal)  # principal first, order kept otherwise
    pointers = tuple(range(1, min(len(ordered), 4) + 1))
    inputs = [
        ChargeInput(code=p.code, modifiers=tuple(p.modifiers), units=p.units, amount=None,
                    diagnosis_pointers=pointers, service_date=p.date, rendering_provider=p.provider,
                    place_of_service=place_of_service)
        for p in coded.procedures
    ]
    default_date = _encounter_date(encounter)
    cleaned = [_clean_charge(entry, len(ordered), default_date) for entry in inputs]
    with transaction.atomic():
        EncounterDiagnosis.objects.filter(encounter=encounter, voided=False).update(voided=True)
        for sequence, diagnosis in enumerate(ordered, start=1):
            EncounterDiagnosis.objects.create(encounter=encounter, sequence=sequence,
                                              code=codes.normal_diagnosis(diagnosis.code),
                                              present_on_admission=diagnosis.poa, principal=sequence == 1)
        charges = [
            Charge.objects.create(encounter=encounter, patient=encounter.patient, created_by=acting_user, **values)
            for values in cleaned
        ]
        record_event(AuditAction.CREATE, user=acting_user, patient=encounter.patient, object_type="charges",
                     object_id=encounter.pk,
                     detail={"lines": len(charges), "diagnoses": [d.code for d in ordered]})
    return charges


def encounter_diagnoses(encounter: Encounter) -> list[str]:
    return list(
        EncounterDiagnosis.objects.filter(encounter=encounter, voided=False).order_by("sequence")
        .values_list("code", flat=True)
    )


def do_set_diagnoses(encounter: Encounter, diagnosis_codes: list[str], *, acting_user: Any) -> list[str]:
    """Replace the encounter's claim diagnoses by hand (principal first)."""
    _billable_encounter(encounter, acting_user)
    cleaned = [codes.normal_diagnosis(code) for code in diagnosis_codes if code.strip()]
    if len(cleaned) > MAX_DIAGNOSES:
        raise ChartdeskError(TOO_MANY_DIAGNOSES.format(count=len(cleaned)), field="diagnoses")
    for code in cleaned:
        if not codes.is_icd10cm(code):
            raise ChartdeskError(DIAGNOSIS_INVALID.format(code=code), field="diagnoses")
    claim = _open_professional_claim(encounter)
    with transaction.atomic():
        EncounterDiagnosis.objects.filter(encounter=encounter, voided=False).update(voided=True)
        for sequence, code in enumerate(cleaned, start=1):
            EncounterDiagnosis.objects.create(encounter=encounter, sequence=sequence, code=code,
                                              principal=sequence == 1)
        record_event(AuditAction.UPDATE, user=acting_user, patient=encounter.patient, object_type="charges",
                     object_id=encounter.pk, detail={"diagnoses": cleaned})
        if claim is not None:
            # A claim not yet sent carries the encounter's diagnoses: corrected here, it is corrected there
            # (and scrubbed again), as a charge adjustment is. A claim already sent keeps what it said.
            _rebuild_claim(claim, acting_user)
    return cleaned


def _open_professional_claim(encounter: Encounter) -> Claim | None:
    return Claim.objects.filter(encounter=encounter, kind=ClaimKind.PROFESSIONAL, rank=CoverageRank.PRIMARY,
                                status__in=EDITABLE_CLAIM).first()


def do_add_charge(encounter: Encounter, entry: ChargeInput, *, acting_user: Any) -> Charge:
    """Add one charge line by hand (the billing specialist's entry)."""
    _billable_encounter(encounter, acting_user)
    values = _clean_charge(entry, len(encounter_diagnoses(encounter)), _encounter_date(encounter))
    with transaction.atomic():
        charge = Charge.objects.create(encounter=encounter, patient=encounter.patient, created_by=acting_user,
                                       **values)
        record_event(AuditAction.CREATE, user=acting_user, patient=encounter.patient, object_type="charge",
                     object_id=charge.pk, detail={"code": charge.code, "amount": str(charge.amount)})
    return charge


def _open_claim_of(charge: Charge) -> Claim | None:
    line = charge.claim_lines.select_related("claim").order_by("-id").first()
    return line.claim if line else None


def do_adjust_charge(charge: Charge, entry: ChargeInput, *, acting_user: Any) -> Charge:
    """Correct a charge line: the old one is voided and a new one takes its place (and its claim line)."""
    _billable_encounter(charge.encounter, acting_user)
    if charge.status == ChargeStatus.VOIDED:
        raise ChartdeskError(CHARGE_VOIDED)
    claim = _open_claim_of(charge)
    if claim is not None and claim.status not in EDITABLE_CLAIM:
        raise ChartdeskError(CHARGE_ON_CLAIM.format(number=claim.claim_number, status=claim.get_status_display()))
    values = _clean_charge(entry, len(encounter_diagnoses(charge.encounter)), charge.service_date)
    with transaction.atomic():
        charge.status = ChargeStatus.VOIDED
        charge.save(update_fields=["status"])
        replacement = Charge.objects.create(encounter=charge.encounter, patient=charge.patient,
                                            created_by=acting_user, **values)
        record_event(AuditAction.UPDATE, user=acting_user, patient=charge.patient, object_type="charge",
                     object_id=replacement.pk, detail={"replaces": charge.pk, "code": replacement.code,
                                                       "amount": str(replacement.amount)})
        if claim is not None:
            _rebuild_claim(claim, acting_user, replaced={charge.pk: replacement})
    return replacement


def do_void_charge(charge: Charge, *, acting_user: Any) -> Charge:
    """Void a charge line entered by mistake (it stays on record as voided)."""
    _billable_encounter(charge.encounter, acting_user)
    claim = _open_claim_of(charge)
    if claim is not None and claim.status not in EDITABLE_CLAIM:
        raise ChartdeskError(CHARGE_ON_CLAIM.format(number=claim.claim_number, status=claim.get_status_display()))
    with transaction.atomic():
        charge.status = ChargeStatus.VOIDED
        charge.save(update_fields=["status"])
        record_event(AuditAction.RETRACT, user=acting_user, patient=charge.patient, object_type="charge",
                     object_id=charge.pk)
        if claim is not None:
            _rebuild_claim(claim, acting_user)
    return charge


# ----------------------------------------------------------------------------- claims


def _claim_number(claim_pk: int) -> str:
    return f"CD{claim_pk:010d}"


def _provisional_number() -> str:
    # The real number comes from the row id, known only after the insert (in the same transaction).
    return f"T{uuid.uuid4().hex[:18]}"


def _active_charges(encounter: Encounter) -> list[Charge]:
    return list(encounter.charges.filter(status=ChargeStatus.ACTIVE, kind=ClaimKind.PROFESSIONAL)
                .select_related("rendering_provider").order_by("id"))


def _write_lines(claim: Claim, charges: list[Charge]) -> None:
    for number, charge in enumerate(charges, start=1):
        ClaimLine.objects.create(
            claim=claim, charge=charge, line_number=number, code=charge.code, modifiers=charge.modifiers,
            units=charge.units, amount=charge.amount, diagnosis_pointers=charge.diagnosis_pointers,
            service_date=charge.service_date, place_of_service=charge.place_of_service_id,
            rendering_provider=charge.rendering_provider,
        )


def _in_claim_order(claim: Claim, charges: list[Charge], replaced: dict[int, Charge]) -> list[Charge]:
    """The charges in the order of the claim's lines, a corrected charge in the place of the one it replaces
    (line 1 corrected is still line 1: the biller and the rejection talk of lines by number); new ones last."""
    placed = []
    for line in claim.lines.filter(superseded=False).order_by("line_number"):
        charge = replaced.get(line.charge_id, line.charge)
        if charge in charges and charge not in placed:
            placed.append(charge)
    return placed + [charge for charge in charges if charge not in placed]


def _rebuild_claim(claim: Claim, acting_user: Any, *, replaced: dict[int, Charge] | None = None) -> None:
    """Lines of a claim not yet sent follow its charges; the claim goes back to draft and is scrubbed."""
    charges = _in_claim_order(claim, _active_charges(claim.encounter), replaced or {})
    # Claim lines are legal rows: the old ones are marked superseded rather than deleted.
    ClaimLine.objects.filter(claim=claim, superseded=False).update(superseded=True)
    _write_lines(claim, charges)
    claim.diagnoses = encounter_diagnoses(claim.encounter)
    claim.total_charge = sum((c.amount for c in charges), Decimal("0.00"))
    claim.status = ClaimStatus.DRAFT
    claim.save(update_fields=["diagnoses", "total_charge", "status"])
    ledger.sync_claim_charges(claim, acting_user)
    do_scrub_claim(claim, acting_user=acting_user)


def do_create_claim(encounter: Encounter, *, acting_user: Any) -> Claim:
    """Create the primary claim of an encounter from its active charges, post its charge, and scrub it."""
    require_permission(acting_user, WORK, "create claims")
    _require_chart(acting_user, encounter.patient)
    charges = _active_charges(encounter)
    if not charges:
        raise ChartdeskError(NO_CHARGES)
    if health_plan_disclosure_blocked(encounter):
        raise ChartdeskError(SELF_PAY_RESTRICTED)
    coverage = Coverage.objects.select_related("payer").filter(
        patient=encounter.patient, rank=CoverageRank.PRIMARY, active=True
    ).first()
    if coverage is None:
        raise ChartdeskError(NO_COVERAGE)
    with transaction.atomic():
        existing = Claim.objects.select_for_update().filter(encounter=encounter, rank=CoverageRank.PRIMARY,
                                                            kind=ClaimKind.PROFESSIONAL).first()
        if existing is not None:
            raise ChartdeskError(CLAIM_EXISTS.format(number=existing.claim_number))
        claim = Claim.objects.create(
            claim_number=_provisional_number(), encounter=encounter,
            patient=encounter.patient, coverage=coverage, payer=coverage.payer, rank=CoverageRank.PRIMARY,
            diagnoses=encounter_diagnoses(encounter), place_of_service=charges[0].place_of_service_id,
            total_charge=sum((c.amount for c in charges), Decimal("0.00")), created_by=acting_user,
        )
        claim.claim_number = _claim_number(claim.pk)
        claim.save(update_fields=["claim_number"])
        _write_lines(claim, charges)
        ledger.post_charge(claim, claim.total_charge, acting_user=acting_user)
        record_event(AuditAction.CREATE, user=acting_user, patient=encounter.patient, object_type="claim",
                     object_id=claim.pk, detail={"claim_number": claim.claim_number, "payer": coverage.payer.payer_id,
                                                 "total": str(claim.total_charge)})
        do_scrub_claim(claim, acting_user=acting_user)
    return claim


def do_create_secondary_claim(primary: Claim, *, acting_user: Any) -> Claim:
    """After the primary payer paid, bill the rest to the secondary payer (COB loops carry the primary's
    payment). The patient responsibility the primary left moves from the patient to the secondary claim."""
    require_permission(acting_user, WORK, "create claims")
    _require_chart(acting_user, primary.patient)
    if primary.status not in {ClaimStatus.PAID, ClaimStatus.PARTIALLY_PAID}:
        raise ChartdeskError(PRIMARY_NOT_PAID)
    coverage = Coverage.objects.select_related("payer").filter(
        patient=primary.patient, rank=CoverageRank.SECONDARY, active=True
    ).first()
    if coverage is None:
        raise ChartdeskError(NO_SECONDARY)
    with transaction.atomic():
        earlier = primary.secondary_claims.first()
        if earlier is not None:
            raise ChartdeskError(CLAIM_EXISTS.format(number=earlier.claim_number))
        claim = Claim.objects.create(
            claim_number=_provisional_number(), encounter=primary.encounter, patient=primary.patient,
            coverage=coverage, payer=coverage.payer, rank=CoverageRank.SECONDARY, primary_claim=primary,
            kind=primary.kind, diagnoses=list(primary.diagnoses), place_of_service=primary.place_of_service,
            total_charge=primary.total_charge, created_by=acting_user,
        )
        claim.claim_number = _claim_number(claim.pk)
        claim.save(update_fields=["claim_number"])
        for line in primary.lines.filter(superseded=False).order_by("line_number"):
            ClaimLine.objects.create(
                claim=claim, charge=line.charge, line_number=line.line_number, code=line.code,
                modifiers=line.modifiers, units=line.units, amount=line.amount,
                diagnosis_pointers=line.diagnosis_pointers, service_date=line.service_date,
                place_of_service=line.place_of_service, rendering_provider=line.rendering_provider,
                revenue_code=line.revenue_code,
            )
        if primary.kind == ClaimKind.INSTITUTIONAL:
            _copy_stay(primary, claim)
        ledger.transfer_patient_share_to_secondary(primary, claim, acting_user=acting_user)
        record_event(AuditAction.CREATE, user=acting_user, patient=primary.patient, object_type="claim",
                     object_id=claim.pk, detail={"claim_number": claim.claim_number, "secondary_of": primary.pk})
        do_scrub_claim(claim, acting_user=acting_user)
    return claim


def _copy_stay(primary: Claim, secondary: Claim) -> None:
    """A hospital's secondary claim is an 837I too: the stay's UB-04 data (bill type, dates, codes) as the
    primary was billed, sent as an original to the new payer."""
    stay = InstitutionalClaim.objects.get(claim=primary)
    values = {f.name: getattr(stay, f.name) for f in InstitutionalClaim._meta.concrete_fields
              if f.name not in {"id", "claim"}}
    values.update(frequency="1", payer_claim_number="")
    InstitutionalClaim.objects.create(claim=secondary, **values)


def do_scrub_claim(claim: Claim, *, acting_user: Any, today: date | None = None) -> list[ScrubFinding]:
    """Run the scrubber: findings replace the previous ones; clean claims become ready to send."""
    require_permission(acting_user, WORK, "scrub claims")
    if claim.status not in EDITABLE_CLAIM:
        raise ChartdeskError(STATUS_REFUSED.format(status=claim.get_status_display().lower(), what="scrubbed"))
    findings = scrub(claim, today=today or clock.localdate())
    with transaction.atomic():
        ScrubFinding.objects.filter(claim=claim).delete()
        rows = ScrubFinding.objects.bulk_create(
            ScrubFinding(claim=claim, rule=f.rule, message=f.message[:300], line_number=f.line_number)
            for f in findings
        )
        claim.status = ClaimStatus.SCRUBBED if findings else ClaimStatus.READY
        claim.scrubbed_at = clock.now()
        claim.save(update_fields=["status", "scrubbed_at"])
        record_event(AuditAction.UPDATE, user=acting_user, patient=claim.patient, object_type="claim",
                     object_id=claim.pk, detail={"scrub": [f.rule for f in findings], "status": claim.status})
    return rows


def encounters_ready_to_bill() -> list[Encounter]:
    """Encounters with active charges and no claim yet (coded encounters are charged first by
    `do_create_claims`; charges entered by hand count too)."""
    return list(
        Encounter.objects.filter(charges__status=ChargeStatus.ACTIVE, charges__kind=ClaimKind.PROFESSIONAL)
        .exclude(claims__kind=ClaimKind.PROFESSIONAL).exclude(status=EncounterStatus.ENTERED_IN_ERROR)
        .select_related("patient").distinct().order_by("id")
    )


@dataclass
class ClaimRun:
    created: list[Claim]
    refused: list[tuple[str, str]]  # (account number, why)


def do_create_claims(*, acting_user: Any, progress: Callable[[float, str], None] | None = None) -> ClaimRun:
    """Charge every encounter whose coding is complete, then create and scrub the claim of every
    encounter ready to bill; an encounter that cannot be charged or billed (a code without a fee, no
    coverage, restricted chart) is listed with its reason and the rest go on. `progress`, when
    given, hears how many encounters have been claimed."""
    from chartdesk.billing.from_coding import do_charge_coded_encounters  # it builds on these actions

    require_permission(acting_user, WORK, "create claims")
    run = ClaimRun(created=[], refused=[])
    run.refused += do_charge_coded_encounters(acting_user=acting_user).refused
    ready = encounters_ready_to_bill()
    for done, encounter in enumerate(ready):
        if progress is not None:
            progress(100 * done / len(ready), f"{done} of {len(ready)} encounters claimed")
        try:
            run.created.append(do_create_claim(encounter, acting_user=acting_user))
        except ChartdeskError as refusal:
            run.refused.append((encounter.account_number, refusal.message))
    return run


CLAIM_RUN_PENDING = "Claims are already being created and scrubbed (see the jobs page)."


def do_queue_claim_run(*, acting_user: Any) -> Job:
    """Create and scrub every claim ready (do_create_claims) as a background job run as `acting_user`;
    refused while such a job is queued or running, so two runs never race for one encounter."""
    from chartdesk.billing.tasks import create_claims

    require_permission(acting_user, WORK, "create claims")
    if Job.objects.filter(about_type="claim_run", status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).exists():
        raise ChartdeskError(CLAIM_RUN_PENDING)
    return do_start_job(create_claims, title="Create and scrub claims", acting_user=acting_user,
                        about_type="claim_run")


ALLOWED_TRANSITIONS = {
    ClaimStatus.ACCEPTED: {ClaimStatus.SUBMITTED},
    ClaimStatus.REJECTED: {ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED},
    ClaimStatus.APPEALED: {ClaimStatus.DENIED, ClaimStatus.PARTIALLY_PAID},
    ClaimStatus.CLOSED: {ClaimStatus.PAID, ClaimStatus.DENIED, ClaimStatus.PARTIALLY_PAID, ClaimStatus.APPEALED,
                         ClaimStatus.DRAFT, ClaimStatus.SCRUBBED, ClaimStatus.READY, ClaimStatus.REJECTED},
}


def do_set_claim_status(claim: Claim, status: str, *, acting_user: Any, note: str = "") -> Claim:
    """Record what the clearinghouse or payer said (accepted, rejected), an appeal, or close a claim."""
    require_permission(acting_user, WORK, "change claim status")
    _require_chart(acting_user, claim.patient)
    allowed_from = ALLOWED_TRANSITIONS.get(ClaimStatus(status)) if status in ClaimStatus.values else None
    if allowed_from is None or claim.status not in allowed_from:
        raise ChartdeskError(STATUS_REFUSED.format(status=claim.get_status_display().lower(),
                                                   what=f"marked {status.replace('_', ' ')}"), field="status")
    with transaction.atomic():
        before = claim.status
        claim.status = status
        claim.save(update_fields=["status"])
        record_event(AuditAction.UPDATE, user=acting_user, patient=claim.patient, object_type="claim",
                     object_id=claim.pk, detail={"status": [before, status], "note": note[:200]})
    return claim


def claims_to_send() -> list[Claim]:
    return list(Claim.objects.filter(status=ClaimStatus.READY).order_by("id"))


def sendable(claim: Claim) -> bool:
    return claim.status == ClaimStatus.READY and claim.lines.filter(superseded=False).count() <= MAX_LINES
