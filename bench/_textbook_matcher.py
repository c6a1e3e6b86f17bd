"""The registration-time matcher Chartdesk used before single-record matching moved onto the trained
model (patients.linkage_match): hand-set textbook m/u weights and its own candidate queries, kept
verbatim as the baseline that bench._single_match measures next to the model in the same run.
Nothing in the application imports it.

Scoring follows Fellegi and Sunter: each compared field adds log2(m/u) when it agrees and
log2((1-m)/(1-u)) when it disagrees. Missing values add nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from chartdesk.core.crypto import keyed_digest
from chartdesk.patients.models import Patient, PatientAddress, PatientName, PatientPhone
from chartdesk.patients.names import letters_key, nickname_family, normalise_name, phonetic_key
from chartdesk.patients.schemas import PatientRegistration
from chartdesk.patients.search import ROW_CAP, family_condition, given_condition
from chartdesk.patients.validation import InvalidField, clean_ssn, clean_us_phone


def _weights(m: float, u: float) -> tuple[float, float]:
    return math.log2(m / u), math.log2((1 - m) / (1 - u))


FAMILY_AGREE, FAMILY_DISAGREE = _weights(0.95, 0.01)
GIVEN_AGREE, GIVEN_DISAGREE = _weights(0.90, 0.02)
DOB_AGREE, DOB_DISAGREE = _weights(0.97, 0.0003)
SEX_AGREE, SEX_DISAGREE = _weights(0.98, 0.5)
SSN_AGREE, SSN_DISAGREE = _weights(0.99, 0.000001)
PHONE_AGREE, PHONE_DISAGREE = _weights(0.6, 0.0001)
ADDRESS_AGREE, ADDRESS_DISAGREE = _weights(0.6, 0.001)
# Partial agreement (nickname, sound-alike, swapped day and month) earns part of the full weight.
PARTIAL = 0.6
SHOW_FROM = 8.0  # total weight from which a candidate is shown to the registrar
CANDIDATE_CAP = 200


@dataclass
class MatchCandidate:
    patient: Patient
    score: float
    reasons: list[str] = field(default_factory=list)

    @property
    def likelihood(self) -> str:
        if self.score >= 20:
            return "very likely the same person"
        if self.score >= 13:
            return "likely the same person"
        return "possibly the same person"


@dataclass
class _Evidence:
    names: list[tuple[str, str]] = field(default_factory=list)  # (family_key, given_key) of every name
    phones: set[str] = field(default_factory=set)
    addresses: set[tuple[str, str]] = field(default_factory=set)  # (normalised line 1, 5-digit ZIP)


def _address_key(line1: str, postal_code: str) -> tuple[str, str]:
    return normalise_name(line1) + "".join(ch for ch in line1 if ch.isdecimal()), postal_code[:5]


def _registration_phones(registration: PatientRegistration) -> set[str]:
    numbers = set()
    for _, number in registration.phones:
        try:
            numbers.add(clean_us_phone(number))
        except InvalidField:
            continue
    return numbers


def _candidate_ids(registration: PatientRegistration, ssn_digest: str, phones: set[str]) -> set[int]:
    family, given = registration.family_name, registration.given_name
    ids: set[int] = set()
    if family:  # an incomplete legacy record may lack a name: an empty one matches nobody by name
        condition = family_condition(family, prefix=False)
        if given:
            condition &= given_condition(given, prefix=False)
        ids |= set(PatientName.objects.filter(condition).values_list("patient_id", flat=True)[:ROW_CAP])
    born = registration.birth_date
    if born is not None:  # an incomplete legacy record may have none: matched on the other fields
        born_dates = [born]
        if born.day <= 12 and born.day != born.month:
            born_dates.append(born.replace(month=born.day, day=born.month))
        by_birth = Patient.objects.filter(birth_date__in=born_dates).filter(
            Q(sex=registration.sex) | Q(names__family_phonetic=phonetic_key(family))
            | Q(names__given_key__in=sorted(nickname_family(given)))
        )
        ids |= set(by_birth.values_list("pk", flat=True)[:ROW_CAP])
    if ssn_digest:
        ids |= set(Patient.objects.filter(ssn_digest=ssn_digest).values_list("pk", flat=True)[:ROW_CAP])
    if phones:
        ids |= set(PatientPhone.objects.filter(number__in=phones).values_list("patient_id", flat=True)[:ROW_CAP])
    return ids


def _evidence(patient_ids: list[int]) -> dict[int, _Evidence]:
    found: dict[int, _Evidence] = {pk: _Evidence() for pk in patient_ids}
    for pk, family_key, given_key in PatientName.objects.filter(patient_id__in=patient_ids).values_list(
        "patient_id", "family_key", "given_key"
    ):
        found[pk].names.append((family_key, given_key))
    for pk, number in PatientPhone.objects.filter(patient_id__in=patient_ids).values_list("patient_id", "number"):
        found[pk].phones.add(number)
    for pk, line1, postal_code in PatientAddress.objects.filter(patient_id__in=patient_ids).values_list(
        "patient_id", "line1", "postal_code"
    ):
        found[pk].addresses.add(_address_key(line1, postal_code))
    return found


def _name_weight(family: str, given: str, evidence: _Evidence) -> tuple[float, list[str]]:
    family_key, given_key = normalise_name(family), normalise_name(given)
    best_family = (FAMILY_DISAGREE, "")
    best_given = (GIVEN_DISAGREE, "")
    nicknames = nickname_family(given_key)
    for stored_family, stored_given in evidence.names:
        if stored_family == family_key:
            candidate = (FAMILY_AGREE, "same family name")
        elif letters_key(stored_family) == letters_key(family_key) or phonetic_key(stored_family) == phonetic_key(
            family_key
        ):
            candidate = (FAMILY_AGREE * PARTIAL, "family name spelled differently")
        else:
            candidate = (FAMILY_DISAGREE, "")
        best_family = max(best_family, candidate)
        if stored_given == given_key:
            candidate = (GIVEN_AGREE, "same given name")
        elif stored_given in nicknames:
            candidate = (GIVEN_AGREE * PARTIAL, "given name is a nickname of the other")
        elif stored_given and phonetic_key(stored_given) == phonetic_key(given_key):
            candidate = (GIVEN_AGREE * PARTIAL, "given name sounds the same")
        else:
            candidate = (GIVEN_DISAGREE, "")
        best_given = max(best_given, candidate)
    return best_family[0] + best_given[0], [reason for _, reason in (best_family, best_given) if reason]


def score_candidate(registration: PatientRegistration, patient: Patient, evidence: _Evidence, *,
                    ssn_digest: str, phones: set[str]) -> MatchCandidate:
    score, reasons = _name_weight(registration.family_name, registration.given_name, evidence)
    born = registration.birth_date
    if born is None or patient.birth_date is None:
        pass  # an unknown date of birth (incomplete legacy record) is no evidence either way
    elif patient.birth_date == born:
        score += DOB_AGREE
        reasons.append("same date of birth")
    elif (patient.birth_date.year, patient.birth_date.month, patient.birth_date.day) == (born.year, born.day,
                                                                                           born.month):
        score += DOB_AGREE * PARTIAL
        reasons.append("date of birth with day and month swapped")
    else:
        score += DOB_DISAGREE
    if registration.sex in ("F", "M") and patient.sex in ("F", "M"):
        score += SEX_AGREE if patient.sex == registration.sex else SEX_DISAGREE
    if ssn_digest and patient.ssn_digest:
        if patient.ssn_digest == ssn_digest:
            score += SSN_AGREE
            reasons.append("same SSN")
        else:
            score += SSN_DISAGREE
    if phones and evidence.phones:
        if phones & evidence.phones:
            score += PHONE_AGREE
            reasons.append("same phone number")
        else:
            score += PHONE_DISAGREE
    addresses = {_address_key(a.line1, a.postal_code) for a in registration.addresses}
    if addresses and evidence.addresses:
        if addresses & evidence.addresses:
            score += ADDRESS_AGREE
            reasons.append("same address")
        else:
            score += ADDRESS_DISAGREE
    return MatchCandidate(patient=patient, score=round(score, 1), reasons=reasons)


def likely_matches(registration: PatientRegistration, *, limit: int = 10) -> list[MatchCandidate]:
    """Patients already in the index who may be the person being registered, likeliest first.

    Merged records are left out: their survivor is found on its own evidence.
    """
    ssn_digest = ""
    if registration.ssn.strip():
        try:
            ssn_digest = keyed_digest(clean_ssn(registration.ssn))
        except InvalidField:
            ssn_digest = ""
    phones = _registration_phones(registration)
    ids = sorted(_candidate_ids(registration, ssn_digest, phones))[:CANDIDATE_CAP]
    patients = Patient.objects.filter(pk__in=ids, status="active").in_bulk()
    evidence = _evidence(list(patients))
    candidates = [
        score_candidate(registration, patient, evidence[pk], ssn_digest=ssn_digest, phones=phones)
        for pk, patient in patients.items()
    ]
    shown = [candidate for candidate in candidates if candidate.score >= SHOW_FROM]
    shown.sort(key=lambda candidate: (-candidate.score, candidate.patient.pk))
    return shown[:limit]


def match_fingerprint(candidates: list[MatchCandidate]) -> str:
    """Which candidates a registrar was shown, so a confirmation covers exactly those."""
    return ",".join(str(candidate.patient.pk) for candidate in sorted(candidates, key=lambda c: c.patient.pk))


def describe(candidate: MatchCandidate) -> dict[str, Any]:
    return {"patient_id": candidate.patient.pk, "mrn": candidate.patient.mrn, "score": candidate.score,
            "reasons": candidate.reasons}
