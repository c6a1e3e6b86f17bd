"""Names without a title or label, compound surnames, addresses without an English street type, and
city names: removed through `chartdesk deid text` and `deid export`, while clinical text survives."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.core.management import call_command

from chartdesk.patients.schemas import AddressInput
from tests.disclosures.conftest import write_signed_note
from tests.support import factories

# Each leak class of the issue, with the words that must not survive.
LEAKS = {
    "name after 'Pt'": ("Pt Rosalind Okonkwo-Baptiste was seen today for CHF.",
                        ["Rosalind", "Okonkwo", "Baptiste"]),
    "name after 'for patient'": ("Called for patient Kwame Asante-Mensah about his refill.",
                                 ["Kwame", "Asante", "Mensah"]),
    "name after 'named'": ("She is a widow named Philippa Ashdown-Reyes.", ["Philippa", "Ashdown", "Reyes"]),
    "address without a street type": ("Lives at 88 Calle del Sol Apt 4B with her sister.",
                                      ["88", "Calle", "Sol", "4B"]),
    "city after 'lives in'": ("Her daughter lives in Tucson and visits monthly.", ["Tucson"]),
    "city after 'from'": ("Moved from Pittsburgh last spring.", ["Pittsburgh"]),
    "city of several words": ("Retired teacher, Santa Clarita resident.", ["Santa", "Clarita"]),
    "city in an all-capitals note": ("FAMILY FROM WORCESTER VISITED.", ["WORCESTER"]),
    "name in a lower-case note": ("per dr. kenny goal sbp < 120. son bill updated.", ["kenny", "bill"]),
}
CLINICAL = ("Started lisinopril 10 mg PO daily and metformin 500 mg BID. Left femur fracture, Guillain-Barre "
            "syndrome ruled out. BP 100-120/60, HR 72, pain 7/10, ABG 7.38/42/88, 1/2 NS at 75 cc/hr. "
            "Heparin 1100 units/hr. Lungs clear, abdomen soft, right radial pulse 2+.")


def scrub_file(tmp_path, capsys, text: str) -> str:
    path = tmp_path / "note.txt"
    path.write_text(text, encoding="utf-8")
    call_command("deid", "text", str(path))
    return capsys.readouterr().out


def words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9]+", text))


@pytest.mark.parametrize("case", sorted(LEAKS))
def test_each_leak_class_is_closed_by_deid_text(case, tmp_path, capsys, db):
    text, secret = LEAKS[case]
    out = scrub_file(tmp_path, capsys, text)
    assert not words(out) & set(secret), out


def test_the_address_keeps_nothing_but_its_tag(tmp_path, capsys, db):
    out = scrub_file(tmp_path, capsys, "Lives at 88 Calle del Sol Apt 4B with her sister.")
    assert out.strip() == "Lives at [ADDRESS] with her sister."


def test_the_names_and_places_are_tagged_in_place(tmp_path, capsys, db):
    out = scrub_file(tmp_path, capsys, "Pt Rosalind Okonkwo-Baptiste moved from Pittsburgh.")
    assert out.strip() == "Pt [NAME] moved from [CITY]."


def test_a_name_found_once_is_removed_everywhere_in_the_note(tmp_path, capsys, db):
    out = scrub_file(tmp_path, capsys, "Pt Rosalind Okonkwo-Baptiste admitted. Later Rosalind asked for water; "
                                       "Okonkwo-Baptiste family at bedside.")
    assert not words(out) & {"Rosalind", "Okonkwo", "Baptiste"}, out
    assert "asked for water" in out


def test_drugs_doses_and_anatomy_survive(tmp_path, capsys, db):
    assert scrub_file(tmp_path, capsys, CLINICAL).strip() == CLINICAL


def test_a_state_is_kept_and_the_city_goes(tmp_path, capsys, db):
    out = scrub_file(tmp_path, capsys, "Transferred from Baltimore, Maryland.")
    assert out.strip() == "Transferred from [CITY], Maryland."


@pytest.fixture
def third_parties(db, author):
    patient = factories.make_patient(
        "Rosalind", "Okonkwo-Baptiste", birth_date=date(1950, 2, 3),
        addresses=(AddressInput(line1="12 Elm Street", city="Concord", state="NH", postal_code="03301"),),
    )
    text = ("Pt seen with a neighbour, Kwame Asante-Mensah, who drove her in. Her friend, a widow named Philippa "
            "Ashdown-Reyes, lives at 88 Calle del Sol Apt 4B. Her son moved from Pittsburgh to Santa Clarita. "
            "Started lisinopril 10 mg PO daily; left femur fracture.")
    write_signed_note(patient, author, title="Social history", text=text, service_date=date(2024, 3, 14))
    return patient


def test_deid_export_removes_unknown_names_addresses_and_cities(third_parties, tmp_path):
    call_command("deid", "export", "--patients", third_parties.mrn, "--out", str(tmp_path / "out"))
    record = json.loads((tmp_path / "out" / "dataset.ndjson").read_text(encoding="utf-8"))
    text = record["documents"][0]["text"]
    leaked = words(text) & {"Kwame", "Asante", "Mensah", "Philippa", "Ashdown", "Reyes", "Calle", "Sol", "4B",
                            "Pittsburgh", "Santa", "Clarita"}
    assert not leaked, text
    assert "lisinopril 10 mg PO daily; left femur fracture" in text
    assert "[ADDRESS]" in text and "[CITY]" in text
    documents = (tmp_path / "out" / "documents.csv").read_text(encoding="utf-8")
    assert "Asante" not in documents and "Calle" not in documents


@pytest.mark.parametrize(("text", "expected"), [
    ("7/22 found by husband on floor; pain 7/10, 1/2 NS.", "[DATE] found by husband on floor; pain 7/10, 1/2 NS."),
    ("Vent 16/5/40%, ABG 42/7.36/25, SBP 130-160.", "Vent 16/5/40%, ABG 42/7.36/25, SBP 130-160."),
    ("Pager #54321 or PG 33445.", "Pager #[PHONE] or PG [PHONE]."),
])
def test_dates_and_pagers_go_and_clinical_numbers_stay(text, expected, tmp_path, capsys, db):
    assert scrub_file(tmp_path, capsys, text).strip() == expected


def test_brand_name_drugs_in_title_case_survive(tmp_path, capsys, db):
    """The model takes a capitalised brand for a person or a place; the drug dictionary vetoes it."""
    text = ("Synthroid 50 mcg daily. Klonopin 0.5 mg BID. Local anesthesia with Marcaine and Xylocaine. "
            "Phenergan 25 mg IM.")
    assert scrub_file(tmp_path, capsys, text).strip() == text
