"""The duplicate model shipped in src/chartdesk/patients/data/mpi_model.json, so that a fresh
install matches registrations and scans its index before the site trains its own
(`chartdesk patients duplicates train`).

It is estimated, without labels, as `train` does on an index, on synthetic people from the demo
generator's name pools (chartdesk.core.demo.people, the same long-tailed pools bench.patients
uses), streets and cities, with planted duplicates as a registration desk makes them (a typo, a
nickname, day and month swapped, a digit off, a new address or phone, a field left empty) and
households that must not be taken for one person (twins, Jr and Sr, spouses). No test fixture and
no benchmark data set (FEBRL) is used, so the FEBRL figures of single-record matching are out of
sample.

`python -m bench._shipped_model` rewrites the shipped model (a minute or two).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

SEED = 20261207
PEOPLE = 6000
DUPLICATE_SHARE = 0.3
HOUSEHOLD_SHARE = 0.1


def _phone(rng: random.Random, area_code: str) -> str:
    # The demo's 555-01xx numbers are too few to tell people apart; these are as varied as real ones.
    return f"{area_code}{rng.randrange(200, 999)}{rng.randrange(0, 10000):04d}"


def _person(rng: random.Random, people: Any, index: int) -> dict[str, Any]:
    from chartdesk.core.demo.people import CITIES, STREET_KINDS, STREETS

    sex = rng.choice("FM")
    pool, weights = (people.female, people.female_weights) if sex == "F" else (people.male, people.male_weights)
    city = rng.choice(CITIES)
    return {
        "given": rng.choices(pool, weights)[0],
        "family": rng.choices(people.family, people.family_weights)[0],
        "sex": sex, "suffix": "",
        "born": date(2026, 11, 1) - timedelta(days=rng.randrange(0, 95 * 365)),
        "address": f"{rng.randrange(1, 9999)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}",
        "postal_code": city[2], "phone": _phone(rng, city[3]),
        "ssn": f"{rng.randrange(1, 665):03d}{rng.randrange(1, 100):02d}{rng.randrange(1, 10000):04d}"
        if rng.random() < 0.4 else "",
        "id": f"p{index}",
    }


def _registered_again(rng: random.Random, person: dict[str, Any], people: Any) -> dict[str, Any]:
    """The same person registered a second time, with one or two of the errors desks make."""
    from chartdesk.core.demo.people import CITIES, NICKNAMES, STREETS, transpose_typo

    again = dict(person, id=person["id"] + "-again")
    for change in rng.sample(range(11), k=rng.choice((1, 1, 2))):
        if change == 0:
            again["family"] = transpose_typo(rng, again["family"])
        elif change == 1:
            again["given"] = NICKNAMES.get(again["given"], transpose_typo(rng, again["given"]))
        elif change == 2 and again["born"].day <= 12:
            again["born"] = again["born"].replace(month=again["born"].day, day=again["born"].month)
        elif change == 3:
            again["born"] = again["born"] + timedelta(days=rng.choice((-10, -1, 1, 10)))
        elif change == 4:
            city = rng.choice(CITIES)
            again["address"] = f"{rng.randrange(1, 9999)} {rng.choice(STREETS)} St"
            again["postal_code"] = city[2]
        elif change == 5:
            again["phone"] = ""
        elif change == 6:
            again["ssn"] = ""
        elif change == 7 and again["sex"] == "F":
            again["family"] = rng.choices(people.family, people.family_weights)[0]  # a married name
        elif change == 8:
            again["phone"] = _phone(rng, "312")
        elif change == 9:
            again["given"], again["family"] = again["family"], again["given"]
        elif change == 10 and again["ssn"]:
            again["ssn"] = again["ssn"][:3] + again["ssn"][4] + again["ssn"][3] + again["ssn"][5:]  # a keying slip
    return again


def _household(rng: random.Random, person: dict[str, Any], people: Any) -> dict[str, Any]:
    """Someone else at the same home: a twin, a Jr of a Sr, or a spouse."""
    other = _person(rng, people, 0)
    shared = {"family": person["family"], "address": person["address"], "postal_code": person["postal_code"],
              "phone": person["phone"], "id": person["id"] + "-household"}
    kind = rng.choice(("twin", "junior", "spouse"))
    if kind == "twin":
        return dict(other, born=person["born"], **shared)
    if kind == "junior":
        person["suffix"] = "SR"
        return dict(person, suffix="JR", born=person["born"] + timedelta(days=rng.randrange(20, 40) * 365),
                    ssn=other["ssn"], **shared)
    return dict(other, **shared)


def records() -> list[Any]:
    from bench.patients import People
    from chartdesk.patients.linkage import LinkRecord

    people = People(SEED)
    rng = random.Random(SEED)
    made = []
    for index in range(PEOPLE):
        person = _person(rng, people, index)
        made.append(person)
        if rng.random() < DUPLICATE_SHARE:
            made.append(_registered_again(rng, person, people))
        if rng.random() < HOUSEHOLD_SHARE:
            made.append(_household(rng, person, people))
    return [LinkRecord(unique_id=each["id"], given_name=each["given"], family_name=each["family"],
                       suffix=each["suffix"], birth_date=each["born"].isoformat(), sex=each["sex"],
                       address=each["address"], postal_code=each["postal_code"], phone=each["phone"],
                       ssn_key=each["ssn"], ssn_last4=each["ssn"][-4:]) for each in made]


def train_shipped_model() -> None:
    import logging

    from chartdesk.patients.linkage import MODEL_PATH, save_model, train

    logging.getLogger("splink").setLevel(logging.WARNING)
    linked = records()
    save_model(train(linked), MODEL_PATH)
    print(f"shipped model trained on {len(linked):,} synthetic records, written to {MODEL_PATH.name}")


if __name__ == "__main__":
    import django

    django.setup()
    train_shipped_model()
