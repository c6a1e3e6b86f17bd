"""Every change to the patient index. Each action checks the acting user's permission, validates,
writes in one transaction and records its audit event in that same transaction.

Nothing is deleted: a replaced address, phone, identifier or legal name is deactivated and kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core import clock
from chartdesk.core.crypto import decrypt_text, encrypt_text, keyed_digest
from chartdesk.core.errors import ChartdeskError, ConcurrentChange
from chartdesk.core.notices import Change, announce
from chartdesk.core.permissions import require_permission
from chartdesk.patients.models import (
    AddressUse,
    BreakTheGlassAccess,
    ChartAccessGrant,
    ContactRole,
    IdentifierType,
    NameUse,
    Patient,
    PatientAddress,
    PatientContact,
    PatientIdentifier,
    PatientName,
    PatientPhone,
    PhoneUse,
    Restriction,
    Sex,
)
from chartdesk.patients.mrn import allocate_mrn
from chartdesk.patients.names import name_keys
from chartdesk.patients.schemas import AddressInput, ContactInput, IdentifierInput, NameInput, PatientRegistration
from chartdesk.patients.validation import (
    NAME_PART_LABELS,
    InvalidField,
    InvalidPatientData,
    clean_birth_date,
    clean_email,
    clean_mbi,
    clean_partial_birth_date,
    clean_required_name,
    clean_ssn,
    clean_state,
    clean_us_phone,
    clean_zip,
    identifier_value_key,
    refuse_control_characters,
)

BREAK_THE_GLASS_MIN_REASON = 10
STALE_REVISION = (
    "Someone else changed this patient's details since you opened them. Nothing was saved: reload the "
    "page to see their changes, then make yours again."
)
# Demographic fields an edit may change; the legal name fields also rewrite the official name row.
DEMOGRAPHIC_FIELDS = (
    "prefix", "given_name", "middle_name", "family_name", "suffix", "preferred_name", "birth_date", "sex",
    "gender_identity", "preferred_language", "email", "deceased_at", "ssn", "race", "ethnicity", "marital_status",
    "primary_care_provider",
)
LEGAL_NAME_FIELDS = ("given_name", "middle_name", "family_name")
SHORT_TEXT_LIMITS = {"prefix": 20, "suffix": 20, "preferred_name": 80, "gender_identity": 60, "preferred_language": 40,
                     "race": 120, "ethnicity": 80, "marital_status": 40,
                     "primary_care_provider": 160}


# ---------------------------------------------------------------------------------------------
# Validation of inputs (the same rules as the desk forms, for callers that skip the forms)
# ---------------------------------------------------------------------------------------------

def _collect(errors: dict[str, str], field: str, clean: Any, *args: Any) -> Any:
    try:
        return clean(*args)
    except InvalidField as invalid:
        errors.setdefault(invalid.field or field, invalid.message)
        return None


def clean_identifier(identifier: IdentifierInput, field: str = "identifier") -> IdentifierInput:
    if identifier.type not in IdentifierType.values:
        raise InvalidField(f"{field}_type", f"Identifier type: {identifier.type!r} is not one of the known types.")
    issuer = " ".join(identifier.issuer.split())
    if not issuer:
        raise InvalidField(f"{field}_issuer", "Identifier issuer: say who assigned it (facility, payer, state).")
    value = identifier.value.strip()
    if identifier.type == IdentifierType.MEDICARE_MBI:
        value = clean_mbi(value, f"{field}_value")
    if not identifier_value_key(value) or len(value) > 40:
        raise InvalidField(f"{field}_value", "Identifier value: required, at most 40 characters.")
    return IdentifierInput(type=identifier.type, issuer=issuer[:80], value=value)


def clean_address(address: AddressInput, field: str = "address") -> AddressInput:
    line1 = " ".join(address.line1.split())
    city = " ".join(address.city.split())
    if not line1:
        raise InvalidField(f"{field}_line1", "Address line 1: required (street and number).")
    if not city:
        raise InvalidField(f"{field}_city", "City: required.")
    if address.use not in AddressUse.values:
        raise InvalidField(f"{field}_use", f"Address use: {address.use!r} is not one of the known uses.")
    if len(line1) > 120 or len(address.line2) > 120 or len(city) > 80:
        raise InvalidField(f"{field}_line1", "Address: lines at most 120 characters, city at most 80.")
    return AddressInput(
        line1=line1,
        line2=" ".join(address.line2.split()),
        city=city,
        state=clean_state(address.state, f"{field}_state"),
        postal_code=clean_zip(address.postal_code, f"{field}_postal_code"),
        use=address.use,
        country="US",
    )


def clean_phone(use: str, number: str, field: str = "phone") -> tuple[str, str]:
    if use not in PhoneUse.values:
        raise InvalidField(f"{field}_use", f"Phone use: {use!r} is not one of home, mobile, work.")
    return use, clean_us_phone(number, field)


def clean_other_name(name: NameInput, field: str = "other_name") -> NameInput:
    if name.use not in NameUse.values or name.use == NameUse.OFFICIAL:
        raise InvalidField(f"{field}_use", "Name use: choose previous, maiden, alias or nickname "
                           "(the legal name is changed under demographics).")
    family = clean_required_name(name.family_name, f"{field}_family_name", "Family name")
    refuse_control_characters(name.given_name, f"{field}_given_name", "Given name")
    refuse_control_characters(name.middle_name, f"{field}_middle_name", "Middle name")
    given = " ".join(name.given_name.split())[:80]
    return NameInput(family_name=family, given_name=given, middle_name=" ".join(name.middle_name.split())[:80],
                     use=name.use)


def missing_fields(registration: PatientRegistration) -> list[str]:
    """What a cleaned registration lacks that a complete record has (see docs/patients-import.md)."""
    return [name for name, absent in (("given_name", not registration.given_name),
                                      ("family_name", not registration.family_name),
                                      ("birth_date", registration.birth_date is None)) if absent]


def clean_registration(registration: PatientRegistration, *, allow_incomplete: bool = False) -> PatientRegistration:
    """The registration with every value cleaned, or InvalidPatientData naming each bad field.

    allow_incomplete (legacy index loads only) accepts a missing given name, family name (not both)
    or date of birth, the record then being flagged incomplete; every value given must still be valid.
    """
    errors: dict[str, str] = {}
    names = {}
    for field, label in (("given_name", "Given name"), ("family_name", "Family name")):
        if allow_incomplete and not getattr(registration, field).strip():
            names[field] = ""
        else:
            names[field] = _collect(errors, field, clean_required_name, getattr(registration, field), field, label)
    given, family = names["given_name"], names["family_name"]
    if given == "" and family == "":
        errors["family_name"] = "Name: a record needs at least a given or a family name."
    born, partial = None, ""
    if allow_incomplete and registration.birth_date is None:
        partial = _collect(errors, "birth_date", clean_partial_birth_date, registration.birth_date_partial)
    elif not isinstance(registration.birth_date, date) or isinstance(registration.birth_date, datetime):
        errors["birth_date"] = "Date of birth: required, as a date."
    else:
        born = _collect(errors, "birth_date", clean_birth_date, registration.birth_date)
    if registration.sex not in Sex.values:
        errors["sex"] = f"Sex: choose one of {', '.join(Sex.values)}."
    email = _collect(errors, "email", clean_email, registration.email)
    ssn = _collect(errors, "ssn", clean_ssn, registration.ssn) if registration.ssn.strip() else ""
    if registration.deceased_at is not None and born is not None:
        if timezone.localtime(registration.deceased_at).date() < born:
            errors["deceased_at"] = "Date of death: cannot be before the date of birth."
        elif registration.deceased_at > clock.now():
            errors["deceased_at"] = "Date of death: cannot be in the future."
    for name, label in NAME_PART_LABELS.items():
        _collect(errors, name, refuse_control_characters, getattr(registration, name), name, label)
    for name, limit in SHORT_TEXT_LIMITS.items():
        if name not in errors and len(getattr(registration, name).strip()) > limit:
            errors[name] = f"{name.replace('_', ' ').capitalize()}: at most {limit} characters."
    phones = [_collect(errors, f"phone_{i}", clean_phone, use, number, f"phone_{i}")
              for i, (use, number) in enumerate(registration.phones)]
    addresses = [_collect(errors, f"address_{i}", clean_address, address, f"address_{i}" if i else "address")
                 for i, address in enumerate(registration.addresses)]
    identifiers = [_collect(errors, f"identifier_{i}", clean_identifier, identifier,
                            f"identifier_{i}" if i else "identifier")
                   for i, identifier in enumerate(registration.identifiers)]
    other_names = [_collect(errors, f"other_name_{i}", clean_other_name, name, f"other_name_{i}")
                   for i, name in enumerate(registration.other_names)]
    if errors:
        raise InvalidPatientData(errors)
    assert born is not None or allow_incomplete  # refused above otherwise
    return replace(
        registration,
        given_name=given,
        family_name=family,
        birth_date=born,
        birth_date_partial=partial,
        middle_name=" ".join(registration.middle_name.split())[:80],
        prefix=registration.prefix.strip(),
        suffix=registration.suffix.strip(),
        preferred_name=registration.preferred_name.strip(),
        gender_identity=registration.gender_identity.strip(),
        preferred_language=registration.preferred_language.strip(),
        email=email,
        ssn=ssn,
        phones=tuple(phones),
        addresses=tuple(addresses),
        identifiers=tuple(identifiers),
        other_names=tuple(other_names),
    )


# ---------------------------------------------------------------------------------------------
# Row builders, shared with bench/patients.py so that the benchmark index has the real keys
# ---------------------------------------------------------------------------------------------

def build_patient_name(patient: Patient, *, use: str, family_name: str, given_name: str = "",
                       middle_name: str = "", active: bool = True) -> PatientName:
    """An unsaved PatientName with its search keys."""
    keys = name_keys(family_name, given_name)
    return PatientName(
        patient=patient,
        use=use,
        family_name=family_name,
        given_name=given_name,
        middle_name=middle_name,
        active=active,
        family_key=keys.family_key,
        given_key=keys.given_key,
        family_phonetic=keys.family_phonetic,
        given_phonetic=keys.given_phonetic,
        family_letters=keys.family_letters,
    )


def _set_ssn(patient: Patient, ssn_digits: str) -> None:
    patient.ssn_encrypted = encrypt_text(ssn_digits)
    patient.ssn_last4 = ssn_digits[-4:] if ssn_digits else ""
    patient.ssn_digest = keyed_digest(ssn_digits)


def build_patient(registration: PatientRegistration, *, mrn: str, acting_user: Any) -> Patient:
    """An unsaved Patient from a cleaned registration, the SSN encrypted."""
    patient = Patient(
        mrn=mrn,
        prefix=registration.prefix,
        given_name=registration.given_name,
        middle_name=registration.middle_name,
        family_name=registration.family_name,
        suffix=registration.suffix,
        preferred_name=registration.preferred_name,
        birth_date=registration.birth_date,
        birth_date_partial=registration.birth_date_partial,
        incomplete_fields=",".join(missing_fields(registration)),
        sex=registration.sex,
        gender_identity=registration.gender_identity,
        preferred_language=registration.preferred_language,
        race=registration.race,
        ethnicity=registration.ethnicity,
        marital_status=registration.marital_status,
        primary_care_provider=registration.primary_care_provider or None,
        email=registration.email,
        deceased_at=registration.deceased_at,
        created_by=acting_user,
    )
    _set_ssn(patient, registration.ssn)
    return patient


def registration_rows(patient: Patient, registration: PatientRegistration) -> dict[str, list[Any]]:
    """The unsaved name, address, phone and identifier rows of a saved patient's registration."""
    names = [build_patient_name(patient, use=NameUse.OFFICIAL, family_name=registration.family_name,
                                given_name=registration.given_name, middle_name=registration.middle_name)]
    if registration.preferred_name and registration.preferred_name != registration.given_name:
        names.append(build_patient_name(patient, use=NameUse.NICKNAME, family_name=registration.family_name,
                                        given_name=registration.preferred_name))
    names += [build_patient_name(patient, use=name.use, family_name=name.family_name, given_name=name.given_name,
                                 middle_name=name.middle_name) for name in registration.other_names]
    return {
        "names": names,
        "addresses": [PatientAddress(patient=patient, use=a.use, line1=a.line1, line2=a.line2, city=a.city,
                                     state=a.state, postal_code=a.postal_code, country=a.country)
                      for a in registration.addresses],
        "phones": [PatientPhone(patient=patient, use=use, number=number) for use, number in registration.phones],
        "identifiers": [PatientIdentifier(patient=patient, type=i.type, issuer=i.issuer, value=i.value,
                                          value_key=identifier_value_key(i.value))
                        for i in registration.identifiers],
    }


def save_registration_rows(rows: Mapping[str, Iterable[Any]]) -> None:
    PatientName.objects.bulk_create(rows["names"])
    PatientAddress.objects.bulk_create(rows["addresses"])
    PatientPhone.objects.bulk_create(rows["phones"])
    PatientIdentifier.objects.bulk_create(rows["identifiers"])


# ---------------------------------------------------------------------------------------------
# Registration and demographics
# ---------------------------------------------------------------------------------------------

@transaction.atomic
def do_register_patient(registration: PatientRegistration, *, acting_user: Any,
                        allow_incomplete: bool = False) -> Patient:
    """Register a new patient under a newly allocated MRN, with names, contacts and identifiers.

    Raises InvalidPatientData (naming each bad field) and saves nothing when any value is wrong.
    allow_incomplete is for legacy index loads (patients.importing): a missing given name or date of
    birth is then recorded in `incomplete_fields` instead of refused.
    """
    require_permission(acting_user, "patients.register_patient")
    cleaned = clean_registration(registration, allow_incomplete=allow_incomplete)
    patient = build_patient(cleaned, mrn=allocate_mrn(), acting_user=acting_user)
    patient.save()
    save_registration_rows(registration_rows(patient, cleaned))
    detail: dict[str, Any] = {"mrn": patient.mrn}
    if patient.incomplete_fields:
        detail["incomplete"] = patient.incomplete_fields.split(",")
    record_event(AuditAction.CREATE, user=acting_user, patient=patient, object_type="patient",
                 object_id=patient.pk, detail=detail)
    announce(Change.PERSON_REGISTERED, patient=patient, acting_user=acting_user)
    return patient


def _clean_change(field: str, value: Any, current: Patient) -> Any:
    if field in ("given_name", "family_name"):
        label = "Given name" if field == "given_name" else "Family name"
        return clean_required_name(value, field, label)
    if field == "birth_date":
        if not isinstance(value, date) or isinstance(value, datetime):
            raise InvalidField(field, "Date of birth: required, as a date.")
        return clean_birth_date(value)
    if field == "sex":
        if value not in Sex.values:
            raise InvalidField(field, f"Sex: choose one of {', '.join(Sex.values)}.")
        return value
    if field == "email":
        return clean_email(value or "")
    if field == "ssn":
        return clean_ssn(value) if str(value or "").strip() else ""
    if field == "deceased_at":
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise InvalidField(field, "Date of death: a date and time.")
        if value > clock.now():
            raise InvalidField(field, "Date of death: cannot be in the future.")
        return value
    if field in NAME_PART_LABELS:
        refuse_control_characters(str(value or ""), field, NAME_PART_LABELS[field])
    text = " ".join(str(value or "").split())
    limit = SHORT_TEXT_LIMITS.get(field, 80)
    if len(text) > limit:
        raise InvalidField(field, f"{field.replace('_', ' ').capitalize()}: at most {limit} characters.")
    return text


@transaction.atomic
def do_update_demographics(patient: Patient, changes: Mapping[str, Any], *, expected_revision: int,
                           acting_user: Any) -> Patient:
    """Change demographics if nobody else has since `expected_revision`; return the fresh patient.

    A changed legal name keeps the old one as a previous name. The audit event lists the changed
    field names, never their values (the audit log must not become a second copy of the SSN).
    """
    require_permission(acting_user, "patients.edit_patient")
    unknown = sorted(set(changes) - set(DEMOGRAPHIC_FIELDS))
    if unknown:
        raise InvalidPatientData({name: f"{name}: not a demographic field." for name in unknown})
    # Lock the row, then compare revisions: two clerks saving at once must not both pass the check.
    current = Patient.objects.select_for_update().get(pk=patient.pk)
    if current.revision != expected_revision:
        raise ConcurrentChange(STALE_REVISION)
    errors: dict[str, str] = {}
    cleaned = {field: _collect(errors, field, _clean_change, field, value, current) for field, value in changes.items()}
    born = cleaned.get("birth_date", current.birth_date)
    died = cleaned.get("deceased_at", current.deceased_at)
    if born and died and "deceased_at" not in errors and timezone.localtime(died).date() < born:
        errors["deceased_at"] = "Date of death: cannot be before the date of birth."
    if errors:
        raise InvalidPatientData(errors)

    changed = sorted(
        field for field, value in cleaned.items()
        if (decrypt_text(current.ssn_encrypted) if field == "ssn" else getattr(current, field)) != value
    )
    if not changed:
        return current
    old_name = (current.family_name, current.given_name, current.middle_name)
    for field in changed:
        if field == "ssn":
            _set_ssn(current, cleaned["ssn"])
        else:
            setattr(current, field, cleaned[field])
    if set(changed) & set(LEGAL_NAME_FIELDS):
        _replace_official_name(current, old_name)
    if current.incomplete_fields:
        # An edit that supplies what an imported record lacked completes it (off HIM's work list).
        current.incomplete_fields = ",".join(
            name for name in current.incomplete_fields.split(",") if name and not getattr(current, name))
        if current.birth_date is not None:
            current.birth_date_partial = ""
    current.revision += 1
    current.updated_at = clock.now()
    current.save()
    record_event(AuditAction.UPDATE, user=acting_user, patient=current, object_type="patient",
                 object_id=current.pk, detail={"fields": changed})
    announce(Change.PERSON_UPDATED, patient=current, acting_user=acting_user)
    return current


def _replace_official_name(patient: Patient, old_name: tuple[str, str, str]) -> None:
    family, given, middle = old_name
    retired = PatientName.objects.filter(patient=patient, use=NameUse.OFFICIAL, active=True)
    if retired.exists():
        retired.update(use=NameUse.PREVIOUS, active=False)
    else:
        build_patient_name(patient, use=NameUse.PREVIOUS, family_name=family, given_name=given,
                           middle_name=middle, active=False).save()
    build_patient_name(patient, use=NameUse.OFFICIAL, family_name=patient.family_name,
                       given_name=patient.given_name, middle_name=patient.middle_name).save()


def _bump(patient: Patient) -> None:
    Patient.objects.filter(pk=patient.pk).update(revision=patient.revision + 1, updated_at=clock.now())
    patient.revision += 1


@transaction.atomic
def do_add_identifier(patient: Patient, identifier: IdentifierInput, *, acting_user: Any) -> PatientIdentifier:
    """Record another identifier; one from the same issuer and of the same type is deactivated."""
    require_permission(acting_user, "patients.edit_patient")
    if identifier.type == IdentifierType.RETIRED_MRN:
        raise InvalidField("identifier_type", "Identifier type: retired MRNs are recorded by a merge, not by hand.")
    cleaned = clean_identifier(identifier)
    PatientIdentifier.objects.filter(patient=patient, type=cleaned.type, issuer=cleaned.issuer, active=True).update(
        active=False
    )
    row = PatientIdentifier.objects.create(patient=patient, type=cleaned.type, issuer=cleaned.issuer,
                                           value=cleaned.value, value_key=identifier_value_key(cleaned.value))
    _bump(patient)
    record_event(AuditAction.UPDATE, user=acting_user, patient=patient, object_type="patient_identifier",
                 object_id=row.pk, detail={"fields": ["identifier"], "type": cleaned.type})
    return row


CONTACT_LIMITS = {"name": 160, "relationship": 60, "phone": 40, "address": 240}


@transaction.atomic
def do_record_contact(patient: Patient, contact: ContactInput, *, acting_user: Any) -> PatientContact:
    """Record a person to contact (next of kin, emergency contact). The same person in the same role,
    already recorded and active, is left as it is (a feed repeats its NK1 segments on every message);
    a changed relationship, phone or address deactivates the old row."""
    require_permission(acting_user, "patients.edit_patient")
    if contact.role not in ContactRole.values:
        raise InvalidField("contact_role", f"Contact role: choose one of {', '.join(ContactRole.values)}.")
    cleaned = {name: " ".join(str(getattr(contact, name)).split()) for name in CONTACT_LIMITS}
    if not cleaned["name"]:
        raise InvalidField("contact_name", "Contact name: required.")
    for name, limit in CONTACT_LIMITS.items():
        if len(cleaned[name]) > limit:
            raise InvalidField(f"contact_{name}", f"Contact {name}: at most {limit} characters.")
    same_person = PatientContact.objects.filter(patient=patient, role=contact.role, name__iexact=cleaned["name"],
                                                active=True)
    unchanged = same_person.filter(relationship=cleaned["relationship"], phone=cleaned["phone"],
                                   address=cleaned["address"]).first()
    if unchanged is not None:
        return unchanged
    same_person.update(active=False)
    row = PatientContact.objects.create(patient=patient, role=contact.role, **cleaned)
    _bump(patient)
    record_event(AuditAction.UPDATE, user=acting_user, patient=patient, object_type="patient_contact",
                 object_id=row.pk, detail={"fields": ["contact"], "role": contact.role})
    return row


@transaction.atomic
def do_add_other_name(patient: Patient, name: NameInput, *, acting_user: Any) -> PatientName:
    """Record a previous name, maiden name, alias or nickname; search finds the patient by it."""
    require_permission(acting_user, "patients.edit_patient")
    cleaned = clean_other_name(name)
    row = build_patient_name(patient, use=cleaned.use, family_name=cleaned.family_name,
                             given_name=cleaned.given_name, middle_name=cleaned.middle_name)
    row.save()
    _bump(patient)
    record_event(AuditAction.UPDATE, user=acting_user, patient=patient, object_type="patient_name",
                 object_id=row.pk, detail={"fields": ["other_name"], "use": cleaned.use})
    return row


@transaction.atomic
def do_add_address(patient: Patient, address: AddressInput, *, acting_user: Any) -> PatientAddress:
    """Record an address; the active one of the same use is deactivated (kept as history)."""
    require_permission(acting_user, "patients.edit_patient")
    cleaned = clean_address(address)
    PatientAddress.objects.filter(patient=patient, use=cleaned.use, active=True).update(active=False)
    row = PatientAddress.objects.create(patient=patient, use=cleaned.use, line1=cleaned.line1, line2=cleaned.line2,
                                        city=cleaned.city, state=cleaned.state, postal_code=cleaned.postal_code,
                                        country=cleaned.country)
    _bump(patient)
    record_event(AuditAction.UPDATE, user=acting_user, patient=patient, object_type="patient_address",
                 object_id=row.pk, detail={"fields": ["address"], "use": cleaned.use})
    return row


@transaction.atomic
def do_add_phone(patient: Patient, *, use: str, number: str, acting_user: Any) -> PatientPhone:
    """Record a phone number; the active one of the same use is deactivated (kept as history)."""
    require_permission(acting_user, "patients.edit_patient")
    use, digits = clean_phone(use, number)
    PatientPhone.objects.filter(patient=patient, use=use, active=True).update(active=False)
    row = PatientPhone.objects.create(patient=patient, use=use, number=digits)
    _bump(patient)
    record_event(AuditAction.UPDATE, user=acting_user, patient=patient, object_type="patient_phone",
                 object_id=row.pk, detail={"fields": ["phone"], "use": use})
    return row


# ---------------------------------------------------------------------------------------------
# Restrictions, grants, break-the-glass, SSN
# ---------------------------------------------------------------------------------------------

@transaction.atomic
def do_set_restriction(patient: Patient, *, restriction: str, note: str = "", acting_user: Any) -> Patient:
    """Mark a chart VIP, employee or sensitive (or lift the mark with restriction='')."""
    require_permission(acting_user, "patients.restrict_chart")
    if restriction not in Restriction.values:
        raise InvalidField("restriction", f"Restriction: {restriction!r} is not one of VIP, employee, sensitive.")
    note = " ".join(note.split())
    if len(note) > 200:
        raise InvalidField("note", "Restriction note: at most 200 characters.")
    Patient.objects.filter(pk=patient.pk).update(restriction=restriction, restriction_note=note,
                                                 revision=patient.revision + 1, updated_at=clock.now())
    patient.refresh_from_db()
    record_event(AuditAction.UPDATE, user=acting_user, patient=patient, object_type="patient", object_id=patient.pk,
                 detail={"fields": ["restriction"], "restriction": restriction or "none"})
    return patient


do_restrict_chart = do_set_restriction  # the name the demo loader uses


@transaction.atomic
def do_grant_chart_access(patient: Patient, user: Any, *, reason: str, acting_user: Any) -> ChartAccessGrant:
    """Let a named user open this restricted chart until the grant is revoked."""
    require_permission(acting_user, "patients.restrict_chart")
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidField("reason", "Reason: say why this user needs the chart (care team, case review...).")
    if len(reason) > 200:
        raise InvalidField("reason", "Reason: at most 200 characters.")
    if user is None or not user.is_active:
        raise InvalidField("user", "User: choose an active user.")
    existing = ChartAccessGrant.objects.filter(patient=patient, user=user, revoked_at__isnull=True).first()
    if existing is not None:
        return existing
    grant = ChartAccessGrant.objects.create(patient=patient, user=user, granted_by=acting_user, reason=reason)
    record_event(AuditAction.ROLE_CHANGE, user=acting_user, patient=patient, object_type="chart_access_grant",
                 object_id=grant.pk, detail={"granted_to": user.get_username(), "reason": reason})
    return grant


@transaction.atomic
def do_revoke_chart_access(grant: ChartAccessGrant, *, acting_user: Any) -> ChartAccessGrant:
    require_permission(acting_user, "patients.restrict_chart")
    if grant.revoked_at is not None:
        return grant
    grant.revoked_at = clock.now()
    grant.save(update_fields=["revoked_at"])
    record_event(AuditAction.ROLE_CHANGE, user=acting_user, patient=grant.patient, object_type="chart_access_grant",
                 object_id=grant.pk, detail={"revoked_from": grant.user.get_username()})
    return grant


@transaction.atomic
def do_break_the_glass(patient: Patient, *, reason: str, acting_user: Any) -> BreakTheGlassAccess:
    """Open a restricted chart in an emergency for settings.BREAK_THE_GLASS_MINUTES, with a reason
    that every audit report shows."""
    require_permission(acting_user, "accounts.break_the_glass")
    reason = " ".join((reason or "").split())
    if len(reason) < BREAK_THE_GLASS_MIN_REASON:
        raise InvalidField("reason", f"Reason: say why you need this chart now, in at least "
                           f"{BREAK_THE_GLASS_MIN_REASON} characters.")
    if len(reason) > 1000:
        raise InvalidField("reason", "Reason: at most 1,000 characters.")
    if not patient.is_restricted:
        raise ChartdeskError("This chart is not restricted; open it normally.")
    now = clock.now()
    access = BreakTheGlassAccess.objects.create(
        patient=patient, user=acting_user, reason=reason, started_at=now,
        expires_at=now + timedelta(minutes=settings.BREAK_THE_GLASS_MINUTES),
    )
    record_event(AuditAction.BREAK_THE_GLASS, user=acting_user, patient=patient, object_type="patient",
                 object_id=patient.pk, break_the_glass_reason=reason,
                 detail={"expires_at": access.expires_at.isoformat(), "minutes": settings.BREAK_THE_GLASS_MINUTES})
    return access


@transaction.atomic
def do_reveal_ssn(patient: Patient, *, acting_user: Any) -> str:
    """The full SSN as 123-45-6789 ('' when none is on file); each reveal is an audited view."""
    require_permission(acting_user, "patients.reveal_ssn")
    digits = decrypt_text(patient.ssn_encrypted)
    record_event(AuditAction.VIEW, user=acting_user, patient=patient, object_type="patient_ssn",
                 object_id=patient.pk, detail={"field": "ssn"})
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if digits else ""
