"""Note sections as dictation writes them, and the dictionary's codes against the real tabular."""

from __future__ import annotations

from chartdesk.coding.suggest.lexicon import load_lexicon
from chartdesk.coding.suggest.phrases import DIABETES_WITH, FAMILY_CODES, HISTORY_CODES, curated_rows
from chartdesk.coding.suggest.sections import SectionKind, split_sections
from chartdesk.coding.suggest.tabular import load_tabular


def test_dictated_headers_are_found_with_their_kinds() -> None:
    text = ("SUBJECTIVE:,  Sore throat.,PAST MEDICAL HISTORY:,  Asthma.,FAMILY HISTORY:  ,Noncontributory."
            ",REVIEW OF SYSTEMS:, Negative.,ASSESSMENT:,  Pharyngitis.,PLAN:,  Fluids.")
    found = [(section.heading, section.kind) for section in split_sections(text)]
    assert found == [("SUBJECTIVE", SectionKind.HISTORY), ("PAST MEDICAL HISTORY", SectionKind.PAST_HISTORY),
                     ("FAMILY HISTORY", SectionKind.FAMILY_HISTORY),
                     ("REVIEW OF SYSTEMS", SectionKind.REVIEW_OF_SYSTEMS), ("ASSESSMENT", SectionKind.DIAGNOSIS),
                     ("PLAN", SectionKind.PLAN)]


def test_an_abbreviation_list_is_not_mistaken_for_a_header() -> None:
    text = "PMH: , DM, HTN, COPD, CAD,PSH:  ,CABG"
    sections = split_sections(text)
    assert [section.heading for section in sections] == ["PMH", "PSH"]
    assert text[sections[0].start:sections[0].end] == " , DM, HTN, COPD, CAD,"


def test_a_final_diagnosis_supersedes_the_admitting_one() -> None:
    from tests.coding.suggest.helpers import codes

    text = "ADMITTING DIAGNOSIS: Difficulty voiding.\nDISCHARGE DIAGNOSIS: Benign prostatic hyperplasia."
    assert codes(text, "inpatient") == {"N40.0"}


def test_the_tabular_knows_billable_codes_from_headers() -> None:
    tabular = load_tabular()
    assert tabular.is_billable("E11.9") and not tabular.is_billable("E11")
    assert not tabular.is_billable("S72.001") and tabular.is_billable("S72.001A")
    assert tabular.is_billable("T46.0X5A") and not tabular.is_billable("T46.0X5")
    assert tabular.title("E11.40") == "Type 2 diabetes mellitus with diabetic neuropathy, unspecified"
    assert "high blood pressure" in tabular.codes["I10"].inclusion_terms


def test_every_curated_code_is_billable() -> None:
    tabular = load_tabular()
    rows = curated_rows()
    assert len(rows) > 250
    wrong = [row.code for row in rows if not tabular.is_billable(row.code)]
    fallbacks = [row.without_diabetes for row in rows if row.without_diabetes]
    wrong += [code for code in fallbacks if not tabular.is_billable(code)]
    assert wrong == []


def test_history_and_family_tables_point_at_billable_codes_of_their_kind() -> None:
    tabular = load_tabular()
    assert all(tabular.is_billable(code) for code in HISTORY_CODES.values())
    assert all(code.startswith(("Z85", "Z86", "Z87")) or code == "I25.2" for code in HISTORY_CODES.values())
    assert all(tabular.is_billable(code) and code[:3] in {"Z80", "Z81", "Z82", "Z83", "Z84"}
               for code in FAMILY_CODES.values())
    assert all(tabular.is_billable(code) for code in DIABETES_WITH.values())


def test_every_dictionary_entry_is_a_billable_code() -> None:
    tabular = load_tabular()
    lexicon = load_lexicon()
    assert len(lexicon.entries) > 10_000
    assert all(tabular.is_billable(entry.code) for entry in lexicon.entries.values())
