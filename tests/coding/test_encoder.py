"""The encoder on real ICD-10-CM content: abbreviations, word order, synonyms, plurals, typos, paths."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chartdesk.coding.encoder.index import index_for
from chartdesk.coding.encoder.search import path_of, search
from chartdesk.coding.encoder.text import query_words
from chartdesk.coding.models import CodeSetRelease

pytestmark = pytest.mark.django_db


def codes_for(text: str, limit: int = 5) -> list[str]:
    return [hit.display for hit in search(text, limit=limit)]


@pytest.mark.parametrize(("typed", "expected"), [
    ("chf", "I50.9"),
    ("dm2", "E11.9"),
    ("htn", "I10"),
    ("copd exacerbation", "J44.1"),
    ("uti", "N39.0"),
    ("acute mi", "I21.9"),
])
def test_abbreviations_find_the_default_code_first(typed: str, expected: str) -> None:
    assert codes_for(typed)[0] == expected


def test_words_in_any_order_find_the_same_code() -> None:
    assert codes_for("congestive heart failure")[0] == codes_for("failure heart congestive")[0] == "I50.9"


def test_inclusion_terms_are_synonyms() -> None:
    # I10 "Essential (primary) hypertension" includes "high blood pressure".
    assert codes_for("high blood pressure")[0] == "I10"


def test_typos_are_forgiven() -> None:
    assert codes_for("pnemonia")[0] == "J18.9"
    assert codes_for("hypertention")[0] == "I10"


def test_plurals_fold_onto_the_singular() -> None:
    assert codes_for("fractures of neck of right femur")[0] == codes_for("fracture of neck of right femur")[0]


def test_a_fracture_finds_its_seventh_character_code() -> None:
    assert codes_for("closed fracture neck of right femur initial encounter")[0] == "S72.001A"
    assert codes_for("hip fracture")[0] == "S72.009A"


def test_what_is_being_typed_is_completed() -> None:
    assert "E11.9" in codes_for("type 2 diabet", limit=10)


def test_a_code_typed_as_a_code_comes_first_with_the_codes_below_it() -> None:
    assert codes_for("E11.9") == ["E11.9"]
    assert codes_for("E11.6", limit=4) == ["E11.6", "E11.61", "E11.62", "E11.63"]


def test_scores_come_best_first_and_headers_are_marked() -> None:
    hits = search("diabetes mellitus type 2", limit=10)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert {hit.billable for hit in hits if hit.display == "E11.9"} == {True}


def test_each_hit_shows_its_path_and_a_header_its_way_down_to_a_billable_code() -> None:
    index = index_for(CodeSetRelease.objects.current("icd10cm"))  # type: ignore[arg-type]
    where = path_of(index, "E11")
    assert [step["code"] for step in where["path"]] == ["Chapter 4", "E08-E13", "E11"]
    assert [step["code"] for step in where["to_billable"]] == ["E11.9"]
    fracture = path_of(index, "S72.00".replace(".", ""))
    assert [step["code"] for step in fracture["to_billable"]] == ["S72.009", "S72.009A"]


def test_nothing_typed_or_nothing_found_gives_no_hits() -> None:
    assert search("   ") == []
    assert search("qqqqzzzz xxyyzz") == []


def test_abbreviations_expand_to_the_classification_words() -> None:
    assert query_words("DM2 w/ CKD") == ["type", "2", "diabetes", "mellitus", "chronic", "kidney", "disease"]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60))
def test_any_text_searches_without_error(text: str) -> None:
    hits = search(text, limit=5)
    assert len(hits) <= 5
    assert all(0 < hit.score <= 1.0 for hit in hits)


def test_procedures_are_found_in_the_surgeons_words() -> None:
    hits = search("lap appendectomy", system="icd10pcs", limit=3)
    assert hits[0].display == "0DTJ4ZZ"
    assert hits[0].title == "Resection of Appendix, Percutaneous Endoscopic Approach"
