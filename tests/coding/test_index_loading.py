"""Loading the Alphabetic Index and its tables from the CMS release: zip, folder, one file; by fiscal
year; all or nothing; idempotent; malformed files refused naming the element."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from chartdesk.audit.models import AuditEvent
from chartdesk.coding.codesets.cmindex import parse_index
from chartdesk.coding.codesets.errors import MalformedCodeFile
from chartdesk.coding.models import ClassificationIndex
from tests.coding.index_extracts import DRUGS, NEOPLASMS, write_release_folder, write_release_zip

pytestmark = pytest.mark.django_db


def load(path: Path, *extra: str) -> str:
    out = io.StringIO()
    call_command("codes", "load", "icd10cm", str(path), *extra, stdout=out)
    return out.getvalue()


def test_the_release_zip_loads_all_four_parts_of_the_index_by_fiscal_year(tmp_path: Path) -> None:
    output = load(write_release_zip(tmp_path))
    editions = {edition.part: edition for edition in ClassificationIndex.objects.all()}
    assert sorted(editions) == ["drug", "eindex", "index", "neoplasm"]
    assert {edition.effective_from for edition in editions.values()} == {datetime.date(2023, 10, 1)}
    assert {edition.label for edition in editions.values()} == {"FY2024"}
    assert (editions["drug"].term_count, editions["neoplasm"].term_count, editions["index"].term_count,
            editions["eindex"].term_count) == (4, 8, 14, 5)
    assert editions["neoplasm"].columns[0] == "Malignant Primary"
    assert "Table of Drugs and Chemicals FY2024 (from 2023-10-01): loaded 4 terms" in output
    breast = next(term for term in editions["neoplasm"].terms if term["title"] == "breast")
    assert breast["nemod"] == "(connective tissue) (glandular tissue) (soft parts)"
    assert breast["cells"] == {"2": "C50.9-", "3": "C79.81", "4": "D05.9-", "5": "D24.-", "6": "D48.6-", "7": "D49.3"}
    adult_onset = next(term for term in editions["index"].terms if term["title"] == "adult-onset")
    assert adult_onset["see"] == ["Diabetes, type 2"]
    events = AuditEvent.objects.filter(object_type="classification_index")
    assert sorted(event.detail["part"] for event in events) == ["drug", "eindex", "index", "neoplasm"]


def test_loading_the_same_release_twice_changes_nothing(tmp_path: Path) -> None:
    load(write_release_zip(tmp_path))
    events = AuditEvent.objects.count()
    loaded_at = sorted(ClassificationIndex.objects.values_list("loaded_at", flat=True))
    # The same files unpacked into a folder are the same content: nothing changes either.
    output = load(write_release_folder(tmp_path / "unpacked"))
    assert output.count("already loaded from this file, nothing changed") == 4
    assert AuditEvent.objects.count() == events
    assert sorted(ClassificationIndex.objects.values_list("loaded_at", flat=True)) == loaded_at


def test_an_april_update_takes_effect_on_the_first_of_april(tmp_path: Path) -> None:
    path = tmp_path / "icd10cm-drug-April-1-2024.xml"
    path.write_text(DRUGS, encoding="utf-8")
    load(path)
    edition = ClassificationIndex.objects.get(part="drug")
    assert (edition.effective_from, edition.label) == (datetime.date(2024, 4, 1), "FY2024 April update")
    assert ClassificationIndex.objects.in_effect("drug", datetime.date(2024, 3, 31)) is None
    assert ClassificationIndex.objects.in_effect("drug", datetime.date(2024, 4, 1)) == edition


def test_a_changed_file_for_the_same_year_replaces_that_part(tmp_path: Path) -> None:
    first = tmp_path / "icd10cm_drug_2024.xml"
    first.write_text(DRUGS, encoding="utf-8")
    load(first)
    first.write_text(DRUGS.replace("Alprazolam", "Alprazolam tablets"), encoding="utf-8")
    assert "reloaded 4 terms" in load(first)
    assert ClassificationIndex.objects.filter(part="drug").count() == 1
    assert [term["title"] for term in ClassificationIndex.objects.get(part="drug").terms][1] == "Alprazolam tablets"


@pytest.mark.parametrize(("broken", "named"), [
    (NEOPLASMS.replace('<cell col="7">D49.3</cell>', '<cell col="9">D49.3</cell>'), '<cell col="9"> is not a column'),
    (NEOPLASMS.replace("<cell col=\"3\">C79.81</cell>", "<cell col=\"3\">liver</cell>"),
     "<cell> 'liver' is not an ICD-10-CM code"),
    (NEOPLASMS.replace('<term level="2">', '<term level="3">', 1), '<term level="3"> under a level-1 term'),
    (NEOPLASMS.replace("<title>liver</title>", ""), "<term> without a <title>"),
    (NEOPLASMS.replace('<head col="3">Malignant Secondary</head>', '<head col="3">Benign</head>'),
     "<head col=\"3\"> should be 'malignant secondary...'"),
    (NEOPLASMS.replace("</ICD10CM.index>", ""), "not well-formed XML"),
])
def test_a_malformed_index_file_is_refused_naming_the_element_and_nothing_loads(
    tmp_path: Path, broken: str, named: str,
) -> None:
    folder = write_release_folder(tmp_path / "release")
    (folder / "icd10cm_neoplasm_2024.xml").write_text(broken, encoding="utf-8")
    with pytest.raises(CommandError) as refusal:
        load(folder)
    assert named in str(refusal.value)
    assert "icd10cm_neoplasm_2024.xml, line " in str(refusal.value)
    # The three good files of the same release were not loaded either: all or nothing.
    assert ClassificationIndex.objects.count() == 0
    assert not AuditEvent.objects.filter(object_type="classification_index").exists()


def test_a_folder_without_any_icd10cm_xml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.xml").write_text("<notes/>", encoding="utf-8")
    with pytest.raises(CommandError, match="no ICD-10-CM Tabular List or Index XML in it"):
        load(tmp_path)


def test_the_packaged_tables_load_with_the_default_load() -> None:
    from chartdesk.coding.actions import do_load_icd10cm_release
    from chartdesk.coding.codesets.release_files import packaged_index_folder

    loaded = do_load_icd10cm_release(packaged_index_folder(), acting_user=None)
    assert sorted((part.edition.part, part.edition.label) for part in loaded.parts) == [
        ("drug", "FY2023"), ("eindex", "FY2023"), ("neoplasm", "FY2023")]
    assert ClassificationIndex.objects.get(part="drug").term_count > 7000
    assert loaded.tabular is None


def test_releases_lists_the_loaded_index_parts(tmp_path: Path) -> None:
    load(write_release_zip(tmp_path))
    out = io.StringIO()
    call_command("codes", "releases", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if line.startswith("Table of Neoplasms"))
    assert line.split() == ["Table", "of", "Neoplasms", "FY2024", "from", "2023-10-01", "8", "terms",
                            "icd10cm_neoplasm_2024.xml"]


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda text: text.encode()))
def test_any_bytes_are_parsed_or_refused_with_a_named_error(content: bytes) -> None:
    try:
        parse_index(content, "fuzz.xml")
    except MalformedCodeFile as refusal:
        assert refusal.message.startswith("fuzz.xml, line ")


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=len(NEOPLASMS) - 1), st.sampled_from(["<", ">", "\"", "x", ""]))
def test_a_damaged_table_is_parsed_or_refused_with_a_named_error(position: int, replacement: str) -> None:
    damaged = (NEOPLASMS[:position] + replacement + NEOPLASMS[position + 1:]).encode()
    try:
        parsed = parse_index(damaged, "damaged.xml")
    except MalformedCodeFile as refusal:
        assert refusal.message.startswith("damaged.xml, line ")
    else:
        assert parsed.kind in ("neoplasm", "index")
