"""ADT events applied to the MPI and encounters, through the patients and charts actions as the
interface account. Every refusal names the segment and field (HL7 ERR-2) it came from."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.conf import settings

from chartdesk.charts.actions import (
    ACCOUNT_NUMBER_PATTERN,
    do_discharge_encounter,
    do_finish_encounter,
    do_open_encounter,
)
from chartdesk.charts.models import DischargeDisposition, Encounter, EncounterClass, EncounterStatus, Provider
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.interop.hl7v2.ack import RECEIVING_APPLICATION
from chartdesk.interop.hl7v2.parser import Hl7Error, Message, Segment, check_content, parse_date, parse_timestamp
from chartdesk.interop.matching import AUTO_LINK_SCORE, conflicting_identifier
from chartdesk.patients.models import IdentifierType, MergeMove, Patient, PatientIdentifier
from chartdesk.patients.schemas import AddressInput, IdentifierInput, PatientRegistration
from chartdesk.patients.validation import InvalidField, InvalidPatientData, identifier_value_key

SUPPORTED_EVENTS = ("A01", "A03", "A04", "A08", "A40")
SEX_CODES = {"F": "F", "M": "M", "O": "X", "A": "X", "U": "U", "N": "U"}
CLASS_CODES = {"I": EncounterClass.INPATIENT, "E": EncounterClass.EMERGENCY, "O": EncounterClass.OUTPATIENT,
               "R": EncounterClass.OUTPATIENT, "B": EncounterClass.INPATIENT, "P": EncounterClass.OUTPATIENT}
PID_FIELDS = {"given_name": 5, "family_name": 5, "middle_name": 5, "birth_date": 7, "sex": 8, "ssn": 19,
              "deceased_at": 29, "email": 13}


@dataclass
class Applied:
    patient: Patient | None
    notes: list[str] = field(default_factory=list)


def _refused(refusal: ChartdeskError, segment: str, field_number: int) -> Hl7Error:
    return Hl7Error(refusal.message, segment=segment, field_number=field_number, code="207")


# ----------------------------------------------------------------------------- PID


def _identifiers(message: Message, pid: Segment) -> list[tuple[str, str, str]]:
    """(value, issuer, type) of each PID-3 repetition; the issuer defaults to the sending facility."""
    found = []
    fallback = message.msh.component(4, 1) or message.msh.component(3, 1) or "unknown"
    for repetition in pid.repetitions(3):
        parts = pid.components(repetition)
        value = parts[0].strip() if parts else ""
        if not value:
            continue
        authority = parts[3].split(pid.encoding.subcomponent)[0].strip() if len(parts) > 3 else ""
        kind = parts[4].strip() if len(parts) > 4 else ""
        found.append((value, authority or fallback, kind or "MR"))
    if not found:
        raise Hl7Error("PID-3 (patient identifier list) is required", segment="PID", field_number=3, code="101")
    return found


def _known_patient(identifiers: list[tuple[str, str, str]]) -> Patient | None:
    return _find_by_identifier(identifiers)[0]


def _find_by_identifier(identifiers: list[tuple[str, str, str]]) -> tuple[Patient | None, PatientIdentifier | None]:
    """The patient the first known identifier names, and the identifier row that named it (None for
    our own MRN)."""
    for value, issuer, _ in identifiers:
        if issuer.upper() == RECEIVING_APPLICATION:
            patient = Patient.objects.filter(mrn=value).first()
            if patient is None:
                raise Hl7Error(f"no patient has the Chartdesk MRN {value}", segment="PID", field_number=3)
            return patient, None
        row = (PatientIdentifier.objects.filter(value_key=identifier_value_key(value), issuer__iexact=issuer,
                                                active=True).select_related("patient").first())
        if row is not None:
            return row.patient, row
    return None, None


def _phone(pid: Segment) -> list[tuple[str, str]]:
    phones = []
    for repetition in pid.repetitions(13):
        parts = pid.components(repetition)
        number = parts[0] if parts and parts[0] else "".join(parts[5:7]) if len(parts) > 6 else ""
        if number:
            phones.append(("home", number))
    return phones[:1]


def _address(pid: Segment) -> list[AddressInput]:
    from chartdesk.patients.actions import clean_address

    for repetition in pid.repetitions(11):
        parts = pid.components(repetition) + [""] * 6
        try:
            return [clean_address(AddressInput(line1=parts[0], line2=parts[1], city=parts[2], state=parts[3],
                                               postal_code=parts[4]))]
        except InvalidField:
            return []
    return []


def registration_from_pid(message: Message) -> PatientRegistration:
    pid = message.segment("PID")
    assert pid is not None
    name = pid.components(pid.repetitions(5)[0]) if pid.repetitions(5) else []
    name += [""] * 5
    family = name[0].split(pid.encoding.subcomponent)[0]
    if not family or not name[1]:
        raise Hl7Error("PID-5 (patient name) needs the family and given names", segment="PID", field_number=5,
                       code="101")
    born = parse_date(pid.component(7, 1), segment="PID", field_number=7)
    if born is None:
        raise Hl7Error("PID-7 (date of birth) is required", segment="PID", field_number=7, code="101")
    sex_code = pid.component(8, 1) or "U"
    if sex_code not in SEX_CODES:
        raise Hl7Error(f"PID-8 (sex) {sex_code!r} is not one of {', '.join(SEX_CODES)}", segment="PID",
                       field_number=8, code="102")
    died = parse_timestamp(pid.component(29, 1), segment="PID", field_number=29, zone=message.zone)
    return PatientRegistration(
        given_name=name[1], middle_name=name[2], family_name=family, suffix=name[3][:20], prefix=name[4][:20],
        birth_date=born, sex=SEX_CODES[sex_code], ssn=pid.component(19, 1), deceased_at=died,
        phones=tuple(_phone(pid)), addresses=tuple(_address(pid)),
    )


def _register(message: Message, registration: PatientRegistration, identifiers: list[tuple[str, str, str]],
              acting_user: Any) -> Applied:
    from chartdesk.patients.actions import do_add_identifier, do_register_patient
    from chartdesk.patients.matching import likely_matches

    own = [IdentifierInput(type=kind if kind in IdentifierType.values and kind != "RMRN" else "MR",
                           issuer=issuer[:80], value=value) for value, issuer, kind in identifiers]
    candidates = likely_matches(registration)
    linkable = [candidate for candidate in candidates if not conflicting_identifier(candidate.patient, own)]
    if linkable and linkable[0].score >= AUTO_LINK_SCORE:
        patient = linkable[0].patient
        for identifier in own:
            do_add_identifier(patient, identifier, acting_user=acting_user)
        return Applied(patient, [f"matched MRN {patient.mrn}"])
    try:
        patient = do_register_patient(replace(registration, identifiers=tuple(own)), acting_user=acting_user)
    except InvalidPatientData as invalid:
        name, text = next(iter(invalid.errors.items()))
        raise Hl7Error(text, segment="PID", field_number=_pid_field(name), code="207") from None
    notes = [f"registered as MRN {patient.mrn}"]
    if candidates:
        notes.append(f"possible duplicate of MRN {candidates[0].patient.mrn} for HIM review")
    return Applied(patient, notes)


def _pid_field(name: str) -> int:
    """The PID field a registration field came from (phone_0 -> 13, address_line1 -> 11)."""
    if name.startswith("phone"):
        return 13
    if name.startswith("address"):
        return 11
    if name.startswith("identifier"):
        return 3
    return PID_FIELDS.get(name, 0)


def find_or_register_patient(message: Message, acting_user: Any) -> Applied:
    pid = message.segment("PID")
    assert pid is not None
    identifiers = _identifiers(message, pid)
    patient = _known_patient(identifiers)
    if patient is not None:
        return Applied(patient)
    return _register(message, registration_from_pid(message), identifiers, acting_user)


def update_demographics(message: Message, patient: Patient, acting_user: Any) -> list[str]:
    from chartdesk.patients.actions import do_update_demographics

    registration = registration_from_pid(message)
    changes: dict[str, Any] = {"given_name": registration.given_name, "middle_name": registration.middle_name,
                               "family_name": registration.family_name, "birth_date": registration.birth_date,
                               "sex": registration.sex}
    if registration.deceased_at is not None:
        changes["deceased_at"] = registration.deceased_at
    try:
        fresh = do_update_demographics(patient, changes, expected_revision=patient.revision, acting_user=acting_user)
    except InvalidPatientData as invalid:
        name, text = next(iter(invalid.errors.items()))
        raise Hl7Error(text, segment="PID", field_number=_pid_field(name)) from None
    return ["demographics updated" if fresh.revision != patient.revision else "demographics unchanged"]


# ----------------------------------------------------------------------------- MRG (A40)


def merge(message: Message, acting_user: Any) -> Applied:
    """A40: the patient in MRG-1 is the same person as the one in PID-3; the PID patient survives.

    A merge the MPI already holds (the sender repeating itself after a lost ACK) is acknowledged
    without change."""
    from chartdesk.patients.merge_actions import do_merge_patients

    pid, mrg = message.segment("PID"), message.segment("MRG", required=False)
    assert pid is not None
    if mrg is None:
        raise Hl7Error("an A40 needs an MRG segment naming the record to merge", segment="MRG", code="100")
    survivor = _known_patient(_identifiers(message, pid))
    if survivor is None:
        raise Hl7Error("PID-3 names no patient known here: the surviving record must exist", segment="PID",
                       field_number=3, code="204")
    retired, row = _find_by_identifier(_merge_identifiers(message, mrg))
    if retired is None:
        raise Hl7Error("MRG-1 names no patient known here", segment="MRG", field_number=1, code="204")
    if retired.merged_into_id == survivor.pk or (retired.pk == survivor.pk and _moved_by_merge(row, survivor)):
        return Applied(survivor, [f"MRG-1 is already merged into MRN {survivor.mrn}"])
    if retired.pk == survivor.pk:
        raise Hl7Error("MRG-1 names the same patient as PID-3: a record cannot be merged into itself",
                       segment="MRG", field_number=1, code="207")
    try:
        do_merge_patients(survivor, retired, reason=f"HL7 A40 from {message.msh.component(4, 1) or 'the feed'}, "
                                                     f"message {message.control_id}", acting_user=acting_user)
    except NotFound:
        raise
    except ChartdeskError as refusal:
        raise _refused(refusal, "MRG", 1) from None
    return Applied(survivor, [f"MRN {retired.mrn} merged into MRN {survivor.mrn}"])


def _moved_by_merge(row: PatientIdentifier | None, survivor: Patient) -> bool:
    """Whether this identifier reached the survivor through a merge still in force: then an A40 naming
    it is a repeat of that merge, not a request to merge a record into itself."""
    if row is None:
        return False
    return MergeMove.objects.filter(model_label=PatientIdentifier._meta.label, object_pk=str(row.pk),
                                    merge__survivor=survivor, merge__unmerged_at__isnull=True).exists()


def _merge_identifiers(message: Message, mrg: Segment) -> list[tuple[str, str, str]]:
    fallback = message.msh.component(4, 1) or message.msh.component(3, 1) or "unknown"
    found = []
    for repetition in mrg.repetitions(1):
        parts = mrg.components(repetition)
        value = parts[0].strip() if parts else ""
        if value:
            authority = parts[3].split(mrg.encoding.subcomponent)[0].strip() if len(parts) > 3 else ""
            found.append((value, authority or fallback, parts[4].strip() if len(parts) > 4 else "MR"))
    if not found:
        raise Hl7Error("MRG-1 (prior patient identifier list) is required", segment="MRG", field_number=1,
                       code="101")
    return found


# ----------------------------------------------------------------------------- PV1


def _moment(message: Message, pv1: Segment, number: int) -> datetime:
    """PV1-44/45, else the event time (EVN-2), else the message time (MSH-7)."""
    found = parse_timestamp(pv1.component(number, 1), segment="PV1", field_number=number, zone=message.zone)
    if found is None:
        evn = message.segment("EVN", required=False)
        if evn is not None:
            found = parse_timestamp(evn.component(2, 1), segment="EVN", field_number=2, zone=message.zone)
    if found is None:
        found = parse_timestamp(message.msh.component(7, 1), segment="MSH", field_number=7)
    if found is None:
        raise Hl7Error(f"PV1-{number} is empty and so are EVN-2 and MSH-7: no time to record", segment="PV1",
                       field_number=number, code="101")
    return found


def _account_number(pv1: Segment) -> str:
    number = pv1.component(19, 1).strip()
    if not number:
        raise Hl7Error("PV1-19 (visit number) is required", segment="PV1", field_number=19, code="101")
    if not ACCOUNT_NUMBER_PATTERN.match(number):
        raise Hl7Error(f"PV1-19 (visit number) {number!r}: letters, digits and hyphens, at most 20",
                       segment="PV1", field_number=19, code="102")
    return number


def admit(message: Message, patient: Patient, acting_user: Any, *, default_class: str) -> list[str]:
    pv1 = message.segment("PV1")
    assert pv1 is not None
    number = _account_number(pv1)
    existing = Encounter.objects.filter(account_number=number).first()
    if existing is not None:
        if existing.patient_id != patient.pk:
            raise Hl7Error(f"visit number {number} belongs to another patient", segment="PV1", field_number=19)
        return [f"visit {number} was already registered; nothing changed"]
    class_code = pv1.component(2, 1) or default_class
    if class_code not in CLASS_CODES:
        raise Hl7Error(f"PV1-2 (patient class) {class_code!r} is not one of {', '.join(CLASS_CODES)}",
                       segment="PV1", field_number=2, code="102")
    admitted = _moment(message, pv1, 44)
    attending_id = pv1.component(7, 1)
    attending = Provider.objects.filter(npi=attending_id, active=True).first() if attending_id else None
    location = "-".join(part for part in (pv1.component(3, 1), pv1.component(3, 2), pv1.component(3, 3)) if part)
    try:
        do_open_encounter(patient, encounter_class=CLASS_CODES[class_code], admit_at=admitted, acting_user=acting_user,
                          attending=attending, service=pv1.component(10, 1)[:80], location=location[:80],
                          account_number=number)
    except NotFound:
        raise
    except ChartdeskError as refusal:
        raise _refused(refusal, "PV1", 44 if refusal.field == "admit_at" else 19) from None
    notes = [f"visit {number} opened"]
    if attending_id and attending is None:
        notes.append(f"attending {attending_id} is not a known NPI; left empty")
    return notes


def discharge(message: Message, patient: Patient, acting_user: Any) -> list[str]:
    pv1 = message.segment("PV1")
    assert pv1 is not None
    number = _account_number(pv1)
    encounter = Encounter.objects.filter(account_number=number, patient=patient).first()
    if encounter is None:
        raise Hl7Error(f"no visit {number} for this patient", segment="PV1", field_number=19)
    if encounter.status == EncounterStatus.FINISHED:
        return [f"visit {number} was already discharged; nothing changed"]
    ended = _moment(message, pv1, 45)
    try:
        if encounter.encounter_class == EncounterClass.OUTPATIENT:
            do_finish_encounter(encounter, finished_at=ended, acting_user=acting_user)
        else:
            code = pv1.component(36, 1)
            disposition = code if code in DischargeDisposition.values else DischargeDisposition.HOME
            do_discharge_encounter(encounter, discharge_at=ended, disposition=disposition, acting_user=acting_user)
    except NotFound:
        raise
    except ChartdeskError as refusal:
        raise _refused(refusal, "PV1", 45) from None
    return [f"visit {number} discharged"]


def apply_adt(message: Message, acting_user: Any) -> Applied:
    """Apply one ADT message; raises Hl7Error (with its segment and field) when it cannot."""
    if message.message_code != "ADT":
        raise Hl7Error(f"message type {message.message_code} is not accepted (ADT only)", segment="MSH",
                       field_number=9, reject=True, code="200")
    event = message.trigger_event
    if event not in SUPPORTED_EVENTS:
        raise Hl7Error(f"event {event or '(none)'} is not accepted ({', '.join(SUPPORTED_EVENTS)})",
                       segment="MSH", field_number=9, reject=True, code="201")
    check_content(message, max_repetitions=settings.HL7_MAX_REPETITIONS)
    try:
        if event == "A40":
            return merge(message, acting_user)
        applied = find_or_register_patient(message, acting_user)
        assert applied.patient is not None
        if event in ("A01", "A04"):
            applied.notes += admit(message, applied.patient, acting_user, default_class="I" if event == "A01" else "O")
        elif event == "A03":
            applied.notes += discharge(message, applied.patient, acting_user)
        elif event == "A08":
            if applied.notes:  # just registered from this very PID: nothing left to update
                return applied
            applied.notes += update_demographics(message, applied.patient, acting_user)
    except NotFound:
        raise Hl7Error("the patient's chart is restricted: grant the interface account access to it",
                       segment="PID", field_number=3) from None
    return applied
