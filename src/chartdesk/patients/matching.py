"""Which charts a registration is compared with: indexed queries in the database that follow the
duplicate model's blocking rules (patients.linkage.prediction_blocking_rules) where the index has a
column for them. The comparison itself is the trained model's (patients.linkage_match).

- same SSN digest; a phone number in common;
- the family name (exact, sound-alike or transposed letters) with the given name (exact, nickname
  or sound-alike), and the two swapped;
- the birth date (or its day and month swapped) with the sex, the family sound-alike or a nickname
  of the given name;
- the family sound-alike within the birth year.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from chartdesk.patients.models import Patient, PatientName, PatientPhone
from chartdesk.patients.names import nickname_family, phonetic_key
from chartdesk.patients.schemas import PatientRegistration
from chartdesk.patients.search import ROW_CAP, family_condition, given_condition
from chartdesk.patients.validation import InvalidField, clean_us_phone

CANDIDATE_CAP = 200  # charts scored per registration, at most


def registration_phones(registration: PatientRegistration) -> set[str]:
    numbers = set()
    for _, number in registration.phones:
        try:
            numbers.add(clean_us_phone(number))
        except InvalidField:
            continue
    return numbers


def _by_name(family: str, given: str) -> set[int]:
    if not family:  # an incomplete legacy record may lack a name: an empty one matches nobody by name
        return set()
    condition = family_condition(family, prefix=False)
    if given:
        condition &= given_condition(given, prefix=False)
    return set(PatientName.objects.filter(condition).values_list("patient_id", flat=True)[:ROW_CAP])


def _by_birth(registration: PatientRegistration, born: date) -> set[int]:
    family, given = registration.family_name, registration.given_name
    born_dates = [born]
    if born.day <= 12 and born.day != born.month:
        born_dates.append(born.replace(month=born.day, day=born.month))
    by_birth = Patient.objects.filter(birth_date__in=born_dates).filter(
        Q(sex=registration.sex) | Q(names__family_phonetic=phonetic_key(family))
        | Q(names__given_key__in=sorted(nickname_family(given)))
    )
    ids = set(by_birth.values_list("pk", flat=True)[:ROW_CAP])
    sound = phonetic_key(family)
    if sound:
        in_year = PatientName.objects.filter(family_phonetic=sound, patient__birth_date__year=born.year)
        ids |= set(in_year.values_list("patient_id", flat=True)[:ROW_CAP])
    return ids


def candidate_ids(registration: PatientRegistration, *, ssn_digest: str, phone: str = "") -> list[int]:
    """Active charts worth scoring against this registration, at most CANDIDATE_CAP."""
    ids = _by_name(registration.family_name, registration.given_name)
    ids |= _by_name(registration.given_name, registration.family_name)
    if registration.birth_date is not None:  # an incomplete legacy record may have none
        ids |= _by_birth(registration, registration.birth_date)
    if ssn_digest:
        ids |= set(Patient.objects.filter(ssn_digest=ssn_digest).values_list("pk", flat=True)[:ROW_CAP])
    phones = registration_phones(registration) | ({phone} if phone else set())
    if phones:
        ids |= set(PatientPhone.objects.filter(number__in=phones).values_list("patient_id", flat=True)[:ROW_CAP])
    active = Patient.objects.filter(pk__in=sorted(ids), status="active").order_by("pk")
    return list(active.values_list("pk", flat=True)[:CANDIDATE_CAP])
