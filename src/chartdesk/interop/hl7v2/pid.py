"""The person in an ADT message: PID (identifiers, demographics), NK1 (contacts), found in the MPI or
registered, through the patients actions as the interface account. Every refusal names the segment
and field (HL7 ERR-2) it came from."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from chartdesk.interop.hl7v2.ack import RECEIVING_APPLICATION
from chartdesk.interop.hl7v2.parser import Hl7Error, Message, Segment, parse_date, parse_timestamp
from chartdesk.interop.hl7v2.segments import primary_care_provider
from chartdesk.interop.matching import conflicting_identifier, may_link
from chartdesk.patients.models import ContactRole, IdentifierType, Patient, PatientIdentifier
from chartdesk.patients.schemas import AddressInput, ContactInput, IdentifierInput, PatientRegistration
from chartdesk.patients.validation import InvalidField, InvalidPatientData, identifier_value_key

SEX_CODES = {"F": "F", "M": "M", "O": "X", "A": "X", "U": "U", "N": "U"}
PID_FIELDS = {"given_name": 5, "family_name": 5, "middle_name": 5, "birth_date": 7, "sex": 8, "ssn": 19,
              "deceased_at": 29, "email": 13, "race": 10, "ethnicity": 22, "marital_status": 16,
              "preferred_language": 15}
# HL7 table 0203 codes kept as they are; SS is the SSN, AN and VN are account numbers, not the
# person's; any other code names a number of the sender's and is kept as PI (patient identifier).
KEPT_TYPES = {"MR", "MB", "MC", "MA", "DL", "PPN", "PI", "PT", "PN", "NI"}
ACCOUNT_TYPES = {"AN", "VN"}
MARITAL_STATUS = {"A": "Separated", "D": "Divorced", "M": "Married", "S": "Single", "W": "Widowed",
                  "C": "Common law", "G": "Living together", "P": "Domestic partner",
                  "R": "Registered domestic partner", "E": "Legally separated", "N": "Annulled",
                  "I": "Interlocutory", "B": "Unmarried", "U": "Unknown", "O": "Other", "T": "Unreported"}
LANGUAGES = {"EN": "English", "ENG": "English", "ES": "Spanish", "SPA": "Spanish", "FR": "French", "FRE": "French",
             "FRA": "French", "DE": "German", "GER": "German", "DEU": "German", "IT": "Italian", "ITA": "Italian",
             "ZH": "Chinese", "CHI": "Chinese", "ZHO": "Chinese", "VI": "Vietnamese", "VIE": "Vietnamese",
             "KO": "Korean", "KOR": "Korean", "RU": "Russian", "RUS": "Russian", "AR": "Arabic", "ARA": "Arabic",
             "PT": "Portuguese", "POR": "Portuguese", "TL": "Tagalog", "TGL": "Tagalog", "DA": "Danish",
             "DAN": "Danish", "NL": "Dutch", "DUT": "Dutch", "NLD": "Dutch"}
CONTACT_ROLES = {"N": ContactRole.NEXT_OF_KIN, "NOK": ContactRole.NEXT_OF_KIN, "C": ContactRole.EMERGENCY,
                 "EC": ContactRole.EMERGENCY, "EP": ContactRole.EMERGENCY, "EMC": ContactRole.EMERGENCY,
                 "EMERGENCY": ContactRole.EMERGENCY}
# CDC race and ethnicity codes (HL7 tables 0005 and 0189 in US feeds) for senders that send the code only.
RACES = {"1002-5": "American Indian or Alaska Native", "2028-9": "Asian", "2054-5": "Black or African American",
         "2076-8": "Native Hawaiian or Other Pacific Islander", "2106-3": "White", "2131-1": "Other Race"}
ETHNICITIES = {"2135-2": "Hispanic or Latino", "2186-5": "Not Hispanic or Latino", "H": "Hispanic or Latino",
               "N": "Not Hispanic or Latino", "U": "Unknown"}


@dataclass(frozen=True)
class SenderIdentifier:
    """One PID-3 (or MRG-1) repetition: the value, who assigned it, and its HL7 type code."""

    value: str
    issuer: str
    code: str

    @property
    def kept_type(self) -> str:
        return self.code if self.code in KEPT_TYPES else "MR" if not self.code else "PI"


@dataclass
class Applied:
    patient: Patient | None
    notes: list[str] = field(default_factory=list)
    alerts: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) for the interface team


def _assigner(parts: list[str], subcomponent: str, *numbers: int) -> str:
    """The first non-empty namespace id or universal id of the HD components `numbers` (CX-4, CX-6)."""
    for number in numbers:
        if len(parts) >= number:
            for piece in parts[number - 1].split(subcomponent)[:2]:
                if piece.strip():
                    return piece.strip()
    return ""


def sender_identifiers(message: Message, segment: Segment, number: int) -> list[SenderIdentifier]:
    """Each repetition of a CX field (PID-3, MRG-1): the issuer is CX-4 (assigning authority),
    else CX-6 (assigning facility), else the sending facility (MSH-4), else the sending application."""
    found = []
    fallback = message.msh.component(4, 1) or message.msh.component(3, 1) or "unknown"
    for repetition in segment.repetitions(number):
        parts = segment.components(repetition)
        value = parts[0].strip() if parts else ""
        if not value:
            continue
        issuer = _assigner(parts, segment.encoding.subcomponent, 4, 6) or fallback
        code = parts[4].strip().upper() if len(parts) > 4 else ""
        found.append(SenderIdentifier(value, issuer, code))
    return found


def person_identifiers(message: Message, pid: Segment) -> list[SenderIdentifier]:
    """PID-3's identifiers of the person (account numbers and the SSN are kept elsewhere)."""
    found = [each for each in sender_identifiers(message, pid, 3) if each.code not in ACCOUNT_TYPES | {"SS"}]
    if not found and not pid.component(3, 1) and not pid.component(2, 1):
        raise Hl7Error("PID-3 (patient identifier list) is required", segment="PID", field_number=3, code="101")
    if not found and pid.component(2, 1):  # v2.3 feeds still send the external id in PID-2
        found = [SenderIdentifier(pid.component(2, 1), message.msh.component(4, 1) or "unknown", "")]
    return found


def find_by_identifier(identifiers: list[SenderIdentifier], *, segment: str = "PID", field_number: int = 3,
                       ) -> tuple[Patient | None, PatientIdentifier | None]:
    """The patient the first known identifier names, and the identifier row that named it (None for
    our own MRN, which the sender marks with our application as the assigning authority)."""
    for each in identifiers:
        if each.issuer.upper() == RECEIVING_APPLICATION:
            patient = Patient.objects.filter(mrn=each.value).first()
            if patient is None:
                raise Hl7Error(f"no patient has the Chartdesk MRN {each.value}", segment=segment,
                               field_number=field_number)
            return patient, None
        row = (PatientIdentifier.objects.filter(value_key=identifier_value_key(each.value), issuer__iexact=each.issuer,
                                                active=True).select_related("patient").first())
        if row is not None:
            return row.patient, row
    return None, None


def _coded_text(segment: Segment, number: int, table: dict[str, str] | None = None) -> str:
    """A CWE/CE field as words: each repetition's text (component 2), else its code looked up in
    `table`, else the code itself; repetitions joined with "; "."""
    words = []
    for repetition in segment.repetitions(number):
        parts = segment.components(repetition) + ["", ""]
        code, text = parts[0].strip(), parts[1].strip()
        word = text or (table or {}).get(code.upper(), code)
        if word and word not in words:
            words.append(word)
    return "; ".join(words)


def _phone(pid: Segment, number: int = 13) -> list[tuple[str, str]]:
    phones = []
    for repetition in pid.repetitions(number):
        parts = pid.components(repetition)
        found = parts[0] if parts and parts[0] else "".join(parts[5:7]) if len(parts) > 6 else ""
        if found:
            phones.append(("home", found))
    return phones[:1]


def _address(pid: Segment, notes: list[str]) -> list[AddressInput]:
    from chartdesk.patients.actions import clean_address

    for repetition in pid.repetitions(11):
        parts = pid.components(repetition) + [""] * 6
        street = parts[0].split(pid.encoding.subcomponent)
        try:
            return [clean_address(AddressInput(line1=" ".join(part for part in street if part), line2=parts[1],
                                               city=parts[2], state=parts[3], postal_code=parts[4]))]
        except InvalidField as refused:
            notes.append(f"PID-11 (address) not kept: {refused.message}")
            return []
    return []


def _ssn(message: Message, pid: Segment, notes: list[str]) -> str:
    """PID-19, else an SS repetition of PID-3. One registration would refuse (a typing error, a
    never-issued number) is left out with a note, as the FHIR import does: the SSN helps matching but
    is not what the message is about, and refusing the admission for it would stop the feed."""
    from chartdesk.patients.validation import clean_ssn

    value = pid.component(19, 1) or next(
        (each.value for each in sender_identifiers(message, pid, 3) if each.code == "SS"), "")
    if not value:
        return ""
    try:
        return clean_ssn(value)
    except InvalidField as refused:
        notes.append(f"PID-19 (SSN) not kept: {refused.message}")
        return ""


def _usable_phones(pid: Segment, notes: list[str]) -> list[tuple[str, str]]:
    from chartdesk.patients.validation import clean_us_phone

    kept = []
    for use, number in _phone(pid):
        try:
            kept.append((use, clean_us_phone(number)))
        except InvalidField as refused:
            notes.append(f"PID-13 (phone) not kept: {refused.message}")
    return kept


def registration_from_pid(message: Message, notes: list[str] | None = None) -> PatientRegistration:
    """The registration PID describes; what is left out (an unusable SSN, phone or address) is said in
    `notes`, which the ACK carries."""
    notes = [] if notes is None else notes
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
        birth_date=born, sex=SEX_CODES[sex_code], ssn=_ssn(message, pid, notes), deceased_at=died,
        phones=tuple(_usable_phones(pid, notes)), addresses=tuple(_address(pid, notes)),
        race=_coded_text(pid, 10, RACES), ethnicity=_coded_text(pid, 22, ETHNICITIES),
        marital_status=_coded_text(pid, 16, MARITAL_STATUS),
        primary_care_provider=primary_care_provider(message),
        preferred_language=_coded_text(pid, 15, LANGUAGES) or "English",
    )


def pid_field(name: str) -> int:
    """The PID field a registration field came from (phone_0 -> 13, address_line1 -> 11)."""
    if name.startswith("phone"):
        return 13
    if name.startswith("address"):
        return 11
    if name.startswith("identifier"):
        return 3
    return PID_FIELDS.get(name, 0)


def _register(registration: PatientRegistration, identifiers: list[SenderIdentifier], acting_user: Any,
              left_out: list[str]) -> Applied:
    from chartdesk.patients.actions import do_add_identifier, do_register_patient
    from chartdesk.patients.linkage_match import match_record

    own = [IdentifierInput(type=each.kept_type, issuer=each.issuer[:80], value=each.value) for each in identifiers]
    candidates = match_record(registration)
    linkable = [candidate for candidate in candidates if not conflicting_identifier(candidate.patient, own)]
    if linkable and may_link(linkable[0]):
        patient = linkable[0].patient
        for identifier in own:
            _refusing_as_pid(do_add_identifier, patient, identifier, acting_user=acting_user)
        return Applied(patient, [f"matched MRN {patient.mrn}", *left_out])
    patient = _refusing_as_pid(do_register_patient, replace(registration, identifiers=tuple(own)),
                               acting_user=acting_user)
    notes = [f"registered as MRN {patient.mrn}", *left_out]
    if candidates:
        notes.append(f"possible duplicate of MRN {candidates[0].patient.mrn} for HIM review")
    return Applied(patient, notes)


def _refusing_as_pid(action: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a patients action; its refusal of a field becomes an Hl7Error naming the PID field."""
    try:
        return action(*args, **kwargs)
    except InvalidPatientData as invalid:
        name, text = next(iter(invalid.errors.items()))
        raise _field_refused(text, name) from None
    except InvalidField as invalid:
        raise _field_refused(invalid.message, invalid.field or "") from None


def _field_refused(text: str, name: str) -> Hl7Error:
    if name == "primary_care_provider":
        return Hl7Error(text, segment="PD1", field_number=4, code="207")
    return Hl7Error(text, segment="PID", field_number=pid_field(name), code="207")


def find_or_register_patient(message: Message, acting_user: Any) -> Applied:
    pid = message.segment("PID")
    assert pid is not None
    identifiers = person_identifiers(message, pid)
    patient, _row = find_by_identifier(identifiers)
    if patient is not None:
        return Applied(patient)
    left_out: list[str] = []
    return _register(registration_from_pid(message, left_out), identifiers, acting_user, left_out)


def update_demographics(message: Message, patient: Patient, acting_user: Any) -> list[str]:
    """PID as the sender now has it (A08, A31): names, birth date, sex, death, race, ethnicity,
    marital status, language, and PD1-4's primary care provider; a field the sender left empty is left as it is here."""
    from chartdesk.patients.actions import do_update_demographics

    left_out: list[str] = []
    registration = registration_from_pid(message, left_out)
    changes: dict[str, Any] = {"given_name": registration.given_name, "middle_name": registration.middle_name,
                               "family_name": registration.family_name, "birth_date": registration.birth_date,
                               "sex": registration.sex}
    for name in ("race", "ethnicity", "marital_status", "deceased_at", "primary_care_provider"):
        if getattr(registration, name):
            changes[name] = getattr(registration, name)
    pid = message.segment("PID")
    if pid is not None and pid.field(15):
        changes["preferred_language"] = registration.preferred_language
    fresh = _refusing_as_pid(do_update_demographics, patient, changes, expected_revision=patient.revision,
                             acting_user=acting_user)
    return ["demographics updated" if fresh.revision != patient.revision else "demographics unchanged", *left_out]


def _contact(message: Message, nk1: Segment) -> ContactInput | None:
    name_parts = nk1.components(nk1.repetitions(2)[0]) + ["", ""] if nk1.repetitions(2) else ["", ""]
    name = " ".join(part.split(nk1.encoding.subcomponent)[0] for part in (name_parts[1], name_parts[0]) if part)
    if not name:
        name = nk1.component(13, 1)  # an organisation as the contact
    if not name:
        return None
    phone = next((number for _, number in _phone(nk1, 5)), "") or next((n for _, n in _phone(nk1, 6)), "")
    address_parts = nk1.components(nk1.repetitions(4)[0]) if nk1.repetitions(4) else []
    address = ", ".join(part for part in address_parts[:5] if part)
    role = CONTACT_ROLES.get(nk1.component(7, 1).upper(), ContactRole.NEXT_OF_KIN if not nk1.component(7, 1)
                             else ContactRole.OTHER)
    return ContactInput(role=role, name=name, relationship=_coded_text(nk1, 3), phone=phone, address=address)


def record_contacts(message: Message, patient: Patient, acting_user: Any) -> list[str]:
    """Each NK1 (next of kin, emergency contact) onto the patient; one already recorded as it is
    changes nothing."""
    from chartdesk.patients.actions import do_record_contact

    kept = 0
    for sequence, nk1 in enumerate(message.by_name.get("NK1", []), start=1):
        contact = _contact(message, nk1)
        if contact is None:
            continue
        try:
            do_record_contact(patient, contact, acting_user=acting_user)
        except InvalidField as invalid:
            number = {"contact_name": 2, "contact_relationship": 3, "contact_phone": 5, "contact_address": 4}
            raise Hl7Error(invalid.message, segment="NK1", sequence=sequence,
                           field_number=number.get(invalid.field or "", 2), code="207") from None
        kept += 1
    return [f"{kept} contact(s) kept"] if kept else []


def identifier_inputs(identifiers: list[SenderIdentifier]) -> list[IdentifierInput]:
    return [IdentifierInput(type=each.kept_type, issuer=each.issuer[:80], value=each.value) for each in identifiers
            if each.kept_type in IdentifierType.values]
