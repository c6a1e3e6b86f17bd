"""Evidence spans point at exactly the words they quote, for any note."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chartdesk.coding.suggest import suggest_codes
from chartdesk.coding.suggest.sections import split_sections

FRAGMENTS = ["ASSESSMENT:", "PAST MEDICAL HISTORY: ,", "FAMILY HISTORY:", "HPI:", "A - ,", "PROCEDURES:",
             "Hypertension", "type 2 diabetes", "with", "peripheral neuropathy", "CKD stage 3a", "denies",
             "chest pain", "no evidence of", "pneumonia", "probable", "rule out", "history of", "breast cancer",
             "mother had", "colon cancer", "but", "E. coli", "UTI", "Laparoscopic appendectomy", "scheduled for",
             "nausea and vomiting", "COPD", "exacerbation", "CHF", "6.9%", ".", ",", ";", "\n", " ", ".,"]
notes = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=40).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(notes, st.sampled_from(["outpatient", "inpatient"]))
def test_every_evidence_span_slices_to_its_quoted_text(text: str, setting: str) -> None:
    for found in suggest_codes(text, setting=setting, include_excluded=True):  # type: ignore[arg-type]
        assert found.evidence
        for evidence in found.evidence:
            assert 0 <= evidence.start < evidence.end <= len(text)
            assert text[evidence.start:evidence.end] == evidence.text


@settings(max_examples=150, deadline=None)
@given(notes)
def test_sections_tile_the_note_in_order(text: str) -> None:
    sections = split_sections(text)
    assert sections or not text
    for earlier, later in zip(sections, sections[1:], strict=False):
        assert earlier.start <= earlier.end <= later.start <= later.end <= len(text)


def test_evidence_quotes_the_note_as_written_even_across_odd_spacing() -> None:
    text = "ASSESSMENT:,  Type  2   diabetes   mellitus  with diabetic neuropathy.,PLAN:, Gabapentin."
    (found,) = suggest_codes(text, setting="outpatient")
    assert found.code == "E11.40"
    assert found.evidence[0].text == "Type  2   diabetes   mellitus  with diabetic neuropathy"
