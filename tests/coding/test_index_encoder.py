"""The encoder navigating the Alphabetic Index and its tables like a coder, on extracts of the CMS files."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from chartdesk.coding.encoder.search import Hit, search
from tests.coding.index_extracts import write_release_zip

pytestmark = pytest.mark.django_db


@pytest.fixture
def index_loaded(tmp_path: Path) -> None:
    call_command("codes", "load", "icd10cm", str(write_release_zip(tmp_path)), stdout=io.StringIO())


def first(text: str) -> Hit:
    return search(text, limit=5)[0]


def codes(text: str) -> list[str]:
    return [hit.display for hit in search(text, limit=5)]


@pytest.mark.usefixtures("index_loaded")
@pytest.mark.parametrize(("phrase", "expected", "column"), [
    ("malignant neoplasm of breast", "C50.919", "Malignant Primary"),
    ("breast cancer", "C50.919", "Malignant Primary"),
    ("metastatic to breast", "C79.81", "Malignant Secondary"),
    ("carcinoma in situ of breast", "D05.90", "Ca in situ"),
    ("benign neoplasm of breast", "D24.9", "Benign"),
    ("neoplasm of uncertain behavior of breast", "D48.60", "Uncertain Behavior"),
    ("breast neoplasm", "D49.3", "Unspecified Behavior"),
])
def test_every_column_of_the_neoplasm_table(phrase: str, expected: str, column: str) -> None:
    hit = first(phrase)
    assert (hit.display, hit.via) == (expected, "Table of Neoplasms")
    assert hit.path[:3] == ("Neoplasm, neoplastic", "breast", column)


@pytest.mark.usefixtures("index_loaded")
def test_an_incomplete_cell_is_completed_with_the_choices_left_to_the_coder() -> None:
    hit = first("breast cancer")
    assert hit.path == ("Neoplasm, neoplastic", "breast", "Malignant Primary", "C50.9-", "C50.9 incomplete: choose")
    choices = [code for code, _ in hit.choices]
    assert choices[:3] == ["C50.911", "C50.912", "C50.919"] and "C50.929" in choices


@pytest.mark.usefixtures("index_loaded")
def test_liver_mets_from_colon_ca_is_secondary_liver_and_primary_colon() -> None:
    hits = search("liver mets from colon ca", limit=5)
    assert [(hit.display, hit.path[2]) for hit in hits[:2]] == [("C78.7", "Malignant Secondary"),
                                                                ("C18.9", "Malignant Primary")]
    assert codes("colon cancer metastatic to liver")[:2] == ["C78.7", "C18.9"]


@pytest.mark.usefixtures("index_loaded")
def test_an_empty_cell_sends_the_coder_to_the_see_also_row() -> None:
    hit = first("benign neoplasm of colon")
    assert hit.display == "D12.6"
    assert hit.path[:3] == ("Neoplasm, neoplastic", "colon", "see also Neoplasm, intestine, large")
    assert "Benign" in hit.path


@pytest.mark.usefixtures("index_loaded")
def test_history_of_a_cancer_is_a_z85_history_code_not_the_cancer() -> None:
    assert codes("h/o breast cancer")[0] == "Z85.3"
    assert not any(code.startswith("C50") for code in codes("h/o breast cancer")[:1])


@pytest.mark.usefixtures("index_loaded")
@pytest.mark.parametrize(("phrase", "expected", "column"), [
    ("accidentally swallowed acetaminophen", "T39.1X1A", "Poisoning Accidental (unintentional)"),
    ("acetaminophen overdose", "T39.1X1A", "Poisoning Accidental (unintentional)"),
    ("suicide attempt with alprazolam", "T42.4X2A", "Poisoning Intentional self-harm"),
    ("alprazolam poisoning, assault", "T42.4X3A", "Poisoning Assault"),
    ("furosemide poisoning, undetermined intent", "T50.1X4A", "Poisoning Undetermined"),
    ("reaction to furosemide taken as prescribed", "T50.1X5A", "Adverse effect"),
    ("noncompliant with insulin", "T38.3X6A", "Underdosing"),
    ("didn't take her insulin", "T38.3X6A", "Underdosing"),
])
def test_every_column_of_the_drug_table(phrase: str, expected: str, column: str) -> None:
    hit = first(phrase)
    assert (hit.display, hit.via) == (expected, "Table of Drugs and Chemicals")
    assert column in hit.path
    assert [code for code, _ in hit.choices] == [expected[:-1] + "A", expected[:-1] + "D", expected[:-1] + "S"]


@pytest.mark.usefixtures("index_loaded")
def test_brand_names_reach_their_generic_substance() -> None:
    hit = first("tylenol overdose")
    assert hit.display == "T39.1X1A"
    assert hit.path[:2] == ("brand tylenol = acetaminophen", "Acetaminophen")
    assert first("took too much xanax, suicide attempt").display == "T42.4X2A"
    assert first("didn't take his lasix").display == "T50.1X6A"


@pytest.mark.usefixtures("index_loaded")
def test_the_index_follows_see_to_the_term_it_names() -> None:
    hit = first("adult-onset diabetes")
    assert (hit.display, hit.via) == ("E11.9", "Index to Diseases and Injuries")
    assert hit.path == ("Diabetes, diabetic", "adult-onset", "see Diabetes, type 2", "Diabetes, diabetic > type 2",
                        "E11.9")


@pytest.mark.usefixtures("index_loaded")
def test_with_links_the_conditions_under_a_main_term() -> None:
    hit = first("type 2 diabetes with chronic kidney disease")
    assert hit.display == "E11.22"
    assert hit.path == ("Diabetes, diabetic", "type 2", "with", "chronic kidney disease", "E11.22")


@pytest.mark.usefixtures("index_loaded")
def test_see_condition_sends_the_coder_from_the_modifier_to_the_condition() -> None:
    hit = first("chronic pneumonia")
    assert (hit.display, hit.via) == ("J18.9", "Index to Diseases and Injuries")
    assert hit.path == ("Chronic", "see condition", "Pneumonia", "J18.9")


@pytest.mark.usefixtures("index_loaded")
def test_code_also_travels_with_the_path_of_the_term() -> None:
    hit = first("end stage kidney disease")
    assert (hit.display, hit.via) == ("N18.6", "Index to Diseases and Injuries")
    assert hit.path == ("Disease, diseased", "kidney", "chronic", "end stage", "N18.6",
                        "code also dialysis status (Z99.2)")
    out = io.StringIO()
    call_command("codes", "search", "end stage kidney disease", "--json", "--limit", "1", stdout=out)
    assert json.loads(out.getvalue())[0]["index_path"][-1] == "code also dialysis status (Z99.2)"


@pytest.mark.usefixtures("index_loaded")
def test_nonessential_modifiers_match_but_are_never_required() -> None:
    # "(closed)" is a nonessential modifier of Fracture: naming it or not finds the same term.
    assert first("closed fracture femoral neck").display == first("fracture femur neck").display == "S72.009A"


@pytest.mark.usefixtures("index_loaded")
def test_an_incomplete_index_code_is_completed_down_to_its_seventh_character() -> None:
    hit = first("fracture femur neck")
    assert hit.display == "S72.009A"
    assert hit.path == ("Fracture, traumatic", "femur, femoral", "neck", "S72.00-",
                        "S72.00 incomplete: default S72.009A")
    assert [code for code, _ in hit.choices][:3] == ["S72.001A", "S72.001B", "S72.001C"]


@pytest.mark.usefixtures("index_loaded")
def test_external_causes_come_from_the_external_cause_index_with_their_seventh_character() -> None:
    hit = first("fall from ladder")
    assert (hit.display, hit.via) == ("W11.XXXA", "External Cause of Injuries Index")
    assert hit.path == ("Fall, falling", "from, off, out of", "ladder", "W11", "7th character of W11")
    assert [code for code, _ in hit.choices] == ["W11.XXXA", "W11.XXXD", "W11.XXXS"]
    assert first("bitten by dog").display == "W54.0XXA"


@pytest.mark.parametrize(("typed", "expected"), [
    ("dm2", "E11.9"), ("htn", "I10"), ("chf", "I50.9"), ("ckd 3", "N18.30"), ("pna", "J18.9"),
    ("uti", "N39.0"), ("mrsa pneumonia", "J15.212"), ("r/o pneumonia", "J18.9"),
])
def test_clinician_shorthand(typed: str, expected: str, index_loaded: None) -> None:
    assert codes(typed)[0] == expected


def test_without_the_index_the_encoder_still_answers_from_the_tabular_list() -> None:
    hit = first("dm2")
    assert (hit.display, hit.via, hit.path) == ("E11.9", "Tabular List", ())


@pytest.mark.usefixtures("index_loaded")
def test_codes_search_json_shows_the_path_the_choices_and_the_notes() -> None:
    out = io.StringIO()
    call_command("codes", "search", "tylenol overdose", "--json", "--limit", "1", stdout=out)
    [row] = json.loads(out.getvalue())
    assert row["code"] == "T39.1X1A" and row["via"] == "Table of Drugs and Chemicals"
    assert row["index_path"] == ["brand tylenol = acetaminophen", "Acetaminophen",
                                 "Poisoning Accidental (unintentional)", "T39.1X1", "7th character of T39.1X1"]
    assert [choice["code"] for choice in row["choices"]] == ["T39.1X1A", "T39.1X1D", "T39.1X1S"]
    # The block's notes (T36-T50) and the chapter's, as the coder verifies them in the tabular list.
    assert {"at": "T36-T50", "kind": "Use additional code",
            "text": "underdosing of medication regimen (Z91.12-, Z91.13-)"} in row["notes"]
    assert {"at": "T36-T50", "kind": "Code first", "text": "adverse effect NOS (T88.7)"} in row["notes"]


@pytest.mark.usefixtures("index_loaded")
def test_the_encoder_page_shows_the_path_and_which_index_parts_are_loaded(
    users: dict[str, Any], client_for: Callable[[Any], Client],
) -> None:
    page = client_for(users["coder"]).get("/coding/encoder/?q=liver+mets+from+colon+ca&system=icd10cm")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Table of Neoplasms:</span> Neoplasm, neoplastic › liver › Malignant Secondary › C78.7" in text
    assert "Table of Drugs and Chemicals (FY2024)" in text and "not loaded" not in text


def test_the_encoder_page_says_plainly_which_parts_are_not_loaded(
    users: dict[str, Any], client_for: Callable[[Any], Client],
) -> None:
    text = client_for(users["coder"]).get("/coding/encoder/?q=chf").content.decode()
    assert "Index to Diseases and Injuries <strong>not loaded</strong>" in text
    assert "chartdesk codes load icd10cm PATH" in text


@pytest.mark.parametrize("role", ["registrar", "transcriptionist", "roi"])
def test_roles_without_the_encoder_cannot_look_up_the_index(
    role: str, users: dict[str, Any], client_for: Callable[[Any], Client], index_loaded: None,
) -> None:
    response = client_for(users[role]).get("/coding/encoder/?q=tylenol+overdose")
    assert response.status_code == 403
    assert b"T39.1X1A" not in response.content
