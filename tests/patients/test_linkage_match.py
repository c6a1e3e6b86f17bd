"""Single-record matching on the trained model (patients.linkage_match): the Python comparison
levels agree with Splink's, candidates are scored as the scan scores pairs, households stay out of
the match band, and `duplicates train` makes registration use the site's model."""

import json
import math
import random
from datetime import date, timedelta

import pytest
from django.core.management import call_command

from chartdesk.patients.linkage import (
    MODEL_PATH,
    TERM_FREQUENCIES,
    LinkRecord,
    active_model_path,
    load_model,
    score,
    term_frequencies,
)
from chartdesk.patients.linkage_match import compile_model, level_test, match_record, score_records
from chartdesk.patients.schemas import AddressInput, PatientRegistration
from tests.support import factories

GIVEN = ["james", "mary", "robert", "katherine", "john", "jennifer", "william", "linda", "elizabeth", "jose"]
FAMILY = ["smith", "okafor", "garcia-lopez", "nakamura", "lindqvist", "brown", "garcia", "perez", "wright"]
NICKNAMES = {"robert": "bob", "william": "bill", "elizabeth": "liz", "katherine": "kate", "james": "jim"}


def _lookalikes():
    """People and their near-copies: typos, nicknames, swapped names and dates, households, gaps."""
    rng = random.Random(11)
    made = []
    for number in range(30):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(0, 30_000))
        base = dict(given_name=given, family_name=family, birth_date=born.isoformat(), sex=rng.choice("FM"),
                    address=f"{rng.randint(1, 99)} elm street", postal_code=rng.choice(["62701", "62704"]),
                    phone=f"217555{rng.randint(0, 99):04d}", ssn_key=f"k{rng.randint(0, 20)}",
                    ssn_last4=f"{rng.randint(0, 3):04d}")
        made.append(LinkRecord(unique_id=f"{number:02d}a", **base))
        variant = dict(base)
        kind = number % 6
        if kind == 0:
            variant["family_name"] = family[:2] + family[3] + family[2] + family[4:]
        elif kind == 1:
            variant["given_name"] = NICKNAMES.get(given, given + "e")
        elif kind == 2:
            variant["given_name"], variant["family_name"] = family, given
        elif kind == 3:
            variant["birth_date"] = f"{born.year}-{born.day:02d}-{born.month:02d}" if born.day <= 12 else ""
        elif kind == 4:
            variant.update(phone="", ssn_key="", sex="", suffix="jr", address="")
        else:
            variant["birth_date"] = (born + timedelta(days=1)).isoformat()
            variant["phone"] = base["phone"][:-1] + "9"
        made.append(LinkRecord(unique_id=f"{number:02d}b", **variant))
    return made


def test_the_python_levels_and_weights_agree_with_splink_on_every_pair():
    records = _lookalikes()
    model = load_model(MODEL_PATH)
    # Splink counts term frequencies from the records it scores; the model carries them for
    # single-record matching. Counted from the same records, the two must give the same weights.
    model[TERM_FREQUENCIES] = term_frequencies(records)
    by_id = {record.unique_id: record for record in records}
    pairs = score(records, model, review_from=0.0, blocking_rules=["1=1"])
    assert len(pairs) == len(records) * (len(records) - 1) // 2
    compiled = compile_model(model)
    levels_seen = set()
    for pair in pairs:
        [(_, probability, weight, _, evidence, _)] = score_records(compiled, by_id[pair.left], [by_id[pair.right]],
                                                                   review_from=0.0)
        ours = {item.field: item.level for item in evidence}
        theirs = {item.field: item.level for item in pair.evidence}
        assert ours == theirs, (pair.left, pair.right)
        assert weight == pytest.approx(pair.match_weight, abs=1e-6), (pair.left, pair.right)
        assert probability == pytest.approx(pair.probability, abs=1e-9)
        levels_seen |= {(item.field, item.level) for item in evidence}
    # The pairs reach the levels that are easy to get wrong in a second implementation.
    assert {("given_name", "nickname"), ("given_name", "given and family swapped"), ("given_name", "typo"),
            ("family_name", "typo"), ("birth_date", "day and month swapped"), ("birth_date", "one digit off"),
            ("phone", "one digit off"), ("ssn", "same last four digits"),
            ("family_name", "shares a part (compound name)"), ("sex", "unknown")} <= levels_seen


def test_a_level_the_matcher_cannot_evaluate_is_refused():
    with pytest.raises(ValueError, match="cannot evaluate: levenshtein"):
        level_test('levenshtein("given_key_l", "given_key_r") <= 2')


def _registration(**fields):
    values = {"given_name": "Ingrid", "family_name": "Solberg", "birth_date": date(1964, 9, 21), "sex": "F"}
    values.update(fields)
    return PatientRegistration(**values)


@pytest.fixture
def ingrid(db):
    return factories.make_patient("Ingrid", "Solberg", date(1964, 9, 21), "F", ssn="219-09-9999",
                                  phones=(("mobile", "2175550142"),),
                                  addresses=(AddressInput(line1="12 Oak St", city="Springfield", state="IL",
                                                          postal_code="62704"),))


def test_the_same_person_is_in_the_match_band_with_the_agreeing_fields(ingrid):
    [candidate] = match_record(_registration(ssn="219099999"))
    assert candidate.patient == ingrid
    assert candidate.band == "match"
    assert candidate.likelihood == "very likely the same person"
    assert {"Given name: exact", "Family name: exact", "Date of birth: exact", "SSN: exact"} <= set(candidate.reasons)


def test_a_nickname_and_a_typo_in_the_family_name_still_find_the_chart(ingrid):
    [candidate] = match_record(_registration(given_name="Inga", family_name="Solbreg",
                                             phones=(("mobile", "217-555-0142"),)))
    assert candidate.patient == ingrid
    assert "Family name: typo" in candidate.reasons


def test_a_stranger_sharing_only_the_birthday_is_not_offered(ingrid):
    assert match_record(_registration(given_name="Tobias", family_name="Wright", sex="M")) == []


def test_a_twin_at_the_same_home_is_never_in_the_match_band(ingrid):
    [candidate] = match_record(_registration(given_name="Astrid", phones=(("mobile", "2175550142"),),
                                             addresses=(AddressInput(line1="12 Oak St", city="Springfield",
                                                                     state="IL", postal_code="62704"),)))
    assert candidate.patient == ingrid
    assert candidate.band == "review"
    assert "different given names, same birth date and family: twins?" in candidate.flags


def test_merged_charts_are_not_offered(ingrid):
    from chartdesk.patients.models import Patient, PatientStatus

    Patient.objects.filter(pk=ingrid.pk).update(status=PatientStatus.MERGED)
    assert match_record(_registration()) == []


def _bulk_index(count):
    """`count` synthetic charts and a re-registration of every fourth, through the
    registration row builders (as bench.patients builds an index), for training."""
    from chartdesk.core.demo.people import ORIGINS
    from chartdesk.patients.actions import build_patient, clean_registration, registration_rows, save_registration_rows
    from chartdesk.patients.models import Patient
    from chartdesk.patients.mrn import allocate_mrns

    givens = sorted({name for origin in ORIGINS for name in origin.female + origin.male})
    families = sorted({name for origin in ORIGINS for name in origin.family})
    rng = random.Random(5)
    registrations = []
    for number in range(count):
        given, family = rng.choice(givens), rng.choice(families)
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(0, 30_000))
        phone = (("mobile", f"217{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"),)
        registrations.append(PatientRegistration(given_name=given, family_name=family, birth_date=born,
                                                 sex=rng.choice("FM"), phones=phone))
        if number % 4 == 0:  # registered again: as it was, or with a typo in the family name
            registrations.append(PatientRegistration(given_name=given, family_name=family + "e" * (number % 8 == 0),
                                                     birth_date=born, sex=registrations[-1].sex, phones=phone))
    registrations = [clean_registration(each) for each in registrations]
    user = factories.make_user("him_manager", username="hannah")
    built = Patient.objects.bulk_create([build_patient(r, mrn=mrn, acting_user=user)
                                         for r, mrn in zip(registrations, allocate_mrns(len(registrations)),
                                                           strict=True)])
    rows: dict = {"names": [], "addresses": [], "phones": [], "identifiers": []}
    for patient, registration in zip(built, registrations, strict=True):
        for kind, made in registration_rows(patient, registration).items():
            rows[kind] += made
    save_registration_rows(rows)
    return user


def test_duplicates_train_makes_registration_match_with_the_sites_model(db, settings, ingrid):
    _bulk_index(300)
    registration = _registration(given_name="Ingrid", family_name="Solbreg", birth_date=date(1964, 9, 22))
    assert active_model_path() == MODEL_PATH  # nothing trained yet: the shipped model
    [before] = match_record(registration)
    call_command("patients", "duplicates", "train", "--user", "hannah")
    assert active_model_path() == settings.MPI_MODEL_PATH
    site_model = json.loads(settings.MPI_MODEL_PATH.read_text())
    assert site_model[TERM_FREQUENCIES]["records"] == 10_000  # counted out of at least 10,000
    [after] = match_record(registration)
    assert after.patient == before.patient == ingrid
    expected = score_records(compile_model(site_model), _registration_record(registration), _chart(ingrid))
    assert after.match_weight == pytest.approx(expected[0][2])
    assert not math.isclose(after.match_weight, before.match_weight)


def _registration_record(registration):
    from chartdesk.patients.linkage_match import registration_record

    return registration_record(registration)


def _chart(patient):
    from chartdesk.patients.duplicates import link_records

    return link_records([patient.pk])
