"""How each imported resource type becomes Chartdesk rows, through the domain actions.

Shared resources (practitioners, organisations) are written one by one through their actions and
return the local row. A chart's resources become entries (EncounterEntry, ConditionInput,
ProcedureInput, NoteEntry) that the importer hands to the bulk actions of charts and clinical, which
check each as the single actions do; a refusal (ChartdeskError) names the field, which the importer
turns into an element path. What FHIR itself leaves unusable raises FhirInvalid here.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from chartdesk.charts.import_actions import EncounterEntry, NoteEntry
from chartdesk.charts.models import DischargeDisposition, DocumentType, Encounter, EncounterClass, Provider
from chartdesk.clinical.actions import do_register_clinician, do_register_organization
from chartdesk.clinical.models import Organization
from chartdesk.clinical.schemas import ClinicianInput, ConditionInput, OrganizationInput, ProcedureInput
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.npi import npi_is_valid
from chartdesk.interop.fhir.clinical_resources import coded_from_concept, condition_input
from chartdesk.interop.fhir.common import NPI_SYSTEM, storable_moment
from chartdesk.interop.fhir.patient_resource import registration_from_fhir
from chartdesk.interop.fhir.validation import FhirInvalid
from chartdesk.patients.actions import clean_address, clean_phone
from chartdesk.patients.schemas import PatientRegistration
from chartdesk.patients.validation import InvalidField, clean_email, clean_ssn

CLASS_OF_CODE = {"AMB": EncounterClass.OUTPATIENT, "EMER": EncounterClass.EMERGENCY,
                 "IMP": EncounterClass.INPATIENT, "ACUTE": EncounterClass.INPATIENT,
                 "NONAC": EncounterClass.INPATIENT, "OBSENC": EncounterClass.OBSERVATION,
                 "SS": EncounterClass.OUTPATIENT, "HH": EncounterClass.OUTPATIENT, "VR": EncounterClass.OUTPATIENT}
# Synthea makes names unique by appending digits ("Sumiko254"); no person's name ends in digits.
TRAILING_DIGITS = re.compile(r"(?<=[^\d\s])\d+$")


@dataclass
class Written:
    row: Any
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (element path, message)


def _moment(value: Any, element: str) -> datetime | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    if len(value) == 10:
        return storable_moment(datetime.fromisoformat(value + "T00:00:00+00:00"), element)
    return storable_moment(datetime.fromisoformat(value.replace("Z", "+00:00")), element)


def _name(text: str) -> str:
    return " ".join(TRAILING_DIGITS.sub("", part) for part in text.split())


def npi_of(resource: dict[str, Any]) -> str:
    return next((identifier.get("value", "") for identifier in resource.get("identifier") or []
                 if identifier.get("system") == NPI_SYSTEM), "")


# ----------------------------------------------------------------------------- shared resources


def write_practitioner(resource: dict[str, Any], *, acting_user: Any) -> Written:
    names = resource.get("name") or [{}]
    name = names[0]
    npi = npi_of(resource)
    warnings = []
    if npi and not npi_is_valid(npi):
        warnings.append(("Practitioner.identifier", f"NPI {npi} fails its check digit: kept as the source "
                                                    "identifier only"))
        npi = ""
    qualification = (resource.get("qualification") or [{}])[0].get("code") or {}
    provider = do_register_clinician(ClinicianInput(
        given_name=_name(" ".join(name.get("given") or [])) or "(unknown)",
        family_name=_name(name.get("family") or "") or "(unknown)",
        npi=npi, credentials=" ".join(name.get("suffix") or [])[:20], specialty=(qualification.get("text") or "")[:80],
    ), acting_user=acting_user)
    return Written(provider, warnings)


def write_organization(resource: dict[str, Any], *, acting_user: Any) -> Written:
    address = (resource.get("address") or [{}])[0]
    npi = npi_of(resource)
    warnings = []
    if npi and not npi_is_valid(npi):
        warnings.append(("Organization.identifier", f"NPI {npi} fails its check digit: left out"))
        npi = ""
    phone = next((t.get("value", "") for t in resource.get("telecom") or [] if t.get("system") == "phone"), "")
    kind = ((resource.get("type") or [{}])[0].get("text") or "")[:40]
    state = address.get("state") or ""
    organization = do_register_organization(OrganizationInput(
        name=resource.get("name") or "(unnamed organisation)", npi=npi, kind=kind, phone=phone[:20],
        line1=" ".join(address.get("line") or [])[:120], city=(address.get("city") or "")[:80],
        state=state if len(state) == 2 else "", postal_code=(address.get("postalCode") or "")[:10],
    ), acting_user=acting_user)
    return Written(organization, warnings)


# ----------------------------------------------------------------------------- patients


def import_registration(resource: dict[str, Any]) -> tuple[PatientRegistration, list[tuple[str, str]]]:
    """A registration from an imported Patient: Synthea's name digits dropped, and contact details
    that registration would refuse (a never-issued SSN, a 555-1xx phone) left out with a warning."""
    registration, notes = registration_from_fhir(resource)
    warnings = [(note.partition(":")[0], note.partition(": ")[2]) for note in notes]
    phones = []
    for index, (use, number) in enumerate(registration.phones):
        try:
            phones.append(clean_phone(use, number))
        except InvalidField as invalid:
            warnings.append((f"Patient.telecom[{index}]", f"left out: {invalid.message}"))
    addresses = []
    for index, address in enumerate(registration.addresses):
        try:
            addresses.append(clean_address(address))
        except InvalidField as invalid:
            warnings.append((f"Patient.address[{index}]", f"left out: {invalid.message}"))
    ssn = registration.ssn
    if ssn:
        try:
            clean_ssn(ssn)
        except InvalidField as invalid:
            warnings.append(("Patient.identifier", f"SSN left out: {invalid.message}"))
            ssn = ""
    email = registration.email
    if email:
        try:
            clean_email(email)
        except InvalidField as invalid:
            warnings.append(("Patient.telecom", f"e-mail left out: {invalid.message}"))
            email = ""
    other_names = tuple(replace(name, family_name=_name(name.family_name), given_name=_name(name.given_name))
                        for name in registration.other_names)
    return replace(registration, given_name=_name(registration.given_name),
                   middle_name=_name(registration.middle_name), family_name=_name(registration.family_name),
                   phones=tuple(phones), addresses=tuple(addresses), ssn=ssn, email=email,
                   other_names=other_names), warnings


# ----------------------------------------------------------------------------- chart records


@dataclass
class Links:
    """Local rows that references in a patient's resources resolve to."""

    patient: Any
    encounter_for: Any  # callable(reference dict) -> Encounter | None
    provider_for: Any  # callable(reference dict) -> Provider | None
    source: str


def _concept_text(concept: dict[str, Any] | None) -> str:
    concept = concept or {}
    codings = concept.get("coding") or []
    return concept.get("text") or next((c.get("display") for c in codings if c.get("display")), "") or ""


def _encounter_ref(links: Links, reference: dict[str, Any] | None) -> Encounter | None:
    return links.encounter_for(reference) if reference else None  # type: ignore[no-any-return]


def encounter_entry(resource: dict[str, Any], links: Links) -> tuple[EncounterEntry, list[tuple[str, str]]]:
    warnings = []
    code = (resource.get("class") or {}).get("code") or ""
    encounter_class = CLASS_OF_CODE.get(code)
    if encounter_class is None:
        raise FhirInvalid([("Encounter.class", f"{code!r} is not a class Chartdesk keeps "
                                               f"({', '.join(sorted(CLASS_OF_CODE))})")])
    period = resource.get("period") or {}
    admit_at = _moment(period.get("start"), "Encounter.period.start")
    if admit_at is None:
        raise FhirInvalid([("Encounter.period.start", "an encounter needs its start")])
    attending = None
    for participant in resource.get("participant") or []:
        attending = links.provider_for(participant.get("individual"))
        if attending is not None:
            break
    location = next((item.get("location", {}).get("display", "") for item in resource.get("location") or []), "")
    reason = next((_concept_text(concept) for concept in resource.get("reasonCode") or []), "")
    ended = _moment(period.get("end"), "Encounter.period.end") if resource.get("status") == "finished" else None
    disposition = DischargeDisposition.HOME
    if ended is not None:
        if encounter_class == EncounterClass.OUTPATIENT:
            ended = max(ended, admit_at)
        elif ended > admit_at:
            disposition_code = ((resource.get("hospitalization") or {}).get("dischargeDisposition") or {})
            disposition = next((c.get("code") for c in disposition_code.get("coding") or []
                                if c.get("code") in DischargeDisposition.values), DischargeDisposition.HOME)
        else:
            warnings.append(("Encounter.period.end", "not after the start: left open"))
            ended = None
    return EncounterEntry(
        encounter_class=encounter_class, admit_at=admit_at, attending=attending,
        service=_concept_text((resource.get("type") or [None])[0])[:80], location=location[:80], reason=reason[:200],
        ended_at=ended, disposition=disposition,
    ), warnings


def condition_entry(resource: dict[str, Any], links: Links) -> ConditionInput:
    return condition_input(resource, encounter=_encounter_ref(links, resource.get("encounter")),
                           recorder=links.provider_for(resource.get("recorder")), source=links.source)


def procedure_entry(resource: dict[str, Any], links: Links) -> ProcedureInput:
    period = resource.get("performedPeriod") or {}
    start = _moment(resource.get("performedDateTime"), "Procedure.performedDateTime") or _moment(
        period.get("start"), "Procedure.performedPeriod.start")
    return ProcedureInput(
        coded=coded_from_concept(resource.get("code"), "Procedure.code"), status=resource.get("status") or "unknown",
        performed_start=start, performed_end=_moment(period.get("end"), "Procedure.performedPeriod.end"),
        encounter=_encounter_ref(links, resource.get("encounter")),
        recorder=links.provider_for(resource.get("recorder")), source=links.source,
    )


def _document_type(resource: dict[str, Any]) -> str:
    codings = (resource.get("type") or {}).get("coding") or []
    return next((c["code"] for c in codings if c.get("code") in DocumentType.values), DocumentType.PROGRESS_NOTE)


def note_entry(resource: dict[str, Any], links: Links) -> NoteEntry:
    contents = resource.get("content") or []
    attachment = contents[0].get("attachment") or {} if contents else {}
    content_type = (attachment.get("contentType") or "").split(";")[0].strip()
    if content_type not in ("text/plain", ""):
        raise FhirInvalid([("DocumentReference.content[0].attachment.contentType",
                            f"{content_type}: only text notes are imported; load files through the desk upload")])
    try:
        text = base64.b64decode(attachment.get("data") or "", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise FhirInvalid([("DocumentReference.content[0].attachment.data", "not base64-encoded UTF-8 text")]) from None
    if not text.strip():
        raise FhirInvalid([("DocumentReference.content[0].attachment.data", "no note text")])
    context = resource.get("context") or {}
    when = _moment((context.get("period") or {}).get("start"), "DocumentReference.context.period.start") or _moment(
        resource.get("date"), "DocumentReference.date")
    if when is None:
        raise FhirInvalid([("DocumentReference.date", "a note needs its date")])
    encounter = next((enc for enc in (_encounter_ref(links, ref) for ref in context.get("encounter") or []) if enc),
                     None)
    author = next((prov for prov in (links.provider_for(ref) for ref in resource.get("author") or []) if prov), None)
    title = _concept_text(resource.get("type")) or resource.get("description") or "Clinical note"
    return NoteEntry(document_type=_document_type(resource), title=title[:200], text=text,
                     service_date=when.date(), encounter=encounter, author=author)


def refusal_problem(resource_type: str, refusal: ChartdeskError) -> tuple[str, str]:
    """A domain refusal as (element path, message): the action's field name under the resource."""
    return (f"{resource_type}.{refusal.field}" if refusal.field else resource_type, refusal.message)


def provider_by_npi(npi: str) -> Provider | None:
    return Provider.objects.filter(npi=npi).first() if npi else None


def organization_by_npi(npi: str) -> Organization | None:
    return Organization.objects.filter(npi=npi).first() if npi else None
