"""The demo data set as plain data: who the patients are, their stays and documents.

Planning is separate from loading so that a seed always gives the same plan (the loader only
replays it through the real actions), and so the plan can be checked without a database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo

from chartdesk.core.dates import age_on
from chartdesk.core.demo import clinical, people

ENCOUNTER_CLASSES = ("outpatient", "emergency", "inpatient", "observation")
RESTRICTIONS = ("vip", "employee", "sensitive")
DUPLICATE_KINDS = ("typo", "nickname", "swapped_birth_date")

PROVIDER_SPECIALTIES = (
    # specialty, credentials; each scenario's attending is drawn from its specialty
    ("Hospital Medicine", "MD"), ("Hospital Medicine", "DO"), ("Cardiology", "MD"), ("General Surgery", "MD"),
    ("Orthopaedic Surgery", "MD"), ("Pulmonology", "MD"), ("Emergency Medicine", "MD"),
    ("Emergency Medicine", "PA-C"), ("Family Medicine", "MD"), ("Family Medicine", "NP"),
    ("Internal Medicine", "MD"), ("Radiology", "MD"), ("Pathology", "MD"),
)


@dataclass(frozen=True)
class ProviderPlan:
    given_name: str
    family_name: str
    credentials: str
    specialty: str
    npi: str
    username: str


@dataclass(frozen=True)
class DocumentPlan:
    kind: str  # a key of clinical.WRITERS
    document_type: str  # LOINC code
    title: str
    text: str
    service_date: date
    author: int  # index into DemoPlan.providers
    sign: bool
    correction: tuple[str, str] | None = None  # reason, corrected text
    addendum: str | None = None
    retraction: str | None = None  # reason for "entered in error"


@dataclass(frozen=True)
class EncounterPlan:
    encounter_class: str
    admit_at: datetime
    discharge_at: datetime | None  # None: still in the hospital (inpatient) or visit still open
    disposition: str
    service: str
    location: str
    reason: str
    attending: int
    documents: tuple[DocumentPlan, ...]


@dataclass(frozen=True)
class PatientPlan:
    key: int  # stable name of this record within the plan (duplicate_of refers to it)
    given_name: str
    family_name: str
    middle_name: str
    sex: str
    birth_date: date
    preferred_language: str
    email: str
    phones: tuple[tuple[str, str], ...]
    address: tuple[str, str, str, str]  # line1, city, state, postal code
    identifiers: tuple[tuple[str, str, str], ...]  # type, issuer, value
    restriction: str = ""
    restriction_note: str = ""
    duplicate_of: int | None = None  # key of the patient this is a planted duplicate of
    duplicate_kind: str = ""
    encounters: tuple[EncounterPlan, ...] = field(default=())


@dataclass(frozen=True)
class DemoPlan:
    seed: int
    providers: tuple[ProviderPlan, ...]
    patients: tuple[PatientPlan, ...]

    @property
    def documents(self) -> list[DocumentPlan]:
        return [document for patient in self.patients for enc in patient.encounters for document in enc.documents]


def plan_demo(*, patients: int, seed: int, today: date, zone: tzinfo) -> DemoPlan:
    """Plan `patients` patient records (planted duplicates included) for the two years before `today`."""
    rng = random.Random(seed)
    providers = _plan_providers(rng)
    duplicates = _duplicate_count(patients)
    originals = [_plan_person(rng, today, index) for index in range(patients - duplicates)]
    originals = _plant_restrictions(rng, originals)
    with_duplicates = _plant_duplicates(rng, originals, duplicates)
    first_stays = _first_scenarios()
    planned = []
    for person in with_duplicates:
        encounters = _plan_encounters(rng, person, providers, today, zone, first_stays)
        planned.append(replace(person, encounters=encounters))
    planned = _plant_document_events(rng, planned)
    return DemoPlan(seed, providers, tuple(planned))


def _duplicate_count(patients: int) -> int:
    if patients < 10:
        return 0
    return max(len(DUPLICATE_KINDS), round(patients * 0.03))


def _plan_providers(rng: random.Random) -> tuple[ProviderPlan, ...]:
    providers = []
    used: set[str] = set()
    for specialty, credentials in PROVIDER_SPECIALTIES:
        origin = rng.choices(people.ORIGINS, weights=people.ORIGIN_WEIGHTS)[0]
        given = rng.choice(origin.female + origin.male)
        # One-word family names: the user record splits a full name at its last space.
        family = rng.choice([name for name in origin.family if " " not in name])
        username = f"dr.{people.ascii_fold(family)}"
        while username in used:
            username += str(len(used))
        used.add(username)
        providers.append(ProviderPlan(given, family, credentials, specialty, people.fake_npi(rng), username))
    return tuple(providers)


def _plan_person(rng: random.Random, today: date, index: int) -> PatientPlan:
    origin = rng.choices(people.ORIGINS, weights=people.ORIGIN_WEIGHTS)[0]
    sex = rng.choices(("F", "M", "X"), weights=(51, 48, 1))[0]
    given_pool = origin.female if sex == "F" else origin.male if sex == "M" else origin.female + origin.male
    given = rng.choice(given_pool)
    family = rng.choice(origin.family)
    if rng.random() < 0.08:  # a double-barrelled family name now and then
        family = f"{family}-{rng.choice(origin.family)}" if "-" not in family else family
    middle_pool = people.MIDDLE_NAMES_FEMALE if sex == "F" else people.MIDDLE_NAMES_MALE
    middle = rng.choice(middle_pool) if rng.random() < 0.55 else ""
    age = people.draw_age(rng)
    birth_date = people.birth_date_for_age(rng, today, age)
    language = origin.languages[0] if rng.random() < 0.7 else rng.choice(origin.languages)
    city, state, postal_code, area = rng.choice(people.CITIES)
    line1 = f"{rng.randint(100, 9899)} {rng.choice(people.STREETS)} {rng.choice(people.STREET_KINDS)}"
    if rng.random() < 0.2:
        line1 += f" Apt {rng.randint(1, 30)}{rng.choice('ABCD')}"
    phones: list[tuple[str, str]] = [("mobile", people.fake_phone(rng, area))]
    if rng.random() < 0.3:
        phones.append(("home", people.fake_phone(rng, area)))
    email = ""
    if age >= 16 and rng.random() < 0.5:
        domain = rng.choice(("example.com", "example.org", "example.net"))
        email = f"{people.ascii_fold(given)}.{people.ascii_fold(family)}{index}@{domain}"
    identifiers: list[tuple[str, str, str]] = []
    if age >= 65:
        identifiers.append(("MC", "CMS", people.medicare_mbi(rng)))
    elif rng.random() < 0.7:
        issuer, shape = rng.choice(people.PAYERS)
        identifiers.append(("MB", issuer, people.member_id(rng, shape)))
    elif rng.random() < 0.6:
        issuer, shape = people.MEDICAID
        identifiers.append(("MA", issuer, people.member_id(rng, shape)))
    return PatientPlan(
        key=index,
        given_name=given,
        family_name=family,
        middle_name=middle,
        sex=sex,
        birth_date=birth_date,
        preferred_language=language,
        email=email,
        phones=tuple(phones),
        address=(line1, city, state, postal_code),
        identifiers=tuple(identifiers),
    )


RESTRICTION_NOTES = {
    "vip": "Public figure: access limited to the care team.",
    "employee": "Hospital employee.",
    "sensitive": "Behavioral health and substance use records (42 CFR Part 2).",
}


def _plant_restrictions(rng: random.Random, persons: list[PatientPlan]) -> list[PatientPlan]:
    if not persons:
        return persons
    count = min(len(persons), max(len(RESTRICTIONS), round(len(persons) * 0.015)))
    chosen = rng.sample(range(len(persons)), count)
    planted = list(persons)
    for n, index in enumerate(chosen):
        kind = RESTRICTIONS[n % len(RESTRICTIONS)]
        planted[index] = replace(planted[index], restriction=kind, restriction_note=RESTRICTION_NOTES[kind])
    return planted


def _plant_duplicates(rng: random.Random, originals: list[PatientPlan], count: int) -> list[PatientPlan]:
    """Register some people a second time the ways duplicates really happen, placed later in the list."""
    result = list(originals)
    candidates = [i for i, person in enumerate(originals) if not person.restriction]
    rng.shuffle(candidates)
    for n in range(count):
        kind = DUPLICATE_KINDS[n % len(DUPLICATE_KINDS)]
        index = next(i for i in candidates if _can_duplicate(originals[i], kind))
        candidates.remove(index)
        original = originals[index]
        if kind == "typo":
            copy = replace(original, family_name=people.transpose_typo(rng, original.family_name))
        elif kind == "nickname":
            copy = replace(original, given_name=people.NICKNAMES[original.given_name], middle_name="")
        else:
            born = original.birth_date
            copy = replace(original, birth_date=born.replace(month=born.day, day=born.month))
        # A second registration rarely captures everything the first did.
        copy = replace(copy, key=len(originals) + n, email="", identifiers=(), phones=copy.phones[:1],
                       duplicate_of=original.key, duplicate_kind=kind)
        after = result.index(original)
        result.insert(rng.randint(after + 1, len(result)), copy)
    return result


def _can_duplicate(person: PatientPlan, kind: str) -> bool:
    if kind == "nickname":
        return person.given_name in people.NICKNAMES
    if kind == "swapped_birth_date":
        born = person.birth_date
        return born.day <= 12 and born.day != born.month
    return len(person.family_name) > 3


def _first_scenarios() -> list[clinical.Scenario]:
    """One scenario of each kind goes to the first patients, so every class and document type appears."""
    return sorted(clinical.SCENARIOS, key=lambda scenario: scenario.encounter_class != "inpatient")


def _plan_encounters(
    rng: random.Random,
    person: PatientPlan,
    providers: tuple[ProviderPlan, ...],
    today: date,
    zone: tzinfo,
    first_stays: list[clinical.Scenario],
) -> tuple[EncounterPlan, ...]:
    age = age_on(person.birth_date, today)
    fitting = [s for s in clinical.SCENARIOS if s.ages[0] <= age <= s.ages[1]]
    count = rng.choices((1, 2, 3, 4), weights=(35, 35, 20, 10))[0]
    chosen: list[clinical.Scenario] = []
    still_here = False
    if first_stays:
        scenario = next((s for s in first_stays if s in fitting), None)
        if scenario is not None:
            first_stays.remove(scenario)
            chosen.append(scenario)
            # The first inpatient story is happening now, so the census shows someone in a bed.
            still_here = scenario.encounter_class == "inpatient"
    while len(chosen) < count and fitting:
        chosen.append(rng.choices(fitting, weights=[_weight(s) for s in fitting])[0])
    days_ago = sorted((rng.randint(3, 729) for _ in chosen), reverse=True)
    if still_here:
        days_ago = [*days_ago[1:], 1]
        chosen = [*chosen[1:], chosen[0]]
    encounters = []
    for scenario, ago in zip(chosen, days_ago, strict=True):
        current = still_here and ago == 1 and scenario is chosen[-1]
        encounters.append(_plan_encounter(rng, scenario, person, providers, today, zone, ago, current))
    return tuple(sorted(encounters, key=lambda encounter: encounter.admit_at))


def _weight(scenario: clinical.Scenario) -> int:
    return {"outpatient": 6, "emergency": 3, "inpatient": 2, "observation": 1}[scenario.encounter_class]


def _plan_encounter(
    rng: random.Random,
    scenario: clinical.Scenario,
    person: PatientPlan,
    providers: tuple[ProviderPlan, ...],
    today: date,
    zone: tzinfo,
    days_ago: int,
    current: bool,
) -> EncounterPlan:
    attending = _provider_for(rng, providers, scenario.specialty)
    start_hour = rng.randint(8, 16) if scenario.encounter_class == "outpatient" else rng.randint(0, 23)
    admit_at = datetime.combine(today - timedelta(days=days_ago), time(start_hour, rng.choice((0, 15, 30, 45))),
                                tzinfo=zone)
    if scenario.encounter_class in {"inpatient", "observation"}:
        stay = timedelta(days=rng.randint(*scenario.stay_days), hours=rng.randint(4, 20))
    else:
        stay = timedelta(hours=rng.randint(1, 6)) if scenario.encounter_class == "emergency" else timedelta(minutes=40)
    discharge_at: datetime | None = admit_at + stay
    now = datetime.combine(today, time(0), tzinfo=zone)
    if current or admit_at + stay >= now:
        discharge_at = None  # still here: a current inpatient
    disposition = ""
    if discharge_at is not None and scenario.encounter_class != "outpatient":
        disposition = "01"
        if scenario.encounter_class == "inpatient" and age_on(person.birth_date, today) >= 75:
            disposition = rng.choice(("01", "06", "03", "62"))
    noun = "Mr." if person.sex == "M" else "Ms." if person.sex == "F" else "Mx."
    context = clinical.NoteContext(
        title=f"{noun} {person.family_name}" if age_on(person.birth_date, today) >= 18 else person.given_name,
        age=age_on(person.birth_date, admit_at.date()),
        sex=person.sex,
        admit_at=admit_at,
        discharge_at=discharge_at,
        attending=_provider_name(providers[attending]),
        disposition=disposition or "01",
    )
    documents = []
    hospital_day = 1
    last_day = discharge_at.date() if discharge_at is not None else today
    for kind in scenario.documents:
        if kind == "discharge" and discharge_at is None:
            continue  # nobody writes the discharge summary before the discharge
        service_day = (discharge_at if kind == "discharge" and discharge_at else admit_at).date()
        if kind == "progress":
            hospital_day += 1
            service_day = admit_at.date() + timedelta(days=hospital_day - 1)
            if service_day > last_day:
                continue
        author = attending
        if kind == "imaging":
            author = _provider_for(rng, providers, "Radiology")
        elif kind == "lab":
            author = _provider_for(rng, providers, "Pathology")
        writer = clinical.WRITERS[kind][1]
        text = clinical.progress_note(scenario, context, rng, hospital_day) if kind == "progress" else writer(
            scenario, context, rng
        )
        age_in_days = (today - service_day).days
        # Recent documents wait for a signature the way a real signing queue does; a few old ones
        # were never signed at all (the delinquent charts an HIM department chases).
        sign = rng.random() < 0.4 if age_in_days <= 14 else rng.random() > 0.03
        documents.append(
            DocumentPlan(
                kind=kind,
                document_type=clinical.DOCUMENT_TYPES[kind],
                title=clinical.document_title(kind, scenario),
                text=text,
                service_date=service_day,
                author=author,
                sign=sign,
            )
        )
    return EncounterPlan(
        encounter_class=scenario.encounter_class,
        admit_at=admit_at,
        discharge_at=discharge_at,
        disposition=disposition,
        service=scenario.service,
        location=scenario.location,
        reason=scenario.reason,
        attending=attending,
        documents=tuple(documents),
    )


def _provider_for(rng: random.Random, providers: tuple[ProviderPlan, ...], specialty: str) -> int:
    matching = [i for i, provider in enumerate(providers) if provider.specialty == specialty]
    return rng.choice(matching) if matching else 0


def _provider_name(provider: ProviderPlan) -> str:
    return f"{provider.given_name} {provider.family_name}, {provider.credentials}"


def _plant_document_events(rng: random.Random, planned: list[PatientPlan]) -> list[PatientPlan]:
    """Correct a few signed documents, add addenda to a few, and mark exactly one entered in error."""
    signed = [
        (p, e, d)
        for p, patient in enumerate(planned)
        for e, encounter in enumerate(patient.encounters)
        for d, document in enumerate(encounter.documents)
        if document.sign and document.kind not in {"lab"}
    ]
    if not signed:
        return planned
    picks = rng.sample(signed, min(len(signed), 1 + 2 * max(2, len(planned) // 60)))
    retract, rest = picks[0], picks[1:]
    changes: dict[tuple[int, int, int], dict[str, object]] = {
        retract: {"retraction": "Dictated on the wrong patient; the report was refiled to the correct chart."}
    }
    for n, key in enumerate(rest):
        document = planned[key[0]].encounters[key[1]].documents[key[2]]
        if n % 2 == 0:
            reason, wrong, right = next(
                (c for c in clinical.CORRECTIONS if c[1] in document.text), clinical.CORRECTIONS[0]
            )
            text = document.text.replace(wrong, right, 1) if wrong in document.text else document.text + (
                "\n\nCorrection: history reviewed with the patient's family; no change to the plan."
            )
            changes[key] = {"correction": (reason, text)}
        else:
            changes[key] = {"addendum": rng.choice(clinical.ADDENDA)}
    result = list(planned)
    for (p, e, d), change in changes.items():
        patient = result[p]
        encounters = list(patient.encounters)
        documents = list(encounters[e].documents)
        documents[d] = replace(documents[d], **change)  # type: ignore[arg-type]
        encounters[e] = replace(encounters[e], documents=tuple(documents))
        result[p] = replace(patient, encounters=tuple(encounters))
    return result
