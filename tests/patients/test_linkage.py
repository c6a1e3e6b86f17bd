"""The duplicate model itself (patients.linkage): training without labels, scoring, the household rules."""

import random

import pytest

from chartdesk.patients.linkage import LinkRecord, load_model, save_model, score, train

GIVEN = ["james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "david", "elizabeth",
         "richard", "susan", "joseph", "jessica", "thomas", "sarah", "charles", "karen", "daniel", "nancy"]
FAMILY = ["smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez",
          "hernandez", "lopez", "gonzalez", "wilson", "anderson", "taylor", "moore", "jackson", "martin", "lee",
          "perez", "thompson", "white", "harris", "sanchez", "clark", "ramirez", "lewis", "robinson", "walker"]


def _typo(rng, text):
    at = rng.randrange(1, len(text) - 1)
    return text[:at] + text[at + 1] + text[at] + text[at + 2:]


@pytest.fixture(scope="module")
def synthetic():
    """600 people and 120 re-registrations of them with a typo; labels kept aside for counting."""
    rng = random.Random(7)
    records, truth = [], set()
    for number in range(600):
        records.append(LinkRecord(
            unique_id=f"p{number}", given_name=rng.choice(GIVEN), family_name=rng.choice(FAMILY),
            birth_date=f"{rng.randint(1930, 2015)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            sex=rng.choice("FM"), address=f"{rng.randint(1, 999)} {rng.choice(FAMILY)} street",
            postal_code=f"{rng.randint(10000, 99999)}", phone=f"217555{rng.randint(0, 9999):04d}",
            ssn_key=f"{rng.randint(0, 10**9):09d}", ssn_last4=""))
    for number in range(120):
        original = records[number * 5]
        records.append(LinkRecord(
            unique_id=f"d{number}", given_name=original.given_name, family_name=_typo(rng, original.family_name),
            birth_date=original.birth_date, sex=original.sex, address=original.address,
            postal_code=original.postal_code, phone=original.phone if number % 2 else "", ssn_key=""))
        truth.add(tuple(sorted((original.unique_id, f"d{number}"))))
    return records, truth


def test_trained_without_labels_the_model_finds_the_re_registrations(synthetic, tmp_path):
    records, truth = synthetic
    model = train(records)
    save_model(model, tmp_path / "model.json")
    pairs = score(records, load_model(tmp_path / "model.json"))
    found = {(pair.left, pair.right) for pair in pairs}
    assert len(found & truth) / len(truth) >= 0.95  # recall, in-sample (the model is trained on these records)
    assert len(found & truth) / len(found) >= 0.95  # precision, in-sample
    family = next(item for item in pairs[0].evidence if item.field == "family_name")
    assert family.level in ("exact", "typo")


def test_twins_juniors_and_seniors_and_spouses_are_never_in_the_match_band():
    home = {"address": "12 elm street", "postal_code": "62701", "phone": "2175550101"}
    people = [
        LinkRecord("twin1", "john", "carter", "2001-04-09", "M", **home),
        LinkRecord("twin2", "james", "carter", "2001-04-09", "M", **home),
        LinkRecord("sr", "robert", "okafor", "1950-02-03", "M", suffix="Sr", **home),
        LinkRecord("jr", "robert", "okafor", "1950-02-03", "M", suffix="Jr", **home),
        LinkRecord("wife", "maria", "okafor", "1952-07-30", "F", **home),
        LinkRecord("same1", "katherine", "lindqvist", "1988-11-23", "F", ssn_key="k1", address="4 oak road",
                   postal_code="10001"),
        LinkRecord("same2", "kathrine", "lindqvist", "1988-11-23", "F", ssn_key="k1", address="4 oak road",
                   postal_code="10001"),
    ]
    pairs = {(pair.left, pair.right): pair for pair in score(people, load_model(), review_from=0.0)}
    assert pairs[("same1", "same2")].band == "match"
    for household in [("twin1", "twin2"), ("jr", "sr"), ("sr", "wife"), ("jr", "wife")]:
        pair = pairs.get(household)
        assert pair is None or (pair.band == "review" and pair.flags), household
    assert "different suffixes (JR and SR)" in pairs[("jr", "sr")].flags


def test_the_index_read_as_a_frame_gives_the_model_the_same_columns_as_link_records():
    """The scan reads a million charts as a pandas frame (keys computed once per distinct name);
    LinkRecords and that frame must give the model the same values."""
    import pandas as pd

    from chartdesk.patients.linkage import COLUMNS, RECORD_FIELDS, _frame

    records = [
        LinkRecord("1", "Bill", "García-López", "1971-06-02", "M", suffix="Jr.", address="12 Elm St.",
                   postal_code="62701-1234", phone="2175550101", ssn_key="k1", ssn_last4="6789"),
        LinkRecord("2", "bill", "Garcia Lopez", "", "U"),
        LinkRecord("3", "", "O'Brien", "1988-11-23", "F", address="4 Oak Road"),
    ]
    as_records = _frame(records)
    as_frame = _frame(pd.DataFrame([[getattr(r, name) for name in RECORD_FIELDS] for r in records],
                                   columns=list(RECORD_FIELDS)))
    pd.testing.assert_frame_equal(as_records, as_frame)
    assert list(as_records.columns) == list(COLUMNS)
    first, second, third = as_records.to_dict("records")
    assert (first["given_key"], first["family_key"], first["family_parts"]) == ("bill", "garcialopez",
                                                                                ["garcia", "lopez"])
    assert "william" in first["given_nicknames"] and first["given_phonetic"] == "BL"
    assert (first["suffix"], first["address"], first["postal_code"]) == ("jr", "elm st 12", "62701")
    assert second["family_key"] == "garcialopez" and second["birth_date"] is None and second["sex"] is None
    assert second["phone"] is None and second["ssn_key"] is None and second["address"] is None
    assert third["given_key"] is None and third["given_nicknames"] is None and third["family_key"] == "obrien"


def test_the_scan_blocks_with_the_code_s_measured_rules_not_the_model_file_s(synthetic):
    """A model file trained before the blocking rules were measured (or by hand) carries its own
    rules; the scan's cost and recall are the code's, so the file's rules are not used."""
    records, truth = synthetic
    model = load_model()
    model["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": "l.unique_id = r.unique_id AND l.unique_id <> r.unique_id", "sql_dialect": "duckdb"}]
    found = {(pair.left, pair.right) for pair in score(records, model)}
    assert len(found & truth) / len(truth) >= 0.95
