"""ADT events applied to the MPI and encounters, through the patients and charts actions as the
interface account. Every refusal names the segment and field (HL7 ERR-2) it came from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chartdesk.charts.actions import (
    ACCOUNT_NUMBER_PATTERN,
    do_add_care_team_member,
    do_discharge_encounter,
    do_finish_encounter,
    do_open_encounter,
)
from chartdesk.charts.models import (
    CareRole,
    DischargeDisposition,
    Encounter,
    EncounterClass,
    EncounterStatus,
    Provider,
)
from chartdesk.charts.movement_actions import (
    do_cancel_encounter,
    do_change_encounter_class,
    do_reopen_encounter,
    do_transfer_encounter,
)
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.interop.hl7v2.parser import Hl7Error, Message, Segment, parse_timestamp
from chartdesk.interop.hl7v2.pid import (
    ACCOUNT_TYPES,
    Applied,
    SenderIdentifier,
    find_by_identifier,
    find_or_register_patient,
    identifier_inputs,
    person_identifiers,
    record_contacts,
    sender_identifiers,
    update_demographics,
)
from chartdesk.interop.hl7v2.segments import (
    message_encounter,
    record_diagnoses,
    record_insurance,
    record_stated_demographics,
)
from chartdesk.patients.models import MergeMove, Patient, PatientIdentifier

# A28/A31 carry a person and no visit; A05 (pre-admission) registers the person, and the visit is
# opened by the A01/A04 that follows. A29 asks for a person to be deleted, which the legal record
# never does: it raises an alert for HIM review instead.
ADMIT_EVENTS = {"A01": "I", "A04": "O"}
PERSON_EVENTS = ("A05", "A08", "A28", "A31")
VISIT_EVENTS = ("A02", "A03", "A06", "A07", "A11", "A12", "A13")
MERGE_EVENTS = ("A34", "A40")
SUPPORTED_EVENTS = (*ADMIT_EVENTS, *PERSON_EVENTS, *VISIT_EVENTS, "A29", *MERGE_EVENTS, "A35", "A47")
CLASS_CODES = {"I": EncounterClass.INPATIENT, "E": EncounterClass.EMERGENCY, "O": EncounterClass.OUTPATIENT,
               "R": EncounterClass.OUTPATIENT, "B": EncounterClass.INPATIENT, "P": EncounterClass.OUTPATIENT}
# PV1 doctors (XCN, found by NPI in XCN-1) and the care-team role each becomes.
PV1_DOCTORS = {8: CareRole.REFERRING, 9: CareRole.CONSULTING, 17: CareRole.ADMITTING}


def _refused(refusal: ChartdeskError, segment: str, field_number: int) -> Hl7Error:
    return Hl7Error(refusal.message, segment=segment, field_number=field_number, code="207")


def _sender(message: Message) -> str:
    sender = message.msh.component(4, 1) or message.msh.component(3, 1) or "the feed"
    return f"HL7 {message.trigger_event} from {sender}"


# ----------------------------------------------------------------------------- MRG (A34, A40, A47)


def _prior_identifiers(message: Message, mrg: Segment) -> list[SenderIdentifier]:
    found = [each for each in sender_identifiers(message, mrg, 1) if each.code not in ACCOUNT_TYPES]
    if not found:
        raise Hl7Error("MRG-1 (prior patient identifier list) is required", segment="MRG", field_number=1,
                       code="101")
    return found


def _mrg(message: Message) -> Segment:
    mrg = message.segment("MRG", required=False)
    if mrg is None:
        raise Hl7Error(f"an {message.trigger_event} needs an MRG segment naming the prior record", segment="MRG",
                       code="100")
    return mrg


def merge(message: Message, acting_user: Any) -> Applied:
    """A40 (A34 in older feeds): the patient in MRG-1 is the same person as the one in PID-3; the PID
    patient survives.

    A merge the MPI already holds (the sender repeating itself after a lost ACK) is acknowledged
    without change."""
    from chartdesk.patients.merge_actions import do_merge_patients

    pid, mrg = message.segment("PID"), _mrg(message)
    assert pid is not None
    survivor, _ = find_by_identifier(person_identifiers(message, pid))
    if survivor is None:
        raise Hl7Error("PID-3 names no patient known here: the surviving record must exist", segment="PID",
                       field_number=3, code="204")
    retired, row = find_by_identifier(_prior_identifiers(message, mrg), segment="MRG", field_number=1)
    if retired is None:
        raise Hl7Error("MRG-1 names no patient known here", segment="MRG", field_number=1, code="204")
    if retired.merged_into_id == survivor.pk or (retired.pk == survivor.pk and _moved_by_merge(row, survivor)):
        return Applied(survivor, [f"MRG-1 is already merged into MRN {survivor.mrn}"])
    if retired.pk == survivor.pk:
        raise Hl7Error("MRG-1 names the same patient as PID-3: a record cannot be merged into itself",
                       segment="MRG", field_number=1, code="207")
    try:
        do_merge_patients(survivor, retired, reason=f"{_sender(message)}, message {message.control_id}",
                          acting_user=acting_user)
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


def change_identifier(message: Message, acting_user: Any) -> Applied:
    """A47: the identifier in MRG-1 was wrong; PID-3 holds the right one for the same patient. The new
    number replaces the old one from the same issuer and of the same type (deactivated, not deleted)."""
    from chartdesk.patients.actions import do_add_identifier

    pid, mrg = message.segment("PID"), _mrg(message)
    assert pid is not None
    patient, _ = find_by_identifier(_prior_identifiers(message, mrg), segment="MRG", field_number=1)
    new_identifiers = person_identifiers(message, pid)
    holder, _ = find_by_identifier(new_identifiers)
    if patient is None and holder is not None:
        return Applied(holder, ["the identifier was already changed; nothing changed"])
    if patient is None:
        raise Hl7Error("MRG-1 names no patient known here", segment="MRG", field_number=1, code="204")
    if holder is not None and holder.pk != patient.pk:
        raise Hl7Error(f"PID-3 already belongs to MRN {holder.mrn}: that is a merge (A40), not a change of "
                       "identifier", segment="PID", field_number=3, code="207")
    if holder is not None:
        return Applied(patient, ["the identifier was already changed; nothing changed"])
    for identifier in identifier_inputs(new_identifiers):
        try:
            do_add_identifier(patient, identifier, acting_user=acting_user)
        except ChartdeskError as refusal:
            raise _refused(refusal, "PID", 3) from None
    return Applied(patient, [f"identifier of MRN {patient.mrn} changed"])


def change_account_number(message: Message, acting_user: Any) -> Applied:
    """A35: the visit whose account number is MRG-3 now has PID-18's. Already renumbered: AA."""
    from chartdesk.charts.movement_actions import do_change_account_number

    pid, mrg = message.segment("PID"), _mrg(message)
    assert pid is not None
    patient, _ = find_by_identifier(person_identifiers(message, pid))
    if patient is None:
        raise Hl7Error("PID-3 names no patient known here", segment="PID", field_number=3, code="204")
    before, after = mrg.component(3, 1).strip(), pid.component(18, 1).strip()
    if not before:
        raise Hl7Error("MRG-3 (prior patient account number) is required", segment="MRG", field_number=3,
                       code="101")
    if not after:
        raise Hl7Error("PID-18 (patient account number) is required: the new number", segment="PID",
                       field_number=18, code="101")
    if not ACCOUNT_NUMBER_PATTERN.match(after):
        raise Hl7Error(f"PID-18 (patient account number) {after!r}: letters, digits and hyphens, at most 20",
                       segment="PID", field_number=18, code="102")
    encounter = Encounter.objects.filter(account_number=before, patient=patient).first()
    if encounter is None:
        if Encounter.objects.filter(account_number=after, patient=patient).exists():
            return Applied(patient, [f"visit {after} was already renumbered; nothing changed"])
        raise Hl7Error(f"no visit {before} for this patient", segment="MRG", field_number=3, code="204")
    try:
        do_change_account_number(encounter, account_number=after,
                                 reason=f"{_sender(message)}, message {message.control_id}", acting_user=acting_user)
    except NotFound:
        raise
    except ChartdeskError as refusal:
        raise _refused(refusal, "PID", 18) from None
    return Applied(patient, [f"visit {before} is now {after}"])


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


def _visit_number(message: Message, pv1: Segment) -> str:
    """PV1-19 (visit number), else PID-18 (patient account number); "" when the sender sent neither."""
    number, where = pv1.component(19, 1).strip(), 19
    pid = message.segment("PID")
    if not number and pid is not None:
        number, where = pid.component(18, 1).strip(), 18
    if number and not ACCOUNT_NUMBER_PATTERN.match(number):
        raise Hl7Error(f"{'PV1' if where == 19 else 'PID'}-{where} (visit number) {number!r}: letters, digits and "
                       "hyphens, at most 20", segment="PV1" if where == 19 else "PID", field_number=where, code="102")
    return number


def _pv1(message: Message) -> Segment:
    pv1 = message.segment("PV1")
    assert pv1 is not None
    return pv1


def _location(pv1: Segment) -> str:
    return "-".join(part for part in (pv1.component(3, 1), pv1.component(3, 2), pv1.component(3, 3)) if part)[:80]


def _provider(pv1: Segment, number: int) -> tuple[str, Provider | None]:
    npi = pv1.component(number, 1).strip()
    return npi, Provider.objects.filter(npi=npi, active=True).first() if npi else None


def admit(message: Message, patient: Patient, acting_user: Any, *, default_class: str,
          ) -> tuple[list[str], Encounter]:
    pv1 = _pv1(message)
    number = _visit_number(message, pv1)
    if number:
        existing = Encounter.objects.filter(account_number=number).first()
        if existing is not None:
            if existing.patient_id != patient.pk:
                raise Hl7Error(f"visit number {number} belongs to another patient", segment="PV1", field_number=19)
            return [f"visit {number} was already registered; nothing changed"], existing
    class_code = pv1.component(2, 1) or default_class
    if class_code not in CLASS_CODES:
        raise Hl7Error(f"PV1-2 (patient class) {class_code!r} is not one of {', '.join(CLASS_CODES)}",
                       segment="PV1", field_number=2, code="102")
    admitted = _moment(message, pv1, 44)
    attending_id, attending = _provider(pv1, 7)
    pv2 = message.segment("PV2", required=False)
    reason = (pv2.component(3, 2) or pv2.component(3, 1)) if pv2 is not None else ""
    try:
        encounter = do_open_encounter(
            patient, encounter_class=CLASS_CODES[class_code], admit_at=admitted, acting_user=acting_user,
            attending=attending, service=pv1.component(10, 1)[:80], location=_location(pv1), reason=reason[:200],
            account_number=number or None)
    except NotFound:
        raise
    except ChartdeskError as refusal:
        raise _refused(refusal, "PV1", 44 if refusal.field == "admit_at" else 19) from None
    notes = [f"visit {encounter.account_number} opened"]
    if not number:
        notes.append(f"no visit number in PV1-19 or PID-18: {encounter.account_number} generated here")
    if attending_id and attending is None:
        notes.append(f"attending {attending_id} is not a known NPI; left empty")
    notes += _care_team(pv1, encounter, acting_user)
    return notes, encounter


def _care_team(pv1: Segment, encounter: Encounter, acting_user: Any) -> list[str]:
    notes = []
    for number, role in PV1_DOCTORS.items():
        npi, provider = _provider(pv1, number)
        if provider is None:
            if npi:
                notes.append(f"PV1-{number} {npi} is not a known NPI; left out")
            continue
        try:
            do_add_care_team_member(encounter, provider, role, acting_user=acting_user)
        except ChartdeskError as refusal:
            notes.append(f"PV1-{number}: {refusal.message}")
    return notes


def _visit(message: Message, patient: Patient, *, status: str) -> Encounter:
    """The visit the message names (PV1-19, else PID-18) or, when it names none, the patient's one
    visit with `status` (an open stay for a transfer or discharge)."""
    pv1 = _pv1(message)
    number = _visit_number(message, pv1)
    if number:
        encounter = Encounter.objects.filter(account_number=number, patient=patient).first()
        if encounter is None:
            raise Hl7Error(f"no visit {number} for this patient", segment="PV1", field_number=19)
    else:
        candidates = list(Encounter.objects.filter(patient=patient, status=status).order_by("-admit_at")[:2])
        if len(candidates) != 1:
            state = EncounterStatus(status).label.lower()
            raise Hl7Error(f"PV1-19 (visit number) is empty and the patient has "
                           f"{'no' if not candidates else 'several'} {state} visits: name the visit", segment="PV1",
                           field_number=19, code="101")
        encounter = candidates[0]
    encounter.patient = patient  # the chart just found: the actions read it without asking again
    return encounter


def discharge(message: Message, patient: Patient, acting_user: Any) -> tuple[list[str], Encounter]:
    pv1 = _pv1(message)
    number = _visit_number(message, pv1)
    encounter = (_visit(message, patient, status=EncounterStatus.IN_PROGRESS) if not number
                 else _visit(message, patient, status=EncounterStatus.FINISHED))
    if encounter.status == EncounterStatus.FINISHED:
        return [f"visit {encounter.account_number} was already discharged; nothing changed"], encounter
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
    return [f"visit {encounter.account_number} discharged"], encounter


def move(message: Message, patient: Patient, acting_user: Any) -> list[str]:
    """A02 transfer, A12 its cancellation (PV1-3 then holds the location before the transfer), A06/A07
    a change of patient class, A11 a cancelled admission, A13 a cancelled discharge."""
    event = message.trigger_event
    pv1 = _pv1(message)
    encounter = _visit(message, patient, status=EncounterStatus.FINISHED if event == "A13"
                       else EncounterStatus.IN_PROGRESS)
    number = encounter.account_number
    try:
        if event in ("A02", "A12"):
            location = _location(pv1)
            if not location:
                raise Hl7Error("PV1-3 (assigned patient location) is required", segment="PV1", field_number=3,
                               code="101")
            if encounter.location == location:
                return [f"visit {number} is already at {location}; nothing changed"]
            do_transfer_encounter(encounter, location=location, acting_user=acting_user)
            return [f"visit {number} moved to {location}"]
        if event in ("A06", "A07"):
            code = pv1.component(2, 1) or ("I" if event == "A06" else "O")
            if code not in CLASS_CODES:
                raise Hl7Error(f"PV1-2 (patient class) {code!r} is not one of {', '.join(CLASS_CODES)}",
                               segment="PV1", field_number=2, code="102")
            if encounter.encounter_class == CLASS_CODES[code]:
                return [f"visit {number} is already {CLASS_CODES[code].label.lower()}; nothing changed"]
            do_change_encounter_class(encounter, encounter_class=CLASS_CODES[code], acting_user=acting_user)
            return [f"visit {number} is now {CLASS_CODES[code].label.lower()}"]
        reason = f"{_sender(message)}, message {message.control_id}"
        if event == "A11":
            if encounter.status == EncounterStatus.CANCELLED:
                return [f"visit {number} was already cancelled; nothing changed"]
            do_cancel_encounter(encounter, reason=reason, acting_user=acting_user)
            return [f"visit {number} cancelled"]
        if encounter.status == EncounterStatus.IN_PROGRESS:
            return [f"visit {number} is already in progress; nothing changed"]
        do_reopen_encounter(encounter, reason=reason, acting_user=acting_user)
        return [f"discharge of visit {number} cancelled"]
    except NotFound:
        raise
    except ChartdeskError as refusal:
        raise _refused(refusal, "PV1", 3 if event in ("A02", "A12") else 2 if event in ("A06", "A07") else 19) from None


def apply_adt(message: Message, acting_user: Any) -> Applied:
    """Apply one ADT message; raises Hl7Error (with its segment and field) when it cannot."""
    if message.message_code != "ADT":
        raise Hl7Error(f"message type {message.message_code} is not accepted (ADT only)", segment="MSH",
                       field_number=9, reject=True, code="200")
    event = message.trigger_event
    if event not in SUPPORTED_EVENTS:
        raise Hl7Error(f"event {event or '(none)'} is not accepted ({', '.join(SUPPORTED_EVENTS)})",
                       segment="MSH", field_number=9, reject=True, code="201")
    try:
        if event in MERGE_EVENTS:
            return merge(message, acting_user)
        if event == "A47":
            return change_identifier(message, acting_user)
        if event == "A35":
            return change_account_number(message, acting_user)
        if event == "A29":
            return _delete_requested(message)
        applied = find_or_register_patient(message, acting_user)
        assert applied.patient is not None
        just_registered = bool(applied.notes)
        encounter: Encounter | None = None
        if event in ADMIT_EVENTS:
            notes, encounter = admit(message, applied.patient, acting_user, default_class=ADMIT_EVENTS[event])
            applied.notes += notes
        elif event == "A03":
            notes, encounter = discharge(message, applied.patient, acting_user)
            applied.notes += notes
        elif event in VISIT_EVENTS:
            applied.notes += move(message, applied.patient, acting_user)
            encounter = message_encounter(message, applied.patient)
        elif not just_registered:  # A05, A08, A28, A31 of a patient already known: the PID as it is now
            applied.notes += update_demographics(message, applied.patient, acting_user)
        if event == "A05":
            applied.notes.append("pre-admission: the visit is opened by the admission (A01/A04) that follows")
        if event in (*ADMIT_EVENTS, "A08"):
            applied.notes += record_stated_demographics(message, encounter or message_encounter(
                message, applied.patient), acting_user)
        applied.notes += record_contacts(message, applied.patient, acting_user)
        if event not in ("A28", "A31"):  # person only: no visit to report diagnoses on
            applied.notes += record_diagnoses(message, encounter or message_encounter(message, applied.patient),
                                              acting_user)
        applied.notes += record_insurance(message, applied.patient, acting_user)
    except NotFound:
        raise Hl7Error("the patient's chart is restricted: grant the interface account access to it",
                       segment="PID", field_number=3) from None
    return applied


def _delete_requested(message: Message) -> Applied:
    pid = message.segment("PID")
    assert pid is not None
    patient, _ = find_by_identifier(person_identifiers(message, pid))
    if patient is None:
        raise Hl7Error("PID-3 names no patient known here", segment="PID", field_number=3, code="204")
    note = (f"A29 asks to delete MRN {patient.mrn}: the legal record is never deleted; "
            "an alert was raised for HIM review")
    return Applied(patient, [note], alerts=[("delete-requested", note)])
