"""Patient: the MPI as FHIR (US Core Patient), searched by identifier, name, birthdate and gender;
created and updated through the patients actions (If-Match on the revision)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet

from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.interop.fhir.common import (
    MRN_SYSTEM,
    V2_0203,
    Adapter,
    SearchError,
    date_condition,
    instant,
    local_id,
    meta,
    one_of,
    pruned,
    storable_moment,
    token_parts,
)
from chartdesk.interop.fhir.validation import FhirInvalid
from chartdesk.interop.registry import register
from chartdesk.patients.access import access_patient_by_id, charts_open_to
from chartdesk.patients.models import Patient, PatientIdentifier, PatientName, PatientStatus
from chartdesk.patients.names import normalise_name
from chartdesk.patients.schemas import AddressInput, IdentifierInput, NameInput, PatientRegistration
from chartdesk.patients.validation import InvalidField, InvalidPatientData, identifier_value_key

GENDER_OF_SEX = {"F": "female", "M": "male", "X": "other", "U": "unknown"}
SEX_OF_GENDER = {gender: sex for sex, gender in GENDER_OF_SEX.items()}
IDENTIFIER_SYSTEM = "urn:chartdesk:identifier:"  # + issuer, folded; the v2-0203 type says what it is
NAME_USES = {"official": "official", "previous": "old", "maiden": "maiden", "alias": "anonymous",
             "nickname": "nickname"}
FHIR_NAME_USES = {"old": "previous", "maiden": "maiden", "nickname": "nickname", "anonymous": "alias",
                  "usual": "alias", "temp": "alias"}
KNOWN_IDENTIFIER_TYPES = {"MR", "MB", "MC", "MA", "DL", "PPN"}
OTHER_NAME_FIELD = re.compile(r"^other_name_(\d+)_(\w+)$")  # clean_other_name's field names


def issuer_system(issuer: str) -> str:
    return IDENTIFIER_SYSTEM + "".join(ch if ch.isalnum() else "-" for ch in issuer.lower()).strip("-")


def _prefix(column: str, key: str) -> Q:
    # Keys are a-z only: key <= value < key-with-last-letter-bumped is "starts with", using the index.
    stripped = key.rstrip("z")
    high = stripped[:-1] + chr(ord(stripped[-1]) + 1) if stripped else "{"
    return Q(**{f"{column}__gte": key, f"{column}__lt": high})


def patient_to_fhir(patient: Patient) -> dict[str, Any]:
    names = [
        {"use": NAME_USES.get(name.use, "usual"), "family": name.family_name,
         "given": [part for part in (name.given_name, name.middle_name) if part],
         **({"prefix": [patient.prefix]} if name.use == "official" and patient.prefix else {}),
         **({"suffix": [patient.suffix]} if name.use == "official" and patient.suffix else {})}
        for name in patient.names.all() if name.active or name.use != "official"
    ]
    identifiers = [{"use": "usual", "type": {"coding": [{"system": V2_0203, "code": "MR"}], "text": "MRN"},
                    "system": MRN_SYSTEM, "value": patient.mrn}]
    identifiers += [
        {"use": "old" if identifier.type == "RMRN" else "secondary",
         "type": {"coding": [{"system": V2_0203, "code": identifier.type if identifier.type != "RMRN" else "MR"}],
                  "text": identifier.get_type_display()},
         "system": MRN_SYSTEM if identifier.type == "RMRN" else issuer_system(identifier.issuer),
         "value": identifier.value, "assigner": {"display": identifier.issuer}}
        for identifier in patient.identifiers.all() if identifier.active
    ]
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": meta(str(patient.revision), patient.updated_at),
        "identifier": identifiers,
        "active": patient.status == PatientStatus.ACTIVE,
        "name": names,
        "telecom": [{"system": "phone", "value": phone.number, "use": phone.use if phone.use != "mobile" else "mobile"}
                    for phone in patient.phones.all() if phone.active]
        + ([{"system": "email", "value": patient.email}] if patient.email else []),
        "gender": GENDER_OF_SEX.get(patient.sex, "unknown"),
        "birthDate": patient.birth_date.isoformat() if patient.birth_date else None,
        "address": [{"use": "old" if address.use == "old" else ("home" if address.use in ("home", "mailing")
                                                                   else "work"),
                     "line": [line for line in (address.line1, address.line2) if line], "city": address.city,
                     "state": address.state, "postalCode": address.postal_code, "country": address.country}
                    for address in patient.addresses.all() if address.active],
        "communication": [{"language": {"text": patient.preferred_language}}] if patient.preferred_language else [],
    }
    if patient.deceased_at:
        resource["deceasedDateTime"] = instant(patient.deceased_at)
    if patient.merged_into_id:
        resource["link"] = [{"other": {"reference": f"Patient/{patient.merged_into_id}"}, "type": "replaced-by"}]
    return pruned(resource)


def _first(values: list[Any]) -> Any:
    return values[0] if values else None


def _official_index(names: list[dict[str, Any]]) -> int:
    return next((i for i, name in enumerate(names) if name.get("use") in ("official", "usual")), 0)


def patient_element(resource: dict[str, Any], field: str) -> str:
    """The element of a Patient resource that a registration field (as the patients actions name it in
    their refusals) came from, so that an OperationOutcome or an import problem points into the resource."""
    names = resource.get("name") or []
    official = f"Patient.name[{_official_index(names)}]"
    simple = {"given_name": f"{official}.given[0]", "middle_name": f"{official}.given",
              "family_name": f"{official}.family", "prefix": f"{official}.prefix", "suffix": f"{official}.suffix",
              "preferred_name": "Patient.name", "birth_date": "Patient.birthDate", "sex": "Patient.gender",
              "deceased_at": "Patient.deceasedDateTime", "email": "Patient.telecom", "ssn": "Patient.identifier"}
    if field in simple:
        return simple[field]
    other_name = OTHER_NAME_FIELD.match(field)
    if other_name:
        # registration_from_fhir keeps, in order, the names other than the legal one that have a family.
        others = [i for i, name in enumerate(names) if i != _official_index(names) and name.get("family")]
        number, part = int(other_name.group(1)), other_name.group(2)
        element = {"family_name": ".family", "given_name": ".given", "middle_name": ".given"}.get(part, "")
        return f"Patient.name[{others[number] if number < len(others) else 0}]{element}"
    return {"phone": "Patient.telecom", "address": "Patient.address", "identifier": "Patient.identifier"}.get(
        field.partition("_")[0], f"Patient.{field}")


def _refused_as_fhir(resource: dict[str, Any], refusal: InvalidPatientData | InvalidField) -> FhirInvalid:
    errors = refusal.errors if isinstance(refusal, InvalidPatientData) else {refusal.field or "": refusal.message}
    return FhirInvalid([(patient_element(resource, field), message) for field, message in errors.items()])


def registration_from_fhir(resource: dict[str, Any]) -> tuple[PatientRegistration, list[str]]:
    """A registration from a validated Patient resource, and warnings for what was left out.

    Raises FhirInvalid naming the element when something registration needs is missing.
    """
    warnings: list[str] = []
    names = resource.get("name") or []
    official_index = _official_index(names)
    if not names:
        raise FhirInvalid([("Patient.name", "a patient needs a name")])
    official = names[official_index]
    given = official.get("given") or []
    family = official.get("family") or ""
    if not family or not given:
        raise FhirInvalid([(f"Patient.name[{official_index}]", "the legal name needs family and given")])
    born = resource.get("birthDate")
    if not born or len(born) != 10:
        raise FhirInvalid([("Patient.birthDate", "a full date of birth (YYYY-MM-DD) is needed to register")])
    sex = SEX_OF_GENDER.get(resource.get("gender") or "unknown", "U")
    other_names = []
    for index, name in enumerate(names):
        if index == official_index or not name.get("family"):
            continue
        use = FHIR_NAME_USES.get(name.get("use") or "", "alias")
        other_names.append(NameInput(family_name=name["family"], given_name=" ".join(name.get("given") or []),
                                     use=use))
    phones = []
    email = ""
    for index, telecom in enumerate(resource.get("telecom") or []):
        if telecom.get("system") == "phone" and telecom.get("value"):
            use = {"home": "home", "work": "work", "mobile": "mobile"}.get(telecom.get("use") or "", "mobile")
            phones.append((use, telecom["value"]))
        elif telecom.get("system") == "email" and telecom.get("value") and not email:
            email = telecom["value"]
        else:
            warnings.append(f"Patient.telecom[{index}]: kept only phones and one e-mail address")
    addresses = []
    for index, address in enumerate(resource.get("address") or []):
        lines = address.get("line") or []
        if not lines or not address.get("city") or not address.get("state") or not address.get("postalCode"):
            warnings.append(f"Patient.address[{index}]: left out (needs line, city, state and postal code)")
            continue
        addresses.append(AddressInput(line1=lines[0], line2=" ".join(lines[1:]), city=address["city"],
                                      state=address["state"], postal_code=address["postalCode"],
                                      use="old" if address.get("use") == "old" else
                                      ("work" if address.get("use") == "work" else "home")))
    identifiers = []
    ssn = ""
    for index, identifier in enumerate(resource.get("identifier") or []):
        code = _first([coding.get("code") for coding in (identifier.get("type") or {}).get("coding") or []])
        value = identifier.get("value") or ""
        if identifier.get("system") == "http://hl7.org/fhir/sid/us-ssn" or code == "SS":
            ssn = value
        elif code in KNOWN_IDENTIFIER_TYPES and value:
            issuer = (identifier.get("assigner") or {}).get("display") or identifier.get("system") or "unknown"
            identifiers.append(IdentifierInput(type=code, issuer=issuer[-80:], value=value))
        elif identifier.get("system") != MRN_SYSTEM:
            warnings.append(f"Patient.identifier[{index}]: kept as the source identifier only")
    deceased = resource.get("deceasedDateTime")
    communication = resource.get("communication") or []
    language = ""
    if communication:
        concept = communication[0].get("language") or {}
        language = concept.get("text") or _first([c.get("display") for c in concept.get("coding") or []]) or ""
    registration = PatientRegistration(
        given_name=given[0], middle_name=" ".join(given[1:]), family_name=family,
        prefix=" ".join(official.get("prefix") or [])[:20], suffix=" ".join(official.get("suffix") or [])[:20],
        birth_date=date.fromisoformat(born), sex=sex, email=email, ssn=ssn,
        deceased_at=storable_moment(datetime.fromisoformat(deceased.replace("Z", "+00:00")), "Patient.deceasedDateTime")
        if deceased else None,
        phones=tuple(phones), addresses=tuple(addresses), identifiers=tuple(identifiers),
        other_names=tuple(other_names), preferred_language=language[:40] or "English",
    )
    return registration, warnings


@register
class PatientAdapter(Adapter):
    resource_type = "Patient"
    search_params = {"_id": "token", "identifier": "token", "name": "string", "family": "string",
                     "given": "string", "birthdate": "date", "gender": "token"}

    def read(self, caller: Any, logical_id: str) -> Patient:
        return access_patient_by_id(caller.user, local_id(logical_id, "patient"))

    def to_fhir(self, row: Patient) -> dict[str, Any]:
        return patient_to_fhir(row)

    def version_of(self, row: Patient) -> str:
        return str(row.revision)

    def patient_id_of(self, row: Patient) -> int:
        return row.pk

    def search(self, caller: Any, params: dict[str, list[str]], patient: Any) -> QuerySet[Any]:
        if not caller.user.has_perm("patients.search_patients"):
            raise NotFound("patient")
        # Restricted charts the caller may not open are left out before counting and paging: a total
        # that counted them would tell that such a chart exists.
        found = Patient.objects.filter(charts_open_to(caller.user))
        if patient is not None:
            found = found.filter(pk=patient.pk)
        for raw in params.get("_id", []):
            keys = [value for value in one_of([raw]) if value.isdecimal()]
            found = found.filter(pk__in=keys)
        for raw in params.get("identifier", []):
            condition = Q()
            for value in one_of([raw]):
                system, code = token_parts(value)
                key = identifier_value_key(code)
                if system == MRN_SYSTEM:
                    condition |= Q(mrn=code) | Q(pk__in=PatientIdentifier.objects.filter(
                        type="RMRN", value_key=key).values("patient_id"))
                elif system:
                    condition |= Q(pk__in=PatientIdentifier.objects.filter(value_key=key, active=True).filter(
                        Q(issuer__iexact=system) | Q(issuer__iexact=system.rpartition(":")[2])
                        | Q(issuer__iexact=system.replace(IDENTIFIER_SYSTEM, "").replace("-", " "))
                    ).values("patient_id"))
                else:
                    condition |= Q(mrn=code) | Q(pk__in=PatientIdentifier.objects.filter(value_key=key, active=True)
                                                 .values("patient_id"))
            found = found.filter(condition)
        for parameter, columns in (("name", ("family_key", "given_key")), ("family", ("family_key",)),
                                   ("given", ("given_key",))):
            for raw in params.get(parameter, []):
                condition = Q()
                for value in one_of([raw]):
                    key = normalise_name(value)
                    if not key:
                        raise SearchError(parameter, f"{parameter}: {value!r} has no letters to search by.")
                    for column in columns:
                        condition |= _prefix(column, key)
                found = found.filter(pk__in=PatientName.objects.filter(condition).values("patient_id"))
        for raw in params.get("birthdate", []):
            found = found.filter(date_condition("birth_date", raw, "birthdate", date_only=True))
        for raw in params.get("gender", []):
            sexes = []
            for value in one_of([raw]):
                if value not in SEX_OF_GENDER:
                    raise SearchError("gender", f"gender: {value!r} is not one of male, female, other, unknown.")
                sexes.append(SEX_OF_GENDER[value])
            found = found.filter(sex__in=sexes)
        return found.order_by("pk")

    def prefetch(self, rows: QuerySet[Patient]) -> QuerySet[Patient]:
        return rows.prefetch_related("names", "identifiers", "phones", "addresses")

    def rows_for_patient(self, caller: Any, patient: Patient) -> QuerySet[Patient]:
        return self.prefetch(Patient.objects.filter(pk=patient.pk))

    def create(self, caller: Any, resource: dict[str, Any]) -> Patient:
        from chartdesk.patients.actions import do_register_patient
        from chartdesk.patients.linkage_match import match_record

        registration, _ = registration_from_fhir(resource)
        matches = [m for m in match_record(registration) if m.band == "match"]
        if matches:
            raise ChartdeskError("A very likely match is already in the patient index (MRN "
                                 + ", ".join(m.patient.mrn for m in matches)
                                 + "): update that patient instead of creating a duplicate.", field="duplicate")
        try:
            return do_register_patient(registration, acting_user=caller.user)
        except (InvalidPatientData, InvalidField) as refusal:
            raise _refused_as_fhir(resource, refusal) from None

    def update(self, caller: Any, row: Patient, resource: dict[str, Any], expected_version: int) -> Patient:
        from chartdesk.patients.actions import do_update_demographics

        registration, _ = registration_from_fhir(resource)
        changes = {
            "given_name": registration.given_name, "middle_name": registration.middle_name,
            "family_name": registration.family_name, "birth_date": registration.birth_date,
            "sex": registration.sex, "deceased_at": registration.deceased_at,
        }
        if registration.email:
            changes["email"] = registration.email
        try:
            return do_update_demographics(row, changes, expected_revision=expected_version, acting_user=caller.user)
        except (InvalidPatientData, InvalidField) as refusal:
            raise _refused_as_fhir(resource, refusal) from None
