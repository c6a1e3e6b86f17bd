"""The segments around the person and the visit: DG1 (diagnoses as reported, onto the encounter) and
IN1 (insurance, into billing's coverage), through the charts and billing actions as the interface
account. A segment that cannot be kept whole is left out and said in the ACK (MSA-3), as a phone
registration refuses is; a malformed date is an AE naming the segment, its sequence and the field."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction

from chartdesk.billing.models import ClaimFilingIndicator, Coverage, CoverageRank, Payer, SubscriberRelationship
from chartdesk.charts.models import Encounter
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.interop.hl7v2.parser import Hl7Error, Message, Segment, parse_date, parse_timestamp
from chartdesk.patients.models import Patient

# HL7 table 0052 (diagnosis type).
DIAGNOSIS_TYPES = {"A": "admitting", "W": "working", "F": "final"}
# HL7 table 0063 (relationship) to X12's individual relationship codes, which billing keeps.
RELATIONSHIPS = {"SEL": SubscriberRelationship.SELF, "SPO": SubscriberRelationship.SPOUSE,
                 "CHD": SubscriberRelationship.CHILD}
# IN1-15 (plan type, a user-defined table: these are the codes feeds commonly send) to SBR09.
PLAN_TYPES = {"HMO": ClaimFilingIndicator.HMO, "HM": ClaimFilingIndicator.HMO,
              "MEDICARE": ClaimFilingIndicator.MEDICARE_B, "MCR": ClaimFilingIndicator.MEDICARE_B,
              "MB": ClaimFilingIndicator.MEDICARE_B, "MEDICAID": ClaimFilingIndicator.MEDICAID,
              "MCD": ClaimFilingIndicator.MEDICAID, "MC": ClaimFilingIndicator.MEDICAID,
              "BC": ClaimFilingIndicator.BLUE_CROSS, "BL": ClaimFilingIndicator.BLUE_CROSS,
              "BCBS": ClaimFilingIndicator.BLUE_CROSS, "CH": ClaimFilingIndicator.TRICARE,
              "TRICARE": ClaimFilingIndicator.TRICARE, "VA": ClaimFilingIndicator.VA,
              "WC": ClaimFilingIndicator.WORKERS_COMP}
RANKS = {"1": CoverageRank.PRIMARY, "2": CoverageRank.SECONDARY}
SUBSCRIBER_FIELDS = {"subscriber_given_name": 16, "subscriber_family_name": 16, "subscriber_birth_date": 18,
                     "subscriber_sex": 43, "subscriber_address_line": 19, "subscriber_city": 19,
                     "subscriber_state": 19, "subscriber_zip": 19, "member_id": 36, "group_number": 8,
                     "relationship": 17, "rank": 22, "expiration_date": 13, "name": 4, "payer_id": 3}


def _in_sequence(error: Hl7Error, sequence: int) -> Hl7Error:
    error.sequence = sequence
    return error


def _first_name(segment: Segment, number: int) -> tuple[str, str]:
    """(family, given) of an XPN/XCN field's first repetition; family is FN-1 (its surname part)."""
    parts = segment.components(segment.repetitions(number)[0]) + ["", "", ""] if segment.repetitions(number) \
        else ["", "", ""]
    return parts[0].split(segment.encoding.subcomponent)[0].strip(), parts[1].strip()


# ----------------------------------------------------------------------------- PD1


def primary_care_provider(message: Message) -> str:
    """PD1-4 (XCN) as words: "Given Family (id)", what there is of it; "" when not sent."""
    pd1 = message.segment("PD1", required=False)
    if pd1 is None or not pd1.repetitions(4):
        return ""
    parts = pd1.components(pd1.repetitions(4)[0]) + ["", "", ""]
    identifier = parts[0].strip()
    family = parts[1].split(pd1.encoding.subcomponent)[0].strip()
    name = " ".join(part for part in (parts[2].strip(), family) if part)
    if name and identifier:
        return f"{name} ({identifier})"[:160]
    return (name or identifier)[:160]


# ----------------------------------------------------------------------------- DG1


def message_encounter(message: Message, patient: Patient) -> Encounter | None:
    """The visit PV1-19 (else PID-18) names, if this patient has it; for messages (A08) that report
    diagnoses without an event on the visit."""
    pv1, pid = message.segment("PV1", required=False), message.segment("PID", required=False)
    number = (pv1.component(19, 1).strip() if pv1 is not None else "") or \
        (pid.component(18, 1).strip() if pid is not None else "")
    if not number:
        return None
    return Encounter.objects.filter(account_number=number, patient=patient).first()


def record_diagnoses(message: Message, encounter: Encounter | None, acting_user: Any) -> list[str]:
    """Each DG1 onto the encounter as reported: DG1-3 code, text and coding system (DG1-2 when
    DG1-3.3 is empty), DG1-4 the text when DG1-3.2 is empty, DG1-5 when, DG1-6 the type."""
    from chartdesk.charts.movement_actions import do_record_reported_diagnosis

    segments = message.by_name.get("DG1", [])
    if not segments:
        return []
    if encounter is None:
        return [f"{len(segments)} DG1 segment(s) left out: the message names no visit on file"]
    source = f"HL7 {message.trigger_event} from {message.msh.component(4, 1) or message.msh.component(3, 1)}, " \
             f"message {message.control_id}"
    kept = repeated = 0
    for sequence, dg1 in enumerate(segments, start=1):
        try:
            diagnosed_at = parse_timestamp(dg1.component(5, 1), segment="DG1", field_number=5, zone=message.zone)
        except Hl7Error as malformed:
            raise _in_sequence(malformed, sequence) from None
        type_code = dg1.component(6, 1).strip()
        try:
            _, new = do_record_reported_diagnosis(
                encounter, code=dg1.component(3, 1), coding_system=dg1.component(3, 3) or dg1.component(2, 1),
                description=dg1.component(3, 2) or dg1.component(4, 1),
                diagnosis_type=DIAGNOSIS_TYPES.get(type_code.upper(), type_code), diagnosed_at=diagnosed_at,
                source=source[:200], acting_user=acting_user)
        except NotFound:
            raise
        except ChartdeskError as refusal:
            number = {"code": 3, "coding_system": 3, "description": 4, "diagnosis_type": 6}.get(refusal.field or "", 3)
            raise Hl7Error(refusal.message, segment="DG1", sequence=sequence, field_number=number,
                           code="101" if number == 3 and "needs" in refusal.message else "207") from None
        kept, repeated = kept + new, repeated + (not new)
    notes = [f"{kept} reported diagnosis(es) kept on visit {encounter.account_number}"] if kept else []
    if repeated:
        notes.append(f"{repeated} reported diagnosis(es) already on file")
    return notes


# ----------------------------------------------------------------------------- IN1


@dataclass
class InsuranceInput:
    payer_id: str
    payer_name: str
    filing_indicator: str
    rank: str
    member_id: str
    fields: dict[str, Any]


def _insurance(message: Message, in1: Segment, sequence: int) -> InsuranceInput | str:
    """What one IN1 says, or why it cannot be kept (a note for the ACK)."""
    payer_id = in1.component(3, 1).strip().upper()
    member_id = in1.component(36, 1).strip() or in1.component(49, 1).strip()
    if not payer_id:
        return f"IN1 {sequence} left out: no insurance company ID (IN1-3)"
    if not member_id:
        return f"IN1 {sequence} left out: no policy number (IN1-36) or insured's ID (IN1-49)"
    rank = RANKS.get(in1.component(22, 1).strip()) or RANKS.get(str(sequence))
    if rank is None:
        return f"IN1 {sequence} left out: billing keeps a primary and a secondary coverage only"
    try:
        effective = parse_date(in1.component(12, 1), segment="IN1", field_number=12)
        expiration = parse_date(in1.component(13, 1), segment="IN1", field_number=13)
        born = parse_date(in1.component(18, 1), segment="IN1", field_number=18)
    except Hl7Error as malformed:
        raise _in_sequence(malformed, sequence) from None
    relationship_code = in1.component(17, 1).strip().upper()
    relationship = RELATIONSHIPS.get(relationship_code, SubscriberRelationship.SELF if not relationship_code
                                     else SubscriberRelationship.OTHER)
    family, given = _first_name(in1, 16)
    address = in1.components(in1.repetitions(19)[0]) + [""] * 5 if in1.repetitions(19) else [""] * 5
    fields: dict[str, Any] = {
        "group_number": in1.component(8, 1).strip(), "relationship": relationship, "effective_date": effective,
        "expiration_date": expiration, "subscriber_given_name": given, "subscriber_family_name": family,
        "subscriber_birth_date": born, "subscriber_sex": in1.component(43, 1).strip().upper()[:1],
        "subscriber_address_line": address[0].split(in1.encoding.subcomponent)[0].strip()[:55],
        "subscriber_city": address[2].strip()[:30], "subscriber_state": address[3].strip()[:2].upper(),
        "subscriber_zip": "".join(ch for ch in address[4] if ch.isdigit())[:9],
    }
    return InsuranceInput(payer_id=payer_id[:20], payer_name=(in1.component(4, 1).strip() or payer_id)[:60],
                          filing_indicator=PLAN_TYPES.get(in1.component(15, 1).strip().upper(),
                                                          ClaimFilingIndicator.COMMERCIAL),
                          rank=rank, member_id=member_id, fields=fields)


def _keep_coverage(patient: Patient, insurance: InsuranceInput, acting_user: Any) -> str:
    from chartdesk.billing.actions import do_add_coverage, do_end_coverage, do_save_payer

    # Payers are matched by payer ID, as billing's set-up page does; one the feed names first is created.
    payer = Payer.objects.filter(payer_id=insurance.payer_id).first()
    current = Coverage.objects.filter(patient=patient, rank=insurance.rank, active=True).first()
    if (current is not None and payer is not None and current.payer_id == payer.pk
            and current.member_id == insurance.member_id
            and current.group_number == insurance.fields["group_number"]
            and current.effective_date == insurance.fields["effective_date"]
            and current.expiration_date == insurance.fields["expiration_date"]):
        return f"{insurance.rank} coverage {insurance.payer_id} {insurance.member_id} already on file"
    if payer is None:
        payer = do_save_payer(acting_user=acting_user, name=insurance.payer_name, payer_id=insurance.payer_id,
                              claim_filing_indicator=insurance.filing_indicator)
    if current is not None:
        do_end_coverage(current, acting_user=acting_user)
    do_add_coverage(patient, payer=payer, rank=insurance.rank, member_id=insurance.member_id,
                    acting_user=acting_user, **insurance.fields)
    return f"{insurance.rank} coverage {insurance.payer_id} {insurance.member_id} kept" + \
        (" (the one before it ended)" if current is not None else "")


def record_insurance(message: Message, patient: Patient, acting_user: Any) -> list[str]:
    """Each IN1 into billing's coverage: IN1-3 payer ID (the payer found by it, else created with IN1-4's
    name and IN1-15's plan type), IN1-36 policy number (else IN1-49) as member ID, IN1-8 group, IN1-12/13
    plan dates, IN1-16..19 and IN1-43 the subscriber, IN1-17 the relationship, IN1-22 (else the IN1's
    order) primary or secondary. A different coverage at the same rank replaces the one on file, which
    is ended, not deleted."""
    notes = []
    for sequence, in1 in enumerate(message.by_name.get("IN1", []), start=1):
        insurance = _insurance(message, in1, sequence)
        if isinstance(insurance, str):
            notes.append(insurance)
            continue
        try:
            # A savepoint: a coverage billing refuses takes the payer created for it back with it.
            with transaction.atomic():
                notes.append(_keep_coverage(patient, insurance, acting_user))
        except NotFound:
            raise
        except ChartdeskError as refusal:
            where = SUBSCRIBER_FIELDS.get(refusal.field or "", 3)
            notes.append(f"IN1 {sequence} left out (IN1-{where}): {refusal.message}")
    return notes


def record_stated_demographics(message: Message, encounter: Encounter | None, acting_user: Any) -> list[str]:
    """PID as this visit's message stated it (A01, A04, A08), kept beside the visit: the evidence
    overlays are found with. A new conflict puts the chart on the HIM overlay list at once (the ACK
    says so); the message is applied as usual, since the sender is the source of its demographics."""
    from chartdesk.charts.stated import StatedPerson, do_record_stated_demographics
    from chartdesk.interop.hl7v2.pid import person_identifiers, registration_from_pid

    if encounter is None:
        return []
    pid = message.segment("PID")
    assert pid is not None
    registration = registration_from_pid(message, [])
    identifiers = tuple((each.kept_type, each.issuer[:80], each.value) for each in person_identifiers(message, pid))
    person = replace(StatedPerson.of_registration(registration), identifiers=identifiers)
    reference = f"ADT^{message.trigger_event} {message.control_id} from {message.msh.component(4, 1) or 'the feed'}"
    _, case = do_record_stated_demographics(encounter, person, source="hl7", reference=reference,
                                            acting_user=acting_user)
    if case is None:
        return []
    return [f"possible overlay: MRN {encounter.patient.mrn} is on the HIM overlay list ({', '.join(case.fields)})"]
